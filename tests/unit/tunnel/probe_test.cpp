// SPDX-License-Identifier: MIT
// Tests of the SOCKS5 health probe against a scripted loopback server in a thread.
#include <sys/socket.h>
#include <unistd.h>

#include <phantom/tunnel/probe.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"

using phantom::tunnel::describe;
using phantom::tunnel::probe_socks;
using phantom::tunnel::ProbeCredentials;
using phantom::tunnel::ProbeFailure;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

namespace {

// Every wait of the fake server is bounded, so a broken probe fails the test, never hangs it.
constexpr int k_server_wait_ms = 5000;

// A loopback socket bound to a kernel-chosen port; listening only when asked. Bound but not
// listening, the port answers a connect with RST: "refused", and no one else can take it.
class BoundSocket {
public:
    explicit BoundSocket(bool listening) {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
            (listening && ::listen(m_fd, 4) != 0)) {
            throw std::runtime_error("cannot set up a loopback socket");
        }
        m_port = ntohs(address.sin_port);
    }
    BoundSocket(const BoundSocket&) = delete;
    BoundSocket& operator=(const BoundSocket&) = delete;
    ~BoundSocket() { ::close(m_fd); }

    [[nodiscard]] int fd() const noexcept { return m_fd; }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

// One connection, handled by `script` in a thread; `received` holds every byte the probe
// sent, read until the probe closed its end (so a stray CONNECT would show up).
class ScriptedServer {
public:
    using Script = std::function<void(ScriptedServer&)>;

    explicit ScriptedServer(Script script) : m_listener(true) {
        m_thread = std::thread([this, script = std::move(script)] {
            pollfd entry{m_listener.fd(), POLLIN, 0};
            if (::poll(&entry, 1, k_server_wait_ms) != 1) {
                return;
            }
            m_client = ::accept(m_listener.fd(), nullptr, nullptr);
            if (m_client < 0) {
                return;
            }
            script(*this);
            if (m_client >= 0) {
                drain();
                ::close(m_client);
            }
        });
    }
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;
    ~ScriptedServer() { join(); }

    [[nodiscard]] std::uint16_t port() const noexcept { return m_listener.port(); }

    /// Waits for the server thread; after this, received() is complete.
    void join() {
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    [[nodiscard]] const Bytes& received() const noexcept { return m_received; }

    // Script steps (server thread).
    void expect(std::size_t count) {
        while (count > 0) {
            std::uint8_t byte = 0;
            if (!read_byte(byte)) {
                return;
            }
            --count;
        }
    }
    void send(const Bytes& bytes) {
#if defined(MSG_NOSIGNAL)
        ::send(m_client, bytes.data(), bytes.size(), MSG_NOSIGNAL);
#else
        ::send(m_client, bytes.data(), bytes.size(), 0);
#endif
    }
    void hang_up() {
        ::close(m_client);
        m_client = -1;
    }
    /// Reads until the probe closes its end (or the bounded wait ends).
    void drain() {
        std::uint8_t byte = 0;
        while (read_byte(byte)) {
        }
    }

private:
    bool read_byte(std::uint8_t& byte) {
        pollfd entry{m_client, POLLIN, 0};
        if (::poll(&entry, 1, k_server_wait_ms) != 1) {
            return false;
        }
        if (::recv(m_client, &byte, 1, 0) != 1) {
            return false;
        }
        m_received.push_back(byte);
        return true;
    }

    BoundSocket m_listener;
    int m_client = -1;
    Bytes m_received;
    std::thread m_thread;
};

Bytes auth_request(const std::string& user, const std::string& password) {
    Bytes bytes{1, static_cast<std::uint8_t>(user.size())};
    bytes.insert(bytes.end(), user.begin(), user.end());
    bytes.push_back(static_cast<std::uint8_t>(password.size()));
    bytes.insert(bytes.end(), password.begin(), password.end());
    return bytes;
}

const ProbeCredentials k_credentials{"alice", "pa55:word"};

// The server side of the greeting choosing username/password, then reading k_credentials'
// RFC 1929 request (2 + "alice" + 1 + "pa55:word").
void greet_with_password(ScriptedServer& s) {
    s.expect(3);
    s.send({0x05, 0x02});
    s.expect(2 + 5 + 1 + 9);
}

} // namespace

TEST_CASE("probe without credentials: greeting with method 0x00, nothing more", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        s.expect(3);
        s.send({0x05, 0x00});
    });
    const auto result = probe_socks(server.port(), std::nullopt, 2000ms);
    server.join();
    CHECK(result.ok());
    CHECK(result.failure == ProbeFailure::none);
    CHECK(result.latency > 0us);
    CHECK(server.received() == Bytes{0x05, 0x01, 0x00});
}

// RFC 1928 §4 CONNECT to the login-check target 127.0.0.1:1.
const Bytes k_check_request{0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 1};

TEST_CASE("probe with credentials: RFC 1929, then CONNECT to the login check, exact bytes", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        greet_with_password(s);
        s.send({0x01, 0x00});
        s.expect(10);
        // Dante with a good password: the check target refuses (REP 5).
        s.send({0x05, 0x05, 0x00, 0x01, 127, 0, 0, 1, 0, 1});
    });
    const auto result = probe_socks(server.port(), k_credentials, 2000ms);
    server.join();
    CHECK(result.ok());
    Bytes expected{0x05, 0x01, 0x02};
    const Bytes auth = auth_request("alice", "pa55:word");
    expected.insert(expected.end(), auth.begin(), auth.end());
    expected.insert(expected.end(), k_check_request.begin(), k_check_request.end());
    CHECK(server.received() == expected);
}

TEST_CASE("probe: Dante's deferred password check, REP 2 on the CONNECT, is auth_rejected", "[probe]") {
    // Dante 1.4 answers RFC 1929 with success whatever the password and refuses the request.
    ScriptedServer server([](ScriptedServer& s) {
        greet_with_password(s);
        s.send({0x01, 0x00});
        s.expect(10);
        s.send({0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0});
    });
    CHECK(probe_socks(server.port(), k_credentials, 2000ms).failure == ProbeFailure::auth_rejected);
}

TEST_CASE("probe: nothing listening is refused", "[probe]") {
    BoundSocket closed_port(false);
    const auto result = probe_socks(closed_port.port(), std::nullopt, 2000ms);
    CHECK(result.failure == ProbeFailure::refused);
    CHECK_FALSE(result.ok());
}

TEST_CASE("probe: accepted then closed (ssh -L without a channel) is closed", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) { s.hang_up(); });
    CHECK(probe_socks(server.port(), std::nullopt, 2000ms).failure == ProbeFailure::closed);
}

TEST_CASE("probe: a reply cut short is closed", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        s.expect(3);
        s.send({0x05});
        s.hang_up();
    });
    CHECK(probe_socks(server.port(), std::nullopt, 2000ms).failure == ProbeFailure::closed);
}

TEST_CASE("probe: closed during the auth step is closed", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        greet_with_password(s);
        s.hang_up();
    });
    CHECK(probe_socks(server.port(), k_credentials, 2000ms).failure == ProbeFailure::closed);
}

TEST_CASE("probe: a silent server times out within the bound", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) { s.drain(); });
    const auto start = std::chrono::steady_clock::now();
    const auto result = probe_socks(server.port(), k_credentials, 300ms);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(result.failure == ProbeFailure::timeout);
    CHECK(elapsed >= 290ms);
    CHECK(elapsed < 1500ms);
    server.join();
    CHECK(server.received() == Bytes{0x05, 0x01, 0x02});
}

TEST_CASE("probe: a wrong version byte is a protocol failure", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        s.expect(3);
        s.send({0x04, 0x00});
    });
    CHECK(probe_socks(server.port(), std::nullopt, 2000ms).failure == ProbeFailure::protocol);
}

TEST_CASE("probe: an HTTP server on the port is a protocol failure", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        s.expect(3);
        s.send({'H', 'T', 'T', 'P', '/', '1', '.', '1'});
    });
    CHECK(probe_socks(server.port(), k_credentials, 2000ms).failure == ProbeFailure::protocol);
}

TEST_CASE("probe: a method we did not offer is a protocol failure", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        s.expect(3);
        s.send({0x05, 0x00});
    });
    CHECK(probe_socks(server.port(), k_credentials, 2000ms).failure == ProbeFailure::protocol);
}

TEST_CASE("probe: 0xFF means no acceptable method", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        s.expect(3);
        s.send({0x05, 0xFF});
    });
    const auto result = probe_socks(server.port(), std::nullopt, 2000ms);
    CHECK(result.failure == ProbeFailure::method_rejected);
    server.join();
    CHECK(server.received() == Bytes{0x05, 0x01, 0x00});
}

TEST_CASE("probe: RFC 1929 status 1 is auth_rejected", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        greet_with_password(s);
        s.send({0x01, 0x01});
    });
    const auto result = probe_socks(server.port(), k_credentials, 2000ms);
    CHECK(result.failure == ProbeFailure::auth_rejected);
    CHECK(std::string(describe(result.failure)) == "the server refused your member name or password");
}

TEST_CASE("probe: a wrong sub-negotiation version is a protocol failure", "[probe]") {
    ScriptedServer server([](ScriptedServer& s) {
        greet_with_password(s);
        s.send({0x05, 0x00});
    });
    CHECK(probe_socks(server.port(), k_credentials, 2000ms).failure == ProbeFailure::protocol);
}

TEST_CASE("probe: credentials over 255 bytes are refused before connecting", "[probe]") {
    // Nothing listens on this port: had the probe connected, it would report "refused".
    BoundSocket closed_port(false);
    CHECK(probe_socks(closed_port.port(), ProbeCredentials{"alice", std::string(256, 'x')}, 2000ms).failure ==
          ProbeFailure::protocol);
    CHECK(probe_socks(closed_port.port(), ProbeCredentials{std::string(256, 'a'), "pw"}, 2000ms).failure ==
          ProbeFailure::protocol);
    // 255 is still encodable.
    CHECK(probe_socks(closed_port.port(), ProbeCredentials{"alice", std::string(255, 'x')}, 2000ms).failure ==
          ProbeFailure::refused);
}

TEST_CASE("probe: every failure has its own readable description", "[probe]") {
    std::set<std::string> texts;
    for (const auto failure :
         {ProbeFailure::none, ProbeFailure::refused, ProbeFailure::closed, ProbeFailure::timeout,
          ProbeFailure::protocol, ProbeFailure::auth_rejected, ProbeFailure::method_rejected}) {
        const std::string text = describe(failure);
        CHECK_FALSE(text.empty());
        texts.insert(text);
    }
    CHECK(texts.size() == 7);
}
