// SPDX-License-Identifier: MIT
// SOCKS5 and RFC 1929 messages for the bridge: both directions, partial and hostile input.
#include <phantom/bridge/socks5.hpp>

#include <string>

#include "catch.hpp"

using namespace phantom::bridge;
using namespace phantom::bridge::socks5;

namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) {
        out.push_back(static_cast<char>(v));
    }
    return out;
}

template <class T>
bool incomplete(const Parsed<T>& p) {
    return p.status == Parsed<T>::Status::incomplete;
}
template <class T>
bool invalid(const Parsed<T>& p) {
    return p.status == Parsed<T>::Status::invalid;
}

} // namespace

TEST_CASE("greetings: methods listed, partial input waits, other versions refused", "[socks5]") {
    const auto g = parse_greeting(bytes({5, 2, 0, 2, 0x99}));
    REQUIRE(g.status == Parsed<std::vector<std::uint8_t>>::Status::complete);
    CHECK(g.value == std::vector<std::uint8_t>{0, 2});
    CHECK(g.size == 4);
    CHECK(incomplete(parse_greeting(bytes({5}))));
    CHECK(incomplete(parse_greeting(bytes({5, 3, 0}))));
    CHECK(invalid(parse_greeting(bytes({4, 1, 0}))));
    CHECK(invalid(parse_greeting(bytes({5, 0}))));
    CHECK(invalid(parse_greeting("GET / HTTP/1.1\r\n")));
}

TEST_CASE("RFC 1929 requests, including empty and 255-byte fields", "[socks5]") {
    const std::string request = client_password_request("phantom", "tok");
    const auto p = parse_password_request(request + "extra");
    REQUIRE(p.status == Parsed<Credentials>::Status::complete);
    CHECK(p.value.user == "phantom");
    CHECK(p.value.password == "tok");
    CHECK(p.size == request.size());
    for (std::size_t cut = 0; cut < request.size(); ++cut) {
        CHECK(incomplete(parse_password_request(request.substr(0, cut))));
    }
    const auto empty = parse_password_request(bytes({1, 0, 0}));
    CHECK(empty.value.user.empty());
    const std::string longest = client_password_request(std::string(255, 'u'), std::string(255, 'p'));
    CHECK(parse_password_request(longest).value.password.size() == 255);
    CHECK(invalid(parse_password_request(bytes({5, 1, 'a', 1, 'b'}))));
}

TEST_CASE("requests: the three address types round-trip through the client encoder", "[socks5]") {
    for (const auto& [host, kind] :
         std::vector<std::pair<std::string, Target::Kind>>{{"api.example.com", Target::Kind::name},
                                                           {"10.1.2.3", Target::Kind::ipv4},
                                                           {"2001:db8::1", Target::Kind::ipv6}}) {
        INFO(host);
        const std::string wire = client_connect(Target{host, 8443, kind});
        const auto r = parse_request(wire);
        REQUIRE(r.status == Parsed<Request>::Status::complete);
        CHECK(r.value.command == k_cmd_connect);
        CHECK(r.value.target.host == host);
        CHECK(r.value.target.port == 8443);
        CHECK(r.value.target.kind == kind);
        CHECK(r.size == wire.size());
        for (std::size_t cut = 0; cut < wire.size(); ++cut) {
            CHECK(incomplete(parse_request(wire.substr(0, cut))));
        }
    }
    // Names go out as names: ATYP 3, never resolved here.
    CHECK(client_connect(Target{"api.example.com", 443, Target::Kind::name})[3] == 3);
}

TEST_CASE("requests: other commands parse for a proper refusal; junk is invalid", "[socks5]") {
    const auto bind = parse_request(bytes({5, 2, 0, 1, 127, 0, 0, 1, 0, 80}));
    REQUIRE(bind.status == Parsed<Request>::Status::complete);
    CHECK(bind.value.command == 2);
    const auto udp = parse_request(bytes({5, 3, 0, 1, 127, 0, 0, 1, 0, 80}));
    CHECK(udp.value.command == 3);
    const auto unknown_type = parse_request(bytes({5, 1, 0, 9, 1, 2}));
    CHECK(invalid(unknown_type));
    CHECK(unknown_type.value.address_type_unknown);
    CHECK(invalid(parse_request(bytes({4, 1, 0, 1, 1, 2, 3, 4, 0, 80}))));
    CHECK(invalid(parse_request(bytes({5, 1, 1, 1, 1, 2, 3, 4, 0, 80}))));     // reserved byte
    CHECK(invalid(parse_request(bytes({5, 1, 0, 3, 0, 0, 80}))));              // empty name
    CHECK(invalid(parse_request(bytes({5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80})))); // NUL in name
}

TEST_CASE("replies: encoding, parsing of each bound-address form, causes and statuses", "[socks5]") {
    const std::string refused = reply(Reply::connection_refused);
    CHECK(refused == bytes({5, 5, 0, 1, 0, 0, 0, 0, 0, 0}));
    auto r = parse_reply(refused + "data");
    REQUIRE(r.status == Parsed<Reply>::Status::complete);
    CHECK(r.value == Reply::connection_refused);
    CHECK(r.size == 10);
    CHECK(parse_reply(bytes({5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2})).size == 22);
    CHECK(parse_reply(bytes({5, 0, 0, 3, 1, 'x', 1, 2})).size == 8);
    CHECK(incomplete(parse_reply(bytes({5, 0, 0, 3, 4, 'x'}))));
    CHECK(invalid(parse_reply(bytes({5, 9, 0, 1, 0, 0, 0, 0, 0, 0}))));
    CHECK(invalid(parse_reply(bytes({5, 0, 0, 7, 0}))));
    CHECK(http_status(Reply::ttl_expired) == 504);
    CHECK(http_status(Reply::connection_refused) == 502);
    CHECK(std::string(describe(Reply::not_allowed)).find("forbid") != std::string::npos);
    CHECK(std::string(describe(Reply::host_unreachable)).find("unreachable") != std::string::npos);
}

TEST_CASE("client greeting and method selection", "[socks5]") {
    CHECK(client_greeting(true) == bytes({5, 1, 2}));
    CHECK(client_greeting(false) == bytes({5, 1, 0}));
    CHECK(parse_method_selection(bytes({5, 2})).value == 2);
    CHECK(invalid(parse_method_selection(bytes({4, 0}))));
    CHECK(parse_password_status(bytes({1, 0})).value);
    CHECK_FALSE(parse_password_status(bytes({1, 1})).value);
}
