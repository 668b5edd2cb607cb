// SPDX-License-Identifier: MIT
// The per-user daemon: holds the instance lock, supervises the tunnel, publishes its state.
#pragma once

#include <phantom/config/config.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace phantom::daemon {

/// Where the daemon keeps its files, all under ~/.phantom.
struct DaemonFiles {
    std::filesystem::path run_dir;     ///< ~/.phantom/run (0700)
    std::filesystem::path lock;        ///< run/lock: flock held for the daemon's life
    std::filesystem::path state;       ///< run/state.json (0600)
    std::filesystem::path token;       ///< run/token (0600): the bridge's secret, new per daemon
    std::filesystem::path log_dir;     ///< ~/.phantom/log (0700)
    std::filesystem::path log;         ///< log/phantom.log: the daemon's events
    std::filesystem::path tunnel_log;  ///< log/ssh.log: what autossh and ssh print
    std::filesystem::path known_hosts; ///< ~/.phantom/known_hosts
};

DaemonFiles daemon_files(const std::filesystem::path& home);

/// Creates run/ and log/ with mode 0700. Throws phantom::Fatal(78) when it cannot.
void prepare_directories(const DaemonFiles& files);

/// The member password for the probe in dante mode: the config's, else the keychain's.
/// nullopt in direct mode. Throws phantom::Fatal(78) when dante mode has none.
std::optional<std::string> member_password(const config::Config& config);

/// How a child reaches the running daemon's bridge.
struct BridgeAccess {
    std::uint16_t port = 0;
    std::string token;
};

/// The bridge of the running daemon, from state.json and run/token; nullopt while there is
/// none (not running, still starting) or when the token file is not a private file of ours.
std::optional<BridgeAccess> bridge_access(const DaemonFiles& files);

/// Exit code of run_daemon() when another daemon already holds the lock.
inline constexpr int k_already_running = 75;

/// Runs the daemon in this process until SIGTERM or SIGINT: takes the lock (returns
/// k_already_running when another daemon holds it), checks the local port, supervises
/// autossh (plain ssh when autossh is missing; PHANTOM_AUTOSSH / PHANTOM_SSH name other
/// programs, PHANTOM_AUTOSSH=none forces plain ssh), serves the bridge (a new token in
/// run/token), probes, logs and writes state.json.
/// SIGHUP or SIGUSR1 forces an immediate reconnect. Returns 0 after a clean stop, 69 when
/// the tunnel cannot work (busy port, key refused, wrong password, bridge port taken; the cause is in
/// state.json and the log).
int run_daemon(const config::Config& config, const std::filesystem::path& home);

/// Stops the daemon of this user (SIGTERM, then SIGKILL after `grace`) and anything it
/// left behind, verifying every pid's command line before signalling it. Returns true when
/// something was running.
bool stop_daemon(const DaemonFiles& files);

} // namespace phantom::daemon
