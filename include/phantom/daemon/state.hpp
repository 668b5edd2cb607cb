// SPDX-License-Identifier: MIT
// ~/.phantom/run/state.json: what the daemon is doing, for `status`, `connect` and doctor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace phantom::daemon {

/// The bridge's counters since the daemon started.
struct BridgeStats {
    std::uint64_t active = 0;                      ///< connections open now
    std::uint64_t total = 0;                       ///< connections accepted
    std::uint64_t bytes_up = 0;                    ///< client -> destination
    std::uint64_t bytes_down = 0;                  ///< destination -> client
    std::map<std::string, std::uint64_t> failures; ///< by cause ("tunnel_down", "refused" …), non-zero only
};

/// The daemon's published state. Never holds a secret (the bridge token is in run/token).
struct State {
    int pid = 0;                       ///< the daemon
    int tunnel_pid = 0;                ///< autossh (or ssh when supervising ssh itself)
    std::string tunnel_program;        ///< "autossh" or "ssh"
    std::uint16_t local_port = 0;      ///< the tunnel's local SOCKS port
    std::uint16_t bridge_port = 0;     ///< 0 until the bridge listens
    std::string mode;                  ///< "dante" or "direct"
    std::string server;                ///< "user@host:port"
    std::int64_t started_at = 0;       ///< unix seconds
    std::string phase;                 ///< "starting", "connected", "reconnecting", "stopping"
    int reconnects = 0;                ///< ssh restarts after the first connection
    std::optional<bool> last_probe_ok; ///< nullopt until the first probe (JSON null)
    std::int64_t last_probe_at = 0;    ///< unix seconds; 0 = never
    double last_probe_ms = 0;          ///< latency of the last successful probe
    std::string last_error;            ///< cause of the last failure, one line
    BridgeStats bridge;
};

/// Serialises with to_json() (plus a final newline) and writes atomically (temp file, fsync, rename) with
/// mode 0600; the directory must exist. Throws phantom::Error when the file cannot be written.
void write_state(const std::filesystem::path& file, const State& state);

/// Reads state.json; nullopt when missing, unreadable, malformed, without a positive "pid",
/// or when a known key has the wrong type or an out-of-range value (a crash mid-write cannot
/// happen, writes are atomic, but a hand-edited file must not crash `status`). Unknown keys
/// are ignored and absent ones keep their defaults, so files from other versions still read.
/// Never throws.
std::optional<State> read_state(const std::filesystem::path& file);

/// The JSON text of `state`: one key per line in declaration order, `last_probe_ok` null when
/// unknown, without a final newline (what `status --json` prints).
std::string to_json(const State& state);

} // namespace phantom::daemon
