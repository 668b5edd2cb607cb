// SPDX-License-Identifier: MIT
// The client's subcommands: one function per file in src/cli/, dispatched by cli::run_cli.
#pragma once

#include <phantom/config/config.hpp>
#include <phantom/session/session.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace phantom::cli {

using Args = std::vector<std::string>;

/// Dispatches argv (without argv[0]) to a subcommand; anything that is not a subcommand is
/// `run -- ARGS…`. Returns the exit code; throws phantom::Error/Fatal for main to print.
int run_cli(const Args& args);

/// Overwrites, in this process's own argv memory, the values of arguments that carry a
/// secret (`--invite URI` holds the member password), so `ps` and /proc/PID/cmdline stop
/// showing them once parsing starts. Call after copying argv.
void hide_secret_arguments(int argc, char** argv);

int cmd_init(const Args& args);
int cmd_connect(const Args& args);
int cmd_disconnect(const Args& args);
int cmd_status(const Args& args);
int cmd_doctor(const Args& args);
int cmd_run(const Args& command);
int cmd_env(const Args& args);
int cmd_shell(const Args& args);
int cmd_help(const Args& args);
int cmd_version(const Args& args);

/// Starts the daemon unless one runs, and waits up to `timeout` for a healthy tunnel (a
/// spinner with elapsed seconds on stderr when `spinner`). Throws Fatal(69) with the cause
/// from the daemon's state and log, after stopping what it started.
int connect_daemon(const config::Config& config, const std::filesystem::path& home,
                   std::chrono::seconds timeout, bool spinner);

/// `phantom connect --install-service`: writes the launchd agent or systemd user unit for
/// this user and starts it; on a refusal by the service manager nothing is left changed.
int install_service(const std::filesystem::path& home);

/// `phantom connect --uninstall-service`: stops and removes it (a no-op when there is none).
int uninstall_service(const std::filesystem::path& home);

/// True when this user's daemon holds its lock (cheap: one open and one flock).
bool daemon_running(const std::filesystem::path& home);

/// The running daemon's bridge, connecting first when `auto_connect` is on (Fatal 69
/// otherwise, or when the daemon never publishes a bridge).
session::Bridge session_bridge(const config::Config& config, const std::filesystem::path& home, bool spinner);

} // namespace phantom::cli
