// SPDX-License-Identifier: MIT
// The argv and environment of the tunnel process: autossh -M 0, or plain ssh as a fallback.
#pragma once

#include <phantom/config/config.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace phantom::tunnel {

/// Everything the command needs besides the config.
struct TunnelPaths {
    std::filesystem::path ssh_key;     ///< absolute
    std::filesystem::path known_hosts; ///< ~/.phantom/known_hosts
};

/// The ssh options and forward (without the program name): `-N -T`, BatchMode,
/// IdentitiesOnly, IdentityFile, UserKnownHostsFile (and no global one: the pin is the only
/// trust anchor), StrictHostKeyChecking=yes, ExitOnForwardFailure, ServerAlive*,
/// ConnectTimeout, no connection sharing, agent, X11 or local command, `-p PORT -l USER`,
/// `-L 127.0.0.1:S:<dante>:<port>` (dante) or `-D 127.0.0.1:S` (direct), then `-- HOST`
/// so the host can never be read as an option. Everything phantom owns is explicit
/// (design §7: ssh finds ~/.ssh through passwd, not $HOME); the user's ~/.ssh/config still
/// applies to the rest (ProxyJump etc.). Never contains the SOCKS password. Throws
/// phantom::Error when a value cannot be passed to ssh safely (invalid host or user name,
/// port 0, a relative path or one with quotes, backslashes or control characters).
std::vector<std::string> ssh_arguments(const config::Config& config, const TunnelPaths& paths,
                                       std::uint16_t local_port);

/// ssh_arguments()' options for a login without a tunnel: no -N, no forwards (also none
/// from ~/.ssh/config), `ConnectTimeout=connect_timeout`. The server's forced command
/// (nologin) answers the session, so ssh's exit status is 255 exactly when ssh itself
/// failed (connection, host key, authentication): what `phantom doctor` checks.
std::vector<std::string> ssh_login_arguments(const config::Config& config, const TunnelPaths& paths,
                                             int connect_timeout);

/// `-M 0` followed by ssh_arguments(), with one more `--` before ssh's: autossh (1.4g)
/// parses its argv with getopt, which consumes the first `--`, and hands the rest to ssh
/// verbatim. The monitor port is off: ssh's ServerAlive does the detection, phantom's
/// probes do the rest.
std::vector<std::string> autossh_arguments(const config::Config& config, const TunnelPaths& paths,
                                           std::uint16_t local_port);

/// Variables to add to autossh's environment: AUTOSSH_GATETIME=0, so that an ssh failing
/// soon after start (network still down after a wake) is retried rather than fatal.
std::map<std::string, std::string> autossh_environment();

} // namespace phantom::tunnel
