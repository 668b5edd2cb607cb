// SPDX-License-Identifier: MIT
// The bridge in-process, against peers the integration test cannot produce on demand: a
// tunnel port where nothing listens, a tunnel that accepts and never answers, a full
// connection table; and the SOCKS refusals that need no tunnel at all. The real tunnel,
// Dante and upstream cases are in tests/integration/bridge_test.sh.
#include <sys/socket.h>

#include <phantom/bridge/listener.hpp>
#include <phantom/sys/base64.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace phantom::bridge;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "unit-test-token-0123456789";
constexpr const char* k_established = "HTTP/1.1 200 Connection established";

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

/// A stand-in for the tunnel's SOCKS5 port (ssh -D, or Dante behind ssh -L) that records
/// what happens on each connection it accepts, numbered from 1: "greeted N", "login N USER",
/// "request N HOST", "closed N". After a request it answers success and echoes. It hangs up
/// on connection number hang_up_after_greeting right after its greeting, as a restarted ssh
/// would.
class FakeTunnel {
public:
    explicit FakeTunnel(bool with_password = false) : m_with_password(with_password) {
        asio::co_spawn(m_io, accept_loop(), asio::detached);
        m_thread = std::thread([this] { m_io.run(); });
    }
    ~FakeTunnel() {
        m_io.stop();
        m_thread.join();
    }
    FakeTunnel(const FakeTunnel&) = delete;
    FakeTunnel& operator=(const FakeTunnel&) = delete;

    std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }
    void hang_up_after_greeting(int number) { m_hang_up = number; }

    /// Waits up to `timeout` for `event`; true when it happened.
    bool wait_for(const std::string& event, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, timeout, [&] {
            return std::find(m_events.begin(), m_events.end(), event) != m_events.end();
        });
    }
    std::vector<std::string> events() {
        const std::lock_guard lock(m_mutex);
        return m_events;
    }
    int accepted() {
        const std::lock_guard lock(m_mutex);
        return m_accepted;
    }

private:
    using awaitable_void = asio::awaitable<void>;

    void record(std::string event) {
        const std::lock_guard lock(m_mutex);
        m_events.push_back(std::move(event));
        m_changed.notify_all();
    }

    awaitable_void accept_loop() {
        for (int number = 1;; ++number) {
            auto socket = co_await m_acceptor.async_accept(asio::use_awaitable);
            {
                const std::lock_guard lock(m_mutex);
                m_accepted = number;
            }
            asio::co_spawn(m_io, serve(std::move(socket), number), asio::detached);
        }
    }

    /// Reads exactly `n` bytes; false at EOF (recorded as "closed N").
    awaitable_void read_exactly(tcp::socket& s, std::string& into, std::size_t n, bool& ok) {
        into.assign(n, '\0');
        auto [ec, got] =
            co_await asio::async_read(s, asio::buffer(into), asio::as_tuple(asio::use_awaitable));
        ok = !ec && got == n;
    }

    awaitable_void serve(tcp::socket s, int number) {
        const std::string id = std::to_string(number);
        std::string buffer;
        bool ok = false;
        co_await read_exactly(s, buffer, 2, ok); // VER NMETHODS
        if (ok) {
            co_await read_exactly(s, buffer, static_cast<std::uint8_t>(buffer[1]), ok);
        }
        if (ok) {
            const std::string choice = bytes({5, m_with_password ? 2 : 0});
            co_await asio::async_write(s, asio::buffer(choice), asio::use_awaitable);
        }
        if (ok && m_with_password) {
            co_await read_exactly(s, buffer, 2, ok); // VER ULEN
            std::string user;
            if (ok) {
                co_await read_exactly(s, user, static_cast<std::uint8_t>(buffer[1]), ok);
            }
            if (ok) {
                co_await read_exactly(s, buffer, 1, ok); // PLEN
            }
            if (ok) {
                co_await read_exactly(s, buffer, static_cast<std::uint8_t>(buffer[0]), ok);
            }
            if (ok) {
                record("login " + id + " " + user);
                const std::string success = bytes({1, 0});
                co_await asio::async_write(s, asio::buffer(success), asio::use_awaitable);
            }
        }
        if (!ok) {
            record("closed " + id);
            co_return;
        }
        record("greeted " + id);
        if (number == m_hang_up) {
            s.close();
            co_return;
        }
        co_await read_exactly(s, buffer, 5, ok); // VER CMD RSV ATYP=domain LEN
        std::string host;
        if (ok) {
            co_await read_exactly(s, host, static_cast<std::uint8_t>(buffer[4]), ok);
        }
        if (ok) {
            co_await read_exactly(s, buffer, 2, ok); // port
        }
        if (!ok) {
            record("closed " + id);
            co_return;
        }
        record("request " + id + " " + host);
        const std::string reply = bytes({5, 0, 0, 1, 0, 0, 0, 0, 0, 0});
        co_await asio::async_write(s, asio::buffer(reply), asio::use_awaitable);
        std::vector<char> chunk(4096);
        for (;;) {
            auto [ec, n] =
                co_await s.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
            if (ec) {
                break;
            }
            co_await asio::async_write(s, asio::buffer(chunk.data(), n), asio::use_awaitable);
        }
        record("closed " + id);
    }

    bool m_with_password;
    std::atomic<int> m_hang_up{0};
    asio::io_context m_io;
    tcp::acceptor m_acceptor{m_io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<std::string> m_events;
    int m_accepted = 0;
};

/// Waits up to 5 s for the bridge to hold a greeted spare (the fake records its side of the
/// greeting before the bridge has read the answer).
bool spare_ready(const Listener& bridge) {
    for (int i = 0; i < 500 && bridge.counters().spares.load() == 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    return bridge.counters().spares.load() == 1;
}

/// Options for a bridge in front of `tunnel` keeping spares for `lifetime` (0: none).
ListenerOptions spare_options(const FakeTunnel& tunnel, std::chrono::seconds lifetime) {
    auto o = options_for(tunnel.port());
    o.spare_lifetime = lifetime;
    return o;
}

/// A CONNECT through the bridge to `target` that echoes one byte back; the reply's status
/// line ("no echo" when the byte did not come back).
std::string connect_and_echo(asio::io_context& io, std::uint16_t bridge_port, const std::string& target) {
    auto s = connect_to(io, bridge_port);
    asio::write(s, asio::buffer(connect_request(target)));
    std::string head;
    std::array<char, 1> byte{};
    boost::system::error_code ec;
    while (head.find("\r\n\r\n") == std::string::npos && !ec) {
        if (s.read_some(asio::buffer(byte), ec) == 1) {
            head.push_back(byte[0]);
        }
    }
    if (head.rfind("HTTP/1.1 200 ", 0) == 0) {
        asio::write(s, asio::buffer(std::string("x")));
        if (s.read_some(asio::buffer(byte), ec) != 1 || byte[0] != 'x') {
            return "no echo";
        }
    }
    return head.substr(0, head.find("\r\n"));
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

TEST_CASE("a spare tunnel connection, greeted ahead, carries the next request", "[listener][spare]") {
    asio::io_context io;
    FakeTunnel tunnel;
    Listener bridge(spare_options(tunnel, 30s), nullptr);
    bridge.start();
    CHECK(connect_and_echo(io, bridge.port(), "a.example:1") == k_established);
    CHECK(tunnel.wait_for("request 1 a.example"));
    REQUIRE(tunnel.wait_for("greeted 2")); // the spare, made once the tunnel answered
    REQUIRE(spare_ready(bridge));
    CHECK(tunnel.accepted() == 2);
    CHECK(connect_and_echo(io, bridge.port(), "b.example:2") == k_established);
    CHECK(tunnel.wait_for("request 2 b.example")); // on the spare: no new connection for it
    CHECK(tunnel.wait_for("greeted 3"));           // and the next spare
}

TEST_CASE("a spare logs in with the member's credentials", "[listener][spare]") {
    asio::io_context io;
    FakeTunnel tunnel(true);
    auto options = spare_options(tunnel, 30s);
    options.tunnel_credentials = std::make_pair(std::string("alice"), std::string("secret"));
    Listener bridge(options, nullptr);
    bridge.start();
    CHECK(connect_and_echo(io, bridge.port(), "a.example:1") == k_established);
    CHECK(tunnel.wait_for("login 2 alice"));
    REQUIRE(spare_ready(bridge));
    CHECK(connect_and_echo(io, bridge.port(), "b.example:2") == k_established);
    CHECK(tunnel.wait_for("request 2 b.example"));
}

TEST_CASE("a spare the tunnel closes is dropped: the next request opens its own", "[listener][spare]") {
    asio::io_context io;
    FakeTunnel tunnel;
    Listener bridge(spare_options(tunnel, 30s), nullptr);
    bridge.start();
    tunnel.hang_up_after_greeting(2);
    CHECK(connect_and_echo(io, bridge.port(), "a.example:1") == k_established);
    CHECK(tunnel.wait_for("request 1 a.example"));
    // The spare (2) is greeted and hung up on. Without the readiness watch the next request
    // would be sent on the dead socket and fail with 503.
    REQUIRE(tunnel.wait_for("greeted 2"));
    std::this_thread::sleep_for(200ms);
    CHECK(connect_and_echo(io, bridge.port(), "b.example:2") == k_established);
    CHECK(tunnel.wait_for("request 3 b.example"));
    CHECK(bridge.counters().failures[static_cast<std::size_t>(Failure::tunnel_down)].load() == 0);
}

TEST_CASE("an unused spare is closed after its lifetime and not replaced", "[listener][spare]") {
    asio::io_context io;
    FakeTunnel tunnel;
    Listener bridge(spare_options(tunnel, 1s), nullptr);
    bridge.start();
    CHECK(connect_and_echo(io, bridge.port(), "a.example:1") == k_established);
    REQUIRE(tunnel.wait_for("greeted 2"));
    CHECK_FALSE(tunnel.wait_for("closed 2", 500ms));
    CHECK(tunnel.wait_for("closed 2", 3s));
    std::this_thread::sleep_for(300ms);
    CHECK(tunnel.accepted() == 2);
}

TEST_CASE("without a spare lifetime no connection is opened ahead", "[listener][spare]") {
    asio::io_context io;
    FakeTunnel tunnel;
    Listener bridge(spare_options(tunnel, 0s), nullptr);
    bridge.start();
    CHECK(connect_and_echo(io, bridge.port(), "a.example:1") == k_established);
    CHECK(connect_and_echo(io, bridge.port(), "b.example:2") == k_established);
    CHECK(tunnel.wait_for("request 2 b.example"));
    std::this_thread::sleep_for(200ms);
    CHECK(tunnel.accepted() == 2);
}
