// SPDX-License-Identifier: MIT
// The invite URI of design §3: built by phantom-admin, consumed by `phantom init --invite`.
#pragma once

#include <phantom/config/config.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace phantom::config {

/// phantom://USER:PASSWORD@HOST:SSH_PORT/?mode=…&socks_port=…&tunnel_user=…&hostkey=…
/// (&dante_host=… where the server's Dante is not named "dante").
struct Invite {
    std::string socks_user;
    std::string password;
    std::string host;
    std::uint16_t ssh_port = 22;
    Mode mode = Mode::dante;
    std::uint16_t socks_port = 1080;
    std::string tunnel_user = "phantom";
    std::string host_key; ///< "TYPE BASE64"
    std::string dante_host = "dante";
};

/// Parses with Boost.URL and validates every field (scheme, user names, host, ports, mode,
/// host key). Userinfo and query values are percent-decoded per RFC 3986 ('+' stays '+');
/// an IPv6 host is returned without brackets. hostkey is required, the other parameters
/// default as in Invite; unknown parameters are ignored, repeated ones rejected.
/// Hostile input yields a one-line reason prefixed "invite: ", never a partially filled
/// Invite. The error text never contains the password.
boost::system::result<Invite, std::string> parse_invite(std::string_view uri);

/// The URI for `invite`, percent-encoding everything outside RFC 3986 "unreserved" in the
/// userinfo and the query; dante_host is written only when it is not "dante". For a valid
/// invite, parse_invite(format_invite(x)) gives back x.
std::string format_invite(const Invite& invite);

} // namespace phantom::config
