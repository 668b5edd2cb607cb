// SPDX-License-Identifier: MIT
// The server side's settings: <data>/server.toml, overridden by PHANTOM_* variables (design §4).
#pragma once

#include <phantom/sys/platform.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace phantom::admin {

/// "N/SECONDS": at most N events per SECONDS seconds (Dante's session.throttle, hashlimit).
struct Rate {
    unsigned count = 0;
    unsigned seconds = 1;
    friend bool operator==(const Rate&, const Rate&) = default;
};

/// Parses "N/SECONDS" (both positive, N <= 100000, SECONDS <= 3600); a one-line reason otherwise.
boost::system::result<Rate, std::string> parse_rate(std::string_view text);

/// "N/SECONDS".
std::string to_string(const Rate& rate);

struct ServerConfig {
    std::filesystem::path data_dir = "/data";
    std::string public_host;            ///< what members connect to; goes into invites
    std::uint16_t ssh_port = 2222;      ///< published SSH port (sshd listens on it when bare)
    std::string ssh_listen = "0.0.0.0"; ///< sshd's ListenAddress
    std::string dante_addr = "dante";   ///< where Dante listens and the tunnel may forward
    std::uint16_t dante_port = 1080;
    std::string dante_external = "eth0";          ///< Dante's outgoing interface or address
    std::string tunnel_user = "phantom";          ///< the SSH account members log in as
    std::string dante_user = "phantom-dante";     ///< danted's unprivileged account: reads the password file
    std::string pam_service = "phantom";          ///< /etc/pam.d/<name>: pam_pwdfile on the password file
    std::vector<std::string> allow_targets;       ///< CIDRs or names exempt from the private-range block
    std::vector<std::uint16_t> ports = {80, 443}; ///< destination ports members may reach
    unsigned max_sessions = 32;                   ///< per member, unless set per member
    Rate member_rate{30, 1};                      ///< new sessions per member (Dante session.throttle)
    // The team's limit, from the load test (docs/CAPACITY.md): 100 simulated agentic members
    // peaked at 36 new connections in a second and 181 in ten; this passes that untouched.
    Rate egress_rate{20, 1}; ///< new connections of the whole team (iptables hashlimit)
    unsigned egress_burst = 60;
};

/// Files under the data directory.
struct DataFiles {
    std::filesystem::path dir;
    std::filesystem::path server_toml; ///< settings (0600)
    std::filesystem::path users;       ///< users.json: the members, their hashes and limits (0600)
    std::filesystem::path lock;        ///< .lock: held while anything is changed
    std::filesystem::path
        password_file; ///< dante/passwd: "name:hash" of enabled members (0640 root:dante group)
    std::filesystem::path danted_conf;     ///< dante/danted.conf (rendered)
    std::filesystem::path dante_log;       ///< log/danted.log
    std::filesystem::path ssh_dir;         ///< ssh/: host keys, sshd_config, authorized_keys
    std::filesystem::path authorized_keys; ///< ssh/authorized_keys (tunnel account; root-owned 0644)
    std::filesystem::path sshd_config;     ///< ssh/sshd_config (rendered)
    std::filesystem::path host_key;        ///< ssh/ssh_host_ed25519_key
};

DataFiles data_files(const std::filesystem::path& data_dir);

/// Reads <data_dir>/server.toml (absent = defaults) and applies the environment: PHANTOM_PUBLIC_HOST,
/// PHANTOM_SSH_PORT, PHANTOM_SSH_LISTEN, PHANTOM_DANTE_ADDR, PHANTOM_DANTE_PORT, PHANTOM_DANTE_EXTERNAL,
/// PHANTOM_TUNNEL_USER, PHANTOM_DANTE_USER, PHANTOM_PAM_SERVICE, PHANTOM_ALLOW_TARGETS
/// (comma-separated), PHANTOM_PORTS, PHANTOM_MAX_SESSIONS, PHANTOM_MEMBER_RATE, PHANTOM_EGRESS_RATE,
/// PHANTOM_EGRESS_BURST — the environment wins. Throws phantom::Fatal(78) naming the file,
/// line and key, or the variable, on any invalid value.
ServerConfig load_server_config(const std::filesystem::path& data_dir, const sys::Environment& env);

/// server.toml text for `config` (every key, commented), as written on first start.
std::string render_server_toml(const ServerConfig& config);

} // namespace phantom::admin
