// SPDX-License-Identifier: MIT
// `phantom connect`, `disconnect` and `status`: start, stop and describe the user's daemon.
#include <phantom/config/config.hpp>
#include <phantom/config/known_hosts.hpp>
#include <phantom/daemon/daemon.hpp>
#include <phantom/daemon/lock.hpp>
#include <phantom/daemon/log.hpp>
#include <phantom/daemon/state.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/child.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/ports.hpp>
#include <phantom/sys/terminal.hpp>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"

namespace po = boost::program_options;

namespace phantom::cli {
namespace {

constexpr int k_default_timeout_seconds = 30;

/// Refuses, before anything starts, what would make the tunnel fail for sure.
void preflight(const config::Config& config, const std::filesystem::path& home,
               const daemon::DaemonFiles& files) {
    const auto key = config::expand_home(config.auth.ssh_key, home);
    if (auto st = sys::file_status(key, true); !st || !st->exists) {
        throw Fatal(exit_code::k_config, fmt::format("SSH key {} does not exist", key.string()),
                    "run `phantom init` to create one, or set [auth] ssh_key");
    }
    const std::string pattern = config::known_hosts_pattern(config.server.host, config.server.port);
    const auto known = sys::read_file(files.known_hosts);
    if (!known || known->find(pattern + " ") == std::string::npos) {
        throw Fatal(
            exit_code::k_config,
            fmt::format("the host key of {} is not pinned in {}", pattern, files.known_hosts.string()),
            "run `phantom init --invite …` (or --host-key 'TYPE BASE64') with what your admin gave you");
    }
    daemon::member_password(config); // throws when dante mode has no password anywhere
}

/// Waits for a connected, healthy daemon. Returns true on success; `spawned` is the daemon
/// this call started (0 when another one was running already).
bool wait_connected(const daemon::DaemonFiles& files, int spawned, std::chrono::seconds timeout, bool spinner,
                    std::string& error) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + timeout;
    const char* frames = "|/-\\";
    int frame = 0;
    bool ours_exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto state = daemon::read_state(files.state);
        const bool held = daemon::InstanceLock::is_held(files.lock);
        if (state && held && state->phase == "connected" && state->last_probe_ok.value_or(false) &&
            sys::process_exists(state->pid)) {
            if (spinner) {
                std::cerr << "\r\033[K";
            }
            return true;
        }
        if (spawned > 0 && !ours_exited) {
            if (const auto code = sys::wait_child(spawned, std::chrono::milliseconds(0))) {
                ours_exited = true;
                // Lost the race to another connect: that daemon is the one to wait for.
                if (*code != daemon::k_already_running) {
                    error = state && !state->last_error.empty()
                                ? state->last_error
                                : fmt::format("the daemon exited with code {}", *code);
                    break;
                }
            }
        }
        if (!held && (spawned == 0 || ours_exited)) {
            // Nobody runs a daemon any more (the one we waited for stopped).
            error = state && !state->last_error.empty() ? state->last_error : "the daemon stopped";
            break;
        }
        if (state && !state->last_error.empty()) {
            error = state->last_error;
        }
        if (spinner) {
            const auto elapsed =
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
            std::cerr << fmt::format("\r{} connecting… {}s", frames[frame++ % 4], elapsed.count())
                      << std::flush;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (spinner) {
        std::cerr << "\r\033[K";
    }
    if (error.empty()) {
        error = fmt::format("no working tunnel after {} s", timeout.count());
    }
    return false;
}

/// Everything both ways of starting the daemon do first: directories, the checks that
/// would make the tunnel fail for sure, and a crashed daemon's leftovers (state file,
/// orphaned ssh), which must never block a new one. Returns true when a daemon runs already.
bool prepare_start(const config::Config& config, const std::filesystem::path& home,
                   const daemon::DaemonFiles& files) {
    daemon::prepare_directories(files);
    preflight(config, home, files);
    if (daemon::InstanceLock::is_held(files.lock)) {
        return true;
    }
    daemon::stop_daemon(files);
    return false;
}

std::string format_bytes(std::uint64_t bytes) {
    if (bytes < 1024) {
        return fmt::format("{} B", bytes);
    }
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string format_duration(std::int64_t seconds) {
    if (seconds < 60) {
        return fmt::format("{}s", seconds);
    }
    if (seconds < 3600) {
        return fmt::format("{}m {}s", seconds / 60, seconds % 60);
    }
    return fmt::format("{}h {}m", seconds / 3600, (seconds % 3600) / 60);
}

} // namespace

int connect_daemon(const config::Config& config, const std::filesystem::path& home,
                   std::chrono::seconds timeout, bool spinner) {
    const auto files = daemon::daemon_files(home);
    int spawned = 0;
    if (!prepare_start(config, home, files)) {
        auto pid = sys::fork_daemon(files.log);
        if (!pid) {
            throw Fatal(exit_code::k_unavailable,
                        fmt::format("cannot start the daemon: {}", pid.error().message()));
        }
        if (*pid == 0) {
            int code = exit_code::k_software;
            try {
                code = daemon::run_daemon(config, home);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "phantom daemon: %s\n", e.what());
            }
            std::fflush(nullptr);
            std::_Exit(code);
        }
        spawned = *pid;
    }
    std::string error;
    if (wait_connected(files, spawned, timeout, spinner, error)) {
        return exit_code::k_ok;
    }
    if (spawned > 0 && sys::wait_child(spawned, std::chrono::milliseconds(0)) == std::nullopt) {
        // Nothing half-started is left behind by a failed connect.
        daemon::stop_daemon(files);
    }
    const auto cut = error.find("; fix: ");
    const std::string cause = cut == std::string::npos ? error : error.substr(0, cut);
    std::string hint = cut == std::string::npos ? "" : error.substr(cut + 7);
    if (hint.empty()) {
        const std::string tail = daemon::tail_lines(files.tunnel_log, 3);
        hint = tail.empty() ? fmt::format("see {}", files.log.string())
                            : fmt::format("ssh said: {} (more in {})", tail, files.tunnel_log.string());
    }
    throw Fatal(exit_code::k_unavailable, fmt::format("cannot connect to {}: {}", config.server.host, cause),
                hint);
}

bool daemon_running(const std::filesystem::path& home) {
    return daemon::InstanceLock::is_held(daemon::daemon_files(home).lock);
}

session::Bridge session_bridge(const config::Config& config, const std::filesystem::path& home,
                               bool spinner) {
    // Fail closed: without a tunnel the command would get a dead proxy, so say so up front.
    if (!daemon_running(home)) {
        if (!config.options.auto_connect) {
            throw Fatal(exit_code::k_unavailable, "not connected to the team server",
                        "run `phantom connect` first (or set auto_connect = true in [options])");
        }
        connect_daemon(config, home, std::chrono::seconds(config.tunnel.connect_timeout + 20), spinner);
    }
    // A daemon that another command has just started publishes its bridge within moments.
    const auto files = daemon::daemon_files(home);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
        if (auto access = daemon::bridge_access(files)) {
            return session::Bridge{access->port, std::move(access->token)};
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw Fatal(exit_code::k_unavailable, "the phantom daemon runs but its bridge is not ready",
                        "see `phantom status`; `phantom disconnect && phantom connect` starts afresh");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

int cmd_connect(const Args& args) {
    po::options_description d(
        "phantom connect [--foreground] [--timeout SECONDS] [--install-service | --uninstall-service]");
    int timeout = k_default_timeout_seconds;
    d.add_options()("foreground", "run the daemon attached to this terminal (for launchd/systemd)")(
        "timeout", po::value(&timeout), "seconds to wait for a working tunnel (default 30)")(
        "install-service",
        "start the daemon at every login: a launchd agent (macOS) or a systemd user unit (Linux) running "
        "`phantom connect --foreground`; started now too")(
        "uninstall-service", "stop and remove that service")("help,h", "show this help");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(d).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw Fatal(exit_code::k_usage, e.what(),
                    "usage: phantom connect [--foreground] [--timeout SECONDS] [--install-service | "
                    "--uninstall-service]");
    }
    if (vm.count("help") != 0U) {
        std::cout << "Start the tunnel daemon; returns once a real probe through the tunnel answers.\n\n"
                  << d;
        return exit_code::k_ok;
    }
    if (timeout < 1 || timeout > 3600) {
        throw Fatal(exit_code::k_usage, fmt::format("--timeout {} is out of range", timeout),
                    "use 1 to 3600 seconds");
    }
    const auto home = sys::home_dir();
    const bool install = vm.count("install-service") != 0U;
    const bool uninstall = vm.count("uninstall-service") != 0U;
    if (install || uninstall) {
        if ((install && uninstall) || vm.count("foreground") != 0U || vm.count("timeout") != 0U) {
            throw Fatal(exit_code::k_usage, "--install-service and --uninstall-service go alone",
                        "usage: phantom connect --install-service (or --uninstall-service)");
        }
        return install ? install_service(home) : uninstall_service(home);
    }
    const auto config = config::load_config(config::config_path(home));
    if (vm.count("foreground") != 0U) {
        const auto files = daemon::daemon_files(home);
        prepare_start(config, home, files);
        const int code = daemon::run_daemon(config, home);
        if (code == daemon::k_already_running) {
            throw Fatal(exit_code::k_unavailable, "a phantom daemon is already running for this user",
                        "`phantom disconnect` stops it");
        }
        if (code != exit_code::k_ok) {
            const auto state = daemon::read_state(files.state);
            throw Fatal(code, state && !state->last_error.empty() ? state->last_error : "the daemon failed",
                        fmt::format("see {}", files.log.string()));
        }
        return code;
    }
    const int code = connect_daemon(config, home, std::chrono::seconds(timeout), sys::stderr_is_terminal());
    const auto state = daemon::read_state(daemon::daemon_files(home).state);
    std::cout << fmt::format("connected to {} ({} mode), tunnel on 127.0.0.1:{}\n",
                             state ? state->server : config.server.host,
                             config::to_string(config.tunnel.mode), config.tunnel.local_port);
    return code;
}

int cmd_disconnect(const Args& args) {
    if (!args.empty() && (args.front() == "--help" || args.front() == "-h")) {
        std::cout << "phantom disconnect: stop the tunnel daemon and everything it started.\n";
        return exit_code::k_ok;
    }
    if (!args.empty()) {
        throw Fatal(exit_code::k_usage, fmt::format("unexpected argument \"{}\"", args.front()),
                    "usage: phantom disconnect");
    }
    const auto files = daemon::daemon_files(sys::home_dir());
    const bool was_running = daemon::stop_daemon(files);
    if (daemon::InstanceLock::is_held(files.lock)) {
        throw Fatal(exit_code::k_failure, "the daemon did not stop",
                    fmt::format("see {}; its pid is in {}", files.log.string(), files.state.string()));
    }
    std::cout << (was_running ? "disconnected\n" : "not connected\n");
    return exit_code::k_ok;
}

int cmd_status(const Args& args) {
    const bool json = !args.empty() && args.front() == "--json";
    if (!args.empty() && !json) {
        if (args.front() == "--help" || args.front() == "-h") {
            std::cout
                << "phantom status [--json]: exit 0 connected and healthy, 3 not connected, 1 degraded.\n";
            return exit_code::k_ok;
        }
        throw Fatal(exit_code::k_usage, fmt::format("unexpected argument \"{}\"", args.front()),
                    "usage: phantom status [--json]");
    }
    const auto files = daemon::daemon_files(sys::home_dir());
    const bool running = daemon::InstanceLock::is_held(files.lock);
    const auto state = running ? daemon::read_state(files.state) : std::nullopt;
    int code = exit_code::k_not_connected;
    if (running && state) {
        code = state->phase == "connected" && state->last_probe_ok.value_or(false) ? exit_code::k_ok
                                                                                   : exit_code::k_failure;
    } else if (running) {
        code = exit_code::k_failure;
    }
    if (json) {
        daemon::State shown = state.value_or(daemon::State{});
        if (!running) {
            shown.phase = "not connected";
        }
        std::cout << daemon::to_json(shown) << "\n";
        return code;
    }
    if (!running) {
        std::cout << "not connected (run `phantom connect`)\n";
        return code;
    }
    if (!state) {
        std::cout << "daemon running, state not yet written\n";
        return code;
    }
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    std::cout << fmt::format("{}\n", code == exit_code::k_ok ? "connected"
                                                             : fmt::format("degraded ({})", state->phase));
    std::cout << fmt::format("  server      {} ({} mode)\n", state->server, state->mode);
    std::cout << fmt::format("  uptime      {}\n", format_duration(now - state->started_at));
    std::cout << fmt::format("  tunnel      {} pid {}, 127.0.0.1:{}\n", state->tunnel_program,
                             state->tunnel_pid, state->local_port);
    if (state->bridge_port != 0) {
        const auto& b = state->bridge;
        std::cout << fmt::format("  bridge      127.0.0.1:{}, {} open, {} total, {} up, {} down\n",
                                 state->bridge_port, b.active, b.total, format_bytes(b.bytes_up),
                                 format_bytes(b.bytes_down));
        if (!b.failures.empty()) {
            std::string list;
            for (const auto& [cause, n] : b.failures) {
                list += fmt::format("{}{} {}", list.empty() ? "" : ", ", cause, n);
            }
            std::cout << fmt::format("  failures    {}\n", list);
        }
    }
    if (state->last_probe_at > 0) {
        std::cout << fmt::format(
            "  last probe  {}, {} ago{}\n", state->last_probe_ok.value_or(false) ? "ok" : "failed",
            format_duration(now - state->last_probe_at),
            state->last_probe_ok.value_or(false) ? fmt::format(", {:.1f} ms", state->last_probe_ms) : "");
    }
    std::cout << fmt::format("  reconnects  {}\n", state->reconnects);
    if (!state->last_error.empty()) {
        std::cout << fmt::format("  last error  {}\n", state->last_error);
    }
    return code;
}

} // namespace phantom::cli
