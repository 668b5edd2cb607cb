// SPDX-License-Identifier: MIT
// The local bridge: one loopback port speaking HTTP proxy and SOCKS5, forwarding by name
// through the tunnel's SOCKS port.
#pragma once

#include <phantom/bridge/http.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace phantom::bridge {

/// Why a bridged connection failed, for counters (`status`) and the log.
enum class Failure : std::size_t {
    proxy_auth,     ///< missing or wrong token (407 / SOCKS auth failure)
    bad_request,    ///< malformed, oversized or unsupported request
    tunnel_down,    ///< nothing answers on the tunnel's local port
    upstream_auth,  ///< the server refused the member's credentials
    forbidden,      ///< the server's rules forbid the destination
    unreachable,    ///< network or host unreachable, or the name does not resolve there
    refused,        ///< the destination refused the connection
    timeout,        ///< TTL expired or the server did not answer in time
    upstream_error, ///< any other failure of the server or the tunnel
    internal,       ///< an exception inside the bridge (its log failed, a bug, memory exhausted)
    count_
};

/// A short stable name for a failure ("tunnel_down"), used as the JSON key.
std::string_view failure_name(Failure failure);

/// Counters shared between the bridge's thread and readers on other threads.
struct Counters {
    std::atomic<std::uint64_t> active{0};
    std::atomic<std::uint64_t> total{0};
    std::atomic<std::uint64_t> bytes_up{0};   ///< client -> destination
    std::atomic<std::uint64_t> bytes_down{0}; ///< destination -> client
    std::atomic<std::uint64_t> spares{0};     ///< tunnel connections greeted ahead, unused (0 or 1)
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Failure::count_)> failures{};
};

struct ListenerOptions {
    std::uint16_t port = 0;        ///< 127.0.0.1 port to listen on; 0 = any free one
    std::string token;             ///< the local secret: HTTP Basic / SOCKS password of user "phantom"
    std::uint16_t tunnel_port = 0; ///< the tunnel's local SOCKS5 port
    /// The member's Dante credentials (dante mode); nullopt = no auth (direct mode, ssh -D).
    std::optional<std::pair<std::string, std::string>> tunnel_credentials;
    std::size_t max_connections = 256;
    std::chrono::seconds idle_timeout{300};
    std::chrono::seconds handshake_timeout{30}; ///< for the client's request and the tunnel's answer
    /// How long a spare tunnel connection (greeted ahead of the next request) is kept
    /// unused; below the server's negotiation timeout. 0 = no spare.
    std::chrono::seconds spare_lifetime{0};
    HttpLimits limits;
};

/// Receives one line per notable event (level "info"/"warn", event, detail), on the
/// bridge's thread.
using EventSink =
    std::function<void(std::string_view level, std::string_view event, std::string_view detail)>;

/// The bridge. The constructor binds 127.0.0.1 (throws phantom::Error naming the busy port
/// or the cause); start() serves on a thread of its own until stop() or destruction.
/// Nothing is resolved locally: names go to the server in SOCKS5 ATYP=domain requests.
class Listener {
public:
    Listener(ListenerOptions options, EventSink sink);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    /// The bound port (the chosen one when options.port was 0).
    [[nodiscard]] std::uint16_t port() const noexcept;
    [[nodiscard]] const Counters& counters() const noexcept;
    /// Set by the daemon from its probes: while true, a refusal by the server is reported as
    /// a rejected member password rather than a forbidden destination (Dante answers both
    /// with the same code).
    void set_credentials_rejected(bool rejected) noexcept;

    void start();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace phantom::bridge
