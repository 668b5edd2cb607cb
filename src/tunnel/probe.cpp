// SPDX-License-Identifier: MIT
// The health probe: a real SOCKS5 greeting (plus RFC 1929 auth in dante mode) on the tunnel.
#include <phantom/sys/socket.hpp>
#include <phantom/tunnel/probe.hpp>

#include <array>
#include <cerrno>
#include <vector>

namespace phantom::tunnel {
namespace {

constexpr std::uint8_t k_socks_version = 0x05;       // RFC 1928 §3
constexpr std::uint8_t k_method_none = 0x00;         // RFC 1928 §3 "NO AUTHENTICATION REQUIRED"
constexpr std::uint8_t k_method_password = 0x02;     // RFC 1928 §3 "USERNAME/PASSWORD"
constexpr std::uint8_t k_method_unacceptable = 0xFF; // RFC 1928 §3 "NO ACCEPTABLE METHODS"
constexpr std::uint8_t k_auth_version = 0x01;        // RFC 1929 §2
constexpr std::size_t k_max_field = 255;             // RFC 1929 §2: one length byte
constexpr std::uint8_t k_command_connect = 0x01;     // RFC 1928 §4
constexpr std::uint8_t k_atyp_ipv4 = 0x01;           // RFC 1928 §4
constexpr std::uint8_t k_reply_not_allowed = 0x02;   // RFC 1928 §6 "connection not allowed by ruleset"

ProbeFailure io_failure(const boost::system::error_code& error) {
    // A reset or a broken pipe is the same story as an orderly close: the far end gave up.
    return error.value() == ETIMEDOUT ? ProbeFailure::timeout : ProbeFailure::closed;
}

ProbeFailure connect_failure(const boost::system::error_code& error) {
    if (error.value() == ETIMEDOUT) {
        return ProbeFailure::timeout;
    }
    // ECONNREFUSED, and the rare local failures (no descriptors, no ephemeral port): either
    // way nothing answers on the tunnel port.
    return ProbeFailure::refused;
}

// Sends `request` and reads the 2-byte reply every step of both RFCs uses. nullopt on
// success (reply filled), else why it failed.
std::optional<ProbeFailure> exchange(sys::LoopbackStream& stream, const std::vector<std::uint8_t>& request,
                                     std::array<std::uint8_t, 2>& reply, sys::Deadline deadline) {
    if (auto written = stream.write_all(request, deadline); !written) {
        return io_failure(written.error());
    }
    auto got = stream.read_exact(reply, deadline);
    if (!got) {
        return io_failure(got.error());
    }
    if (*got < reply.size()) {
        // ssh -L accepts locally before it opens the channel; when the server side cannot
        // reach Dante (or refuses the forward) ssh closes the local socket: EOF here.
        return ProbeFailure::closed;
    }
    return std::nullopt;
}

} // namespace

const char* describe(ProbeFailure failure) noexcept {
    switch (failure) {
    case ProbeFailure::none:
        return "ok";
    case ProbeFailure::refused:
        return "nothing listens on the local tunnel port (the tunnel is not running)";
    case ProbeFailure::closed:
        return "the tunnel closed the connection (the server could not reach its SOCKS service)";
    case ProbeFailure::timeout:
        return "the tunnel did not answer in time (the link to the server may be down)";
    case ProbeFailure::protocol:
        return "the tunnel port did not answer like a SOCKS5 server";
    case ProbeFailure::auth_rejected:
        return "the server refused your member name or password";
    case ProbeFailure::method_rejected:
        return "the SOCKS server accepted none of the offered login methods (check the mode: dante or "
               "direct)";
    }
    return "unknown probe failure";
}

ProbeResult probe_socks(std::uint16_t port, const std::optional<ProbeCredentials>& credentials,
                        std::chrono::milliseconds timeout) {
    ProbeResult result;
    if (credentials &&
        (credentials->user.size() > k_max_field || credentials->password.size() > k_max_field)) {
        result.failure = ProbeFailure::protocol;
        return result;
    }
    const auto start = std::chrono::steady_clock::now();
    const sys::Deadline deadline = start + timeout;

    auto stream = sys::LoopbackStream::connect(port, deadline);
    if (!stream) {
        result.failure = connect_failure(stream.error());
        return result;
    }

    // RFC 1928 §3: VER, NMETHODS, METHODS. One method only, so the server's choice is known.
    const std::uint8_t method = credentials ? k_method_password : k_method_none;
    std::array<std::uint8_t, 2> reply{};
    if (auto failed = exchange(*stream, {k_socks_version, 1, method}, reply, deadline)) {
        result.failure = *failed;
        return result;
    }
    if (reply[0] != k_socks_version) {
        result.failure = ProbeFailure::protocol;
        return result;
    }
    if (reply[1] == k_method_unacceptable) {
        result.failure = ProbeFailure::method_rejected;
        return result;
    }
    if (reply[1] != method) {
        // A method we did not offer: not a SOCKS5 server we can talk to.
        result.failure = ProbeFailure::protocol;
        return result;
    }

    if (credentials) {
        // RFC 1929 §2: VER 1, ULEN, UNAME, PLEN, PASSWD; reply VER, STATUS (0 = success).
        std::vector<std::uint8_t> request;
        request.reserve(3 + credentials->user.size() + credentials->password.size());
        request.push_back(k_auth_version);
        request.push_back(static_cast<std::uint8_t>(credentials->user.size()));
        request.insert(request.end(), credentials->user.begin(), credentials->user.end());
        request.push_back(static_cast<std::uint8_t>(credentials->password.size()));
        request.insert(request.end(), credentials->password.begin(), credentials->password.end());
        if (auto failed = exchange(*stream, request, reply, deadline)) {
            result.failure = *failed;
            return result;
        }
        if (reply[0] != k_auth_version) {
            result.failure = ProbeFailure::protocol;
            return result;
        }
        if (reply[1] != 0) {
            result.failure = ProbeFailure::auth_rejected;
            return result;
        }
        // RFC 1928 §4: VER, CMD=CONNECT, RSV, ATYP=IPv4, DST.ADDR, DST.PORT; only the first
        // two bytes of the reply (VER, REP) matter here.
        std::array<std::uint8_t, 4> check_addr{127, 0, 0, 1};
        const std::vector<std::uint8_t> connect = {k_socks_version,
                                                   k_command_connect,
                                                   0,
                                                   k_atyp_ipv4,
                                                   check_addr[0],
                                                   check_addr[1],
                                                   check_addr[2],
                                                   check_addr[3],
                                                   static_cast<std::uint8_t>(k_check_port >> 8),
                                                   static_cast<std::uint8_t>(k_check_port & 0xff)};
        if (auto failed = exchange(*stream, connect, reply, deadline)) {
            result.failure = *failed;
            return result;
        }
        if (reply[0] != k_socks_version) {
            result.failure = ProbeFailure::protocol;
            return result;
        }
        if (reply[1] == k_reply_not_allowed) {
            result.failure = ProbeFailure::auth_rejected;
            return result;
        }
    }

    result.latency =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    return result;
}

} // namespace phantom::tunnel
