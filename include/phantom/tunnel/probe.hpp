// SPDX-License-Identifier: MIT
// The health probe: a real SOCKS5 greeting (plus RFC 1929 auth in dante mode) on the tunnel.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace phantom::tunnel {

/// Why a probe failed, in the words `connect` and `status` print.
enum class ProbeFailure {
    none,
    refused,         ///< nothing listens on the local port (tunnel process down)
    closed,          ///< accepted, then closed: ssh could not open the channel to Dante
    timeout,         ///< no answer in time (link dead, keepalives not yet expired)
    protocol,        ///< the far end does not speak SOCKS5 (or the credentials exceed 255 bytes)
    auth_rejected,   ///< Dante refused the member's name/password (RFC 1929 status != 0)
    method_rejected, ///< no acceptable method (0xFF), e.g. Dante wants auth we did not offer
};

/// One line for people ("the server refused your member name or password"); "ok" for none.
const char* describe(ProbeFailure failure) noexcept;

struct ProbeResult {
    ProbeFailure failure = ProbeFailure::none;
    std::chrono::microseconds latency{0};
    [[nodiscard]] bool ok() const noexcept { return failure == ProbeFailure::none; }
};

/// The target of the dante-mode check: port 1 on the Dante host's own loopback. The
/// server renders a `socks pass` rule for exactly this target (phantom-admin), nothing
/// listens there, so Dante answers "connection refused" and nothing leaves the server.
inline constexpr const char* k_check_host = "127.0.0.1";
inline constexpr std::uint16_t k_check_port = 1;

/// Credentials for RFC 1929; absent in direct mode (method 0x00 "no auth" is offered).
struct ProbeCredentials {
    std::string user;
    std::string password;
};

/// Connects to 127.0.0.1:`port`, sends a SOCKS5 greeting (RFC 1928 §3) and, with
/// credentials, the username/password sub-negotiation (RFC 1929 §2) and a CONNECT to
/// k_check_host:k_check_port, then closes. Dante 1.4 answers the RFC 1929 step with success
/// whatever the password and runs PAM only when a request is evaluated, so only the
/// CONNECT's reply tells: "not allowed" (REP 2) means the password was refused, any other
/// reply (normally "connection refused") that it was accepted. Never blocks longer than
/// `timeout` in total. A user name or password longer than 255 bytes cannot be encoded (RFC 1929 has
/// one length byte): that is `protocol`, and nothing is sent. `latency` is measured on
/// success only (connect to last reply).
ProbeResult probe_socks(std::uint16_t port, const std::optional<ProbeCredentials>& credentials,
                        std::chrono::milliseconds timeout);

} // namespace phantom::tunnel
