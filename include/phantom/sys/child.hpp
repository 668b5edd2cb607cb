// SPDX-License-Identifier: MIT
// Long-lived children and other processes: spawn with a parent-death signal, signal, reap,
// and read a pid's command line before trusting it.
#pragma once

#include <phantom/sys/platform.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace phantom::sys {

/// How a long-lived child is started.
struct SpawnOptions {
    std::vector<std::string> argv;          ///< argv[0] is searched on PATH
    std::optional<Environment> environment; ///< replaces the environment when set
    std::filesystem::path output;           ///< stdout and stderr appended here; empty = /dev/null
    /// Linux: the child gets SIGTERM when this process dies, even by SIGKILL
    /// (PR_SET_PDEATHSIG). macOS has no equivalent: sys::DeathGuard covers it there.
    bool die_with_parent = true;
};

/// Starts a child that outlives the call (stdin /dev/null). Returns its pid.
boost::system::result<int> spawn(const SpawnOptions& options);

/// Makes this process the reaper of its orphaned descendants (Linux PR_SET_CHILD_SUBREAPER),
/// so an ssh orphaned by a killed autossh is re-parented here and can be stopped. No-op
/// where unsupported; returns whether it took effect.
bool become_subreaper() noexcept;

/// Reaps every exited child without blocking; returns their pids.
std::vector<int> reap_exited_children();

/// True while `pid` exists (kill(pid, 0)); a zombie counts as existing.
bool process_exists(int pid) noexcept;

/// True while any process is in process group `group`.
bool process_group_exists(int group) noexcept;

/// Sends `signal` to `pid`; false when it does not exist or is not ours.
bool send_signal(int pid, int signal) noexcept;

/// The argv of `pid` (Linux /proc/PID/cmdline); nullopt when the process is gone,
/// unreadable, or the OS has no /proc (then callers do not signal it). Used to verify a recorded pid before
/// signalling it.
std::optional<std::vector<std::string>> process_command_line(int pid);

/// The executable's name of `pid` as `ps -o comm` shows it (Linux /proc/PID/comm, at most 15
/// characters); nullopt when the process is gone or the OS has no /proc.
std::optional<std::string> process_name(int pid);
/// Every process we can see with its executable's name: /proc on Linux, `ps` elsewhere.
std::vector<std::pair<int, std::string>> process_names();
/// Every pid on the system we can see (Linux /proc); empty where there is no /proc.
std::vector<int> all_processes();

/// Direct children of `pid` (Linux /proc/PID/task/PID/children).
std::vector<int> child_processes(int pid);

/// Sends SIGTERM, waits up to `grace` for the process to go (reaping it when it is our
/// child), then SIGKILL. Returns true when it is gone.
bool terminate_process(int pid, std::chrono::milliseconds grace);

/// Reaps `pid` if it is our exited child; returns true when it was reaped now.
bool reap_child(int pid) noexcept;

/// Forks a detached daemon: in the child (return 0) it has its own session (setsid), cwd
/// `/`, stdin from /dev/null and stdout/stderr appended to `output`; the parent gets the
/// child's pid. Call before any thread is started.
boost::system::result<int> fork_daemon(const std::filesystem::path& output);

/// Waits up to `timeout` for our child `pid` to exit; returns its exit code (128+signal)
/// when it did, nullopt otherwise.
std::optional<int> wait_child(int pid, std::chrono::milliseconds timeout);

} // namespace phantom::sys
