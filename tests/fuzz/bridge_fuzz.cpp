// SPDX-License-Identifier: MIT
// libFuzzer target: the bridge's HTTP and SOCKS5 parsers on arbitrary bytes. The first byte
// picks the parser; properties: what is accepted re-encodes to something that parses the same,
// a forwarded head is one well-formed head, and a body's framing does not depend on how its
// bytes are split.
#include <phantom/bridge/http.hpp>
#include <phantom/bridge/socks5.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace phantom::bridge;

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

void fuzz_request(std::string_view text) {
    const auto head = parse_request_head(text);
    if (!head) {
        check(head.error().status >= 400 && head.error().status <= 505);
        return;
    }
    if (head->method == "CONNECT") {
        (void)parse_connect_target(head->target);
        return;
    }
    const auto target = parse_absolute_target(head->target);
    if (!target) {
        return;
    }
    const std::string forwarded = upstream_request_head(*head, *target);
    check(head_length(forwarded) == forwarded.size()); // exactly one head, nothing smuggled after it
    const auto reparsed = parse_request_head(forwarded, HttpLimits{1 << 20, 1000});
    check(reparsed.has_value());
    check(reparsed->find("proxy-authorization") == nullptr);
    check(*reparsed->find("connection") == "close");
    (void)request_framing(*head);
}

void fuzz_response(std::string_view text) {
    const auto head = parse_response_head(text);
    if (!head) {
        return;
    }
    const std::string relayed = client_response_head(*head, true, 1);
    check(head_length(relayed) == relayed.size());
    check(parse_response_head(relayed, HttpLimits{1 << 20, 1000}).has_value());
    (void)response_framing(*head, "GET");
}

void fuzz_body(std::string_view data) {
    // The same bytes whole and one by one must end the body at the same place.
    BodyTracker whole(Framing{Framing::Kind::chunked, 0});
    const auto all = whole.consume(data);
    BodyTracker bytewise(Framing{Framing::Kind::chunked, 0});
    std::size_t used = 0;
    bool failed = false;
    for (std::size_t i = 0; i < data.size() && !bytewise.done(); ++i) {
        const auto n = bytewise.consume(data.substr(i, 1));
        if (!n) {
            failed = true;
            break;
        }
        used += *n;
    }
    check(failed == !all.has_value());
    if (all) {
        check(*all == used);
        check(whole.done() == bytewise.done());
    }
}

void fuzz_socks(std::string_view data) {
    (void)socks5::parse_greeting(data);
    (void)socks5::parse_password_request(data);
    (void)socks5::parse_reply(data);
    const auto request = socks5::parse_request(data);
    if (request.status != socks5::Parsed<socks5::Request>::Status::complete) {
        return;
    }
    check(request.size <= data.size());
    const std::string again = socks5::client_connect(request.value.target);
    const auto reparsed = socks5::parse_request(again);
    check(reparsed.status == socks5::Parsed<socks5::Request>::Status::complete);
    check(reparsed.value.target.host == request.value.target.host);
    check(reparsed.value.target.port == request.value.target.port);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        fuzz_request(text);
        break;
    case 1:
        fuzz_response(text);
        break;
    case 2:
        fuzz_body(text);
        break;
    default:
        fuzz_socks(text);
        break;
    }
    return 0;
}
