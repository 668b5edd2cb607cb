// SPDX-License-Identifier: MIT
// The client config, ~/.phantom/config (TOML): schema, defaults, strict loading, atomic save.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phantom::config {

/// How the tunnel reaches the internet: through the team's Dante (per-member SOCKS auth)
/// or through ssh's own dynamic forward (`-D`).
enum class Mode { dante, direct };

std::string_view to_string(Mode mode) noexcept;
std::optional<Mode> parse_mode(std::string_view text) noexcept;

struct ServerSection {
    std::string host;             ///< required
    std::uint16_t port = 22;      ///< SSH port of the team server
    std::string user = "phantom"; ///< the tunnel-only SSH account
    std::string host_key;         ///< pinned "TYPE BASE64"; empty = not pinned
};

struct AuthSection {
    std::string socks_user; ///< member name; required in dante mode
    std::string password;   ///< only when no OS keychain holds it
    std::string ssh_key = "~/.ssh/phantom_ed25519";
};

struct TunnelSection {
    Mode mode = Mode::dante;
    std::string dante_host = "dante"; ///< where the server's sshd forwards to (-L target)
    std::uint16_t dante_port = 1080;
    std::uint16_t local_port = 17080; ///< local end of the tunnel (127.0.0.1)
    std::uint16_t bridge_port = 0;    ///< local bridge; 0 = pick a free port
    int bridge_max_connections = 256; ///< further connections wait in the listen queue
    int bridge_idle_timeout = 300;    ///< seconds without traffic before a connection closes
    int server_alive_interval = 5;    ///< seconds
    int server_alive_count_max = 3;
    int connect_timeout = 10; ///< seconds
};

struct SandboxSection {
    std::string home = "~/.phantom_env";
    std::vector<std::string> isolate = {".claude", ".claude.json"};
};

struct OptionsSection {
    bool auto_connect = true;
    std::vector<std::string> no_proxy; ///< extra NO_PROXY entries beyond localhost
};

struct Config {
    ServerSection server;
    AuthSection auth;
    TunnelSection tunnel;
    SandboxSection sandbox;
    OptionsSection options;
};

/// `$PHANTOM_CONFIG` when set, else `<home>/.phantom/config`.
std::filesystem::path config_path(const std::filesystem::path& home);

/// The state directory `<home>/.phantom` (config, known_hosts, run/, log/).
std::filesystem::path state_dir(const std::filesystem::path& home);

/// Expands a leading `~/` against `home`; other paths are returned unchanged.
std::filesystem::path expand_home(std::string_view path, const std::filesystem::path& home);

/// Parses and validates TOML text. Throws phantom::Fatal(78) whose message starts with
/// `<source>:<line>:<column>:` and whose hint shows the fix (unknown key with "did you
/// mean", wrong type, out-of-range port, unquoted string, missing required key).
Config parse_config(std::string_view text, std::string_view source_name);

/// Loads `path`: refuses a file readable or writable by group/others (like ssh, with the
/// chmod fix), then parse_config(). Throws Fatal(78) when missing or unreadable.
Config load_config(const std::filesystem::path& path);

/// load_config() when the file exists, nullopt when it does not.
std::optional<Config> load_config_if_exists(const std::filesystem::path& path);

/// TOML text for `config`, with a comment per section. parse_config(render) == config.
std::string render_config(const Config& config);

/// Writes render_config() atomically with mode 0600, creating the parent directory 0700.
void save_config(const Config& config, const std::filesystem::path& path);

} // namespace phantom::config
