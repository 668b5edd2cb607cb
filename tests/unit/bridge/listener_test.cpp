// SPDX-License-Identifier: MIT
// The bridge in-process, against peers the integration test cannot produce on demand: a
// tunnel port where nothing listens, a tunnel that accepts and never answers, a full
// connection table; and the SOCKS refusals that need no tunnel at all. The real tunnel,
// Dante and upstream cases are in tests/integration/bridge_test.sh.
#include <sys/socket.h>

#include <phantom/bridge/listener.hpp>
#include <phantom/sys/base64.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "catch.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace phantom::bridge;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "unit-test-token-0123456789";

/// A loopback port that was free a moment ago (bound, then released).
std::uint16_t unused_port(asio::io_context& io) {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return a.local_endpoint().port();
}

ListenerOptions options_for(std::uint16_t tunnel_port) {
    ListenerOptions o;
    o.token = k_token;
    o.tunnel_port = tunnel_port;
    o.handshake_timeout = 1s;
    return o;
}

/// Connects to the bridge with a receive timeout, so a test never hangs.
tcp::socket connect_to(asio::io_context& io, std::uint16_t port) {
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    timeval tv{10, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
}

/// Sends `request` and reads until the bridge closes (or 10 s pass).
std::string round_trip(tcp::socket& s, const std::string& request) {
    asio::write(s, asio::buffer(request));
    std::string reply;
    std::array<char, 4096> chunk{};
    boost::system::error_code ec;
    for (;;) {
        const std::size_t n = s.read_some(asio::buffer(chunk), ec);
        if (ec) {
            return reply;
        }
        reply.append(chunk.data(), n);
    }
}

std::string connect_request(const std::string& target) {
    return "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: Basic " +
           phantom::sys::base64_encode(std::string("phantom:") + k_token) + "\r\n\r\n";
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) {
        out.push_back(static_cast<char>(v));
    }
    return out;
}

} // namespace

TEST_CASE("nothing on the tunnel port: 503 naming the tunnel, counted as tunnel_down", "[listener]") {
    asio::io_context io;
    Listener bridge(options_for(unused_port(io)), nullptr);
    bridge.start();
    auto s = connect_to(io, bridge.port());
    const std::string reply = round_trip(s, connect_request("api.example.com:443"));
    CHECK(reply.rfind("HTTP/1.1 503 ", 0) == 0);
    CHECK(reply.find("the tunnel is down") != std::string::npos);
    CHECK(bridge.counters().failures[static_cast<std::size_t>(Failure::tunnel_down)] == 1);
}

TEST_CASE("a tunnel that never answers: 504 after the handshake timeout", "[listener]") {
    asio::io_context io;
    tcp::acceptor silent(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    Listener bridge(options_for(silent.local_endpoint().port()), nullptr);
    bridge.start();
    auto s = connect_to(io, bridge.port());
    const auto start = std::chrono::steady_clock::now();
    const std::string reply = round_trip(s, connect_request("api.example.com:443"));
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(reply.rfind("HTTP/1.1 504 ", 0) == 0);
    CHECK(waited >= 900ms);
    CHECK(waited < 5s);
    CHECK(bridge.counters().failures[static_cast<std::size_t>(Failure::timeout)] == 1);
}

TEST_CASE("SOCKS clients: no-auth refused, wrong token refused, BIND not supported", "[listener]") {
    asio::io_context io;
    Listener bridge(options_for(unused_port(io)), nullptr);
    bridge.start();
    {
        auto s = connect_to(io, bridge.port());
        CHECK(round_trip(s, bytes({5, 1, 0})) == bytes({5, 0xFF}));
    }
    {
        auto s = connect_to(io, bridge.port());
        const std::string wrong = bytes({5, 1, 2}) + bytes({1, 7}) + "phantom" + bytes({5}) + "wrong";
        CHECK(round_trip(s, wrong) == bytes({5, 2, 1, 1}));
    }
    {
        auto s = connect_to(io, bridge.port());
        const std::string token(k_token);
        const std::string bind = bytes({5, 1, 2}) + bytes({1, 7}) + "phantom" +
                                 std::string(1, static_cast<char>(token.size())) + token +
                                 bytes({5, 2, 0, 1, 127, 0, 0, 1, 0, 80});
        CHECK(round_trip(s, bind) == bytes({5, 2, 1, 0}) + bytes({5, 7, 0, 1, 0, 0, 0, 0, 0, 0}));
    }
    CHECK(bridge.counters().failures[static_cast<std::size_t>(Failure::proxy_auth)] == 2);
}

TEST_CASE("past max_connections new clients wait for a slot instead of failing", "[listener]") {
    asio::io_context io;
    auto options = options_for(unused_port(io));
    options.max_connections = 1;
    Listener bridge(options, nullptr);
    bridge.start();
    auto first = connect_to(io, bridge.port());
    asio::write(first, asio::buffer(std::string("GET http://a/ HTTP/1.1\r\n"))); // holds the slot
    for (int i = 0; i < 100 && bridge.counters().active.load() == 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(bridge.counters().active.load() == 1);
    auto second = connect_to(io, bridge.port());
    asio::write(second, asio::buffer(std::string("GET http://a/ HTTP/1.1\r\n\r\n")));
    std::this_thread::sleep_for(300ms);
    CHECK(bridge.counters().total.load() == 1); // still waiting in the listen queue
    first.close();
    std::string reply;
    std::array<char, 4096> chunk{};
    boost::system::error_code ec;
    const std::size_t n = second.read_some(asio::buffer(chunk), ec);
    reply.assign(chunk.data(), ec ? 0 : n);
    CHECK(reply.rfind("HTTP/1.1 407 ", 0) == 0); // served once the first one went
    CHECK(bridge.counters().total.load() == 2);
}

TEST_CASE("a log that cannot be written does not stop the bridge", "[listener]") {
    // The event sink is the daemon's log. When it throws (disk full, a bug), the bridge goes
    // on: with one slot, the limit warning is logged (it once ended the accept loop) and the
    // second client is only served if the first one's slot came back.
    asio::io_context io;
    auto options = options_for(unused_port(io)); // nothing listens: each request is logged
    options.max_connections = 1;
    Listener bridge(options, [](std::string_view, std::string_view, std::string_view) {
        throw std::runtime_error("the log cannot be written");
    });
    bridge.start();
    for (int i = 0; i < 2; ++i) {
        auto client = connect_to(io, bridge.port());
        const std::string reply = round_trip(client, connect_request("example.com:443"));
        CHECK(reply.rfind("HTTP/1.1 503 ", 0) == 0);
    }
    for (int i = 0; i < 100 && bridge.counters().active.load() != 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    CHECK(bridge.counters().active.load() == 0);
    CHECK(bridge.counters().total.load() == 2);
    CHECK(bridge.counters().failures[static_cast<std::size_t>(Failure::tunnel_down)].load() == 2);
    CHECK(bridge.counters().failures[static_cast<std::size_t>(Failure::internal)].load() >= 2);
}
