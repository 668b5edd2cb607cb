// SPDX-License-Identifier: MIT
// SOCKS5 messages (RFC 1928) and username/password auth (RFC 1929), both directions.
#pragma once

#include <phantom/bridge/http.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace phantom::bridge::socks5 {

inline constexpr std::uint8_t k_version = 0x05;
inline constexpr std::uint8_t k_method_none = 0x00;
inline constexpr std::uint8_t k_method_password = 0x02;
inline constexpr std::uint8_t k_method_unacceptable = 0xFF;
inline constexpr std::uint8_t k_cmd_connect = 0x01;

/// REP codes of RFC 1928 §6.
enum class Reply : std::uint8_t {
    succeeded = 0x00,
    general_failure = 0x01,
    not_allowed = 0x02,
    network_unreachable = 0x03,
    host_unreachable = 0x04,
    connection_refused = 0x05,
    ttl_expired = 0x06,
    command_not_supported = 0x07,
    address_type_not_supported = 0x08,
};

/// Result of parsing a message from the front of buffered bytes.
template <class T>
struct Parsed {
    enum class Status { incomplete, invalid, complete };
    Status status = Status::incomplete;
    T value{};
    std::size_t size = 0;   ///< bytes the message took, when complete
    std::string_view error; ///< why, when invalid
};

/// Client greeting: VER NMETHODS METHODS.
Parsed<std::vector<std::uint8_t>> parse_greeting(std::string_view data);

/// RFC 1929 request: VER=1 ULEN UNAME PLEN PASSWD.
struct Credentials {
    std::string user;
    std::string password;
};
Parsed<Credentials> parse_password_request(std::string_view data);

/// A request: VER CMD RSV ATYP DST.ADDR DST.PORT. A command other than CONNECT parses
/// (its code is in `command`) so it can be answered "command not supported"; an unknown
/// address type is invalid with `address_type_unknown` set.
struct Request {
    std::uint8_t command = 0;
    Target target;
    bool address_type_unknown = false;
};
Parsed<Request> parse_request(std::string_view data);

/// A reply with BND.ADDR 0.0.0.0:0 (the bridge never reveals its upstream's addresses).
std::string reply(Reply code);

/// What the bridge sends upstream: a greeting offering one method, the RFC 1929 request,
/// and a CONNECT request (ATYP domain for a name — resolved by the server — else the
/// literal's type).
std::string client_greeting(bool with_password);
std::string client_password_request(std::string_view user, std::string_view password);
std::string client_connect(const Target& target);

/// Upstream answers: method selection (2 bytes), RFC 1929 status (2 bytes), and the
/// CONNECT reply (its REP code; the variable-length bound address is skipped).
Parsed<std::uint8_t> parse_method_selection(std::string_view data);
Parsed<bool> parse_password_status(std::string_view data);
Parsed<Reply> parse_reply(std::string_view data);

/// A short cause for a reply code, for logs and error bodies ("connection refused").
std::string_view describe(Reply code);

/// The HTTP status a proxy client gets for an upstream reply code: 504 for TTL expired,
/// 502 otherwise.
int http_status(Reply code);

} // namespace phantom::bridge::socks5
