// SPDX-License-Identifier: MIT
// A helper process that stops this process's children when it dies, even by SIGKILL.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>

namespace phantom::sys {

/// The portable stand-in for Linux's PR_SET_PDEATHSIG (macOS has none): a forked helper
/// holds the read end of a pipe whose write end only this process has. When the pipe
/// reports EOF — this process is gone, however it died — the helper sends SIGTERM to every
/// process group it was told to watch, then SIGKILL to those still there after `grace`.
/// Watched children must lead their own process group (sys::spawn does that).
class DeathGuard {
public:
    /// True where the OS has no parent-death signal for children (everything but Linux).
    static bool needed() noexcept;

    /// Forks the helper (a copy of this process: `ps` shows it under the same command line). Call while this
    /// process has no other threads.
    static boost::system::result<DeathGuard> start(std::chrono::milliseconds grace);

    DeathGuard(DeathGuard&& other) noexcept;
    DeathGuard& operator=(DeathGuard&& other) noexcept;
    DeathGuard(const DeathGuard&) = delete;
    DeathGuard& operator=(const DeathGuard&) = delete;
    /// Closes the pipe: the helper then stops whatever it still watches and exits.
    ~DeathGuard();

    /// Adds a process group (the pid of a child from sys::spawn). At most 32 at a time.
    void watch(int process_group) noexcept;
    /// Removes a process group that was stopped and reaped, so its id may be reused safely.
    void forget(int process_group) noexcept;

    /// The helper's pid.
    [[nodiscard]] int pid() const noexcept { return m_pid; }

private:
    DeathGuard(int write_fd, int pid) noexcept : m_fd(write_fd), m_pid(pid) {}
    void send(int value) noexcept;

    int m_fd = -1;
    int m_pid = 0;
};

} // namespace phantom::sys
