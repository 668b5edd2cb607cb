// SPDX-License-Identifier: MIT
// The checks `phantom doctor` runs, each on its own so unit tests can run one against fakes.
#pragma once

#include <phantom/doctor/check.hpp>

#include <memory>

namespace phantom::doctor {

// In the order doctor runs them: what the user's machine holds, then what could intercept the
// connection, then the connection itself from the server down to the bridge, then the session.

/// ~/.phantom/config exists, is private and parses; sets Context::config.
std::unique_ptr<Check> config_check();
/// The ssh key exists, is a regular file and is readable by its owner only.
std::unique_ptr<Check> ssh_key_check();
/// The server's host key is pinned in the config and in ~/.phantom/known_hosts.
std::unique_ptr<Check> host_key_check();
/// Dante mode: a member password in the keychain (OK) or the config file (WARN); sets
/// Context::password.
std::unique_ptr<Check> password_check();
/// ssh is installed and is OpenSSH (its version).
std::unique_ptr<Check> ssh_tool_check();
/// autossh is installed (WARN with the install command when not: phantom then supervises
/// ssh itself).
std::unique_ptr<Check> autossh_check();
/// Proxy variables already set in the user's shell; socks5:// (names resolved locally) and
/// PHANTOM_ACTIVE (doctor run inside a session) called out.
std::unique_ptr<Check> proxy_variables_check();
/// Clash/mihomo/Surge/V2Ray/Xray/sing-box/…-style processes and their usual local ports.
std::unique_ptr<Check> proxy_apps_check();
/// macOS system proxy (scutil --proxy), GNOME/KDE desktop proxy settings.
std::unique_ptr<Check> system_proxy_check();
/// The server's name resolving into 198.18.0.0/15: a TUN-mode proxy's fake-IP resolver.
std::unique_ptr<Check> fake_ip_check();
/// TCP to the server's SSH port, with timing; DNS failure, refusal and timeout told apart.
std::unique_ptr<Check> server_check();
/// ssh to the server in BatchMode with phantom's key and pinned host key: the login works
/// (host key mismatch, key refused, timeout told apart).
std::unique_ptr<Check> ssh_login_check();
/// The daemon: running, phase, last probe, reconnects; a SOCKS probe through the tunnel (the
/// member password accepted in dante mode). Sets Context::daemon_running/state/bridge.
std::unique_ptr<Check> tunnel_check();
/// The bridge answers with the token and refuses without it.
std::unique_ptr<Check> bridge_check();
/// The environment a child gets uses only the bridge: phantom's URLs point at it, and no
/// proxy setting phantom does not replace (SOCKS_PROXY, npm_config_proxy, …) goes around it.
std::unique_ptr<Check> dns_leak_check();
/// Options::dns_target is reached through the bridge by name (resolved on the server).
std::unique_ptr<Check> remote_dns_check();
/// The shadow home: 0700, owned by the user, isolated names real files, links not dangling.
std::unique_ptr<Check> sandbox_check();
/// With Options::egress_url: the address seen through the tunnel differs from the direct one.
std::unique_ptr<Check> egress_check();

/// All of the above, in order (egress only when options ask for it).
Checks standard_checks(const Options& options);

} // namespace phantom::doctor
