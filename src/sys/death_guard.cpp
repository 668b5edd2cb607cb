// SPDX-License-Identifier: MIT
// A helper process that stops this process's children when it dies, even by SIGKILL.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <phantom/config.hpp>
#include <phantom/sys/death_guard.hpp>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <utility>

#include "sys/posix.hpp"

namespace phantom::sys {
namespace {

constexpr std::size_t k_max_groups = 32;

void sleep_ms(long ms) noexcept {
    timespec t{ms / 1000, (ms % 1000) * 1000000L};
    while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/// The helper's whole life, between fork and _exit: only async-signal-safe calls, no
/// allocation (the parent may have had other threads).
[[noreturn]] void run_guard(int read_fd, long grace_ms) noexcept {
    // Its own group, no terminal signals: a ^C or a signal to the parent's group must not
    // take the guard down with the parent it exists to outlive.
    ::setpgid(0, 0);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // A parent started with stdio closed got a pipe end among 0-2: move it out of the way
    // of the dup2 calls below.
    if (read_fd <= STDERR_FILENO) {
        read_fd = ::fcntl(read_fd, F_DUPFD, STDERR_FILENO + 1);
        if (read_fd < 0) {
            ::_exit(1);
        }
    }
    // Hold nothing of the parent's but the pipe: not its lock file, log or sockets.
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
    }
    long max_fd = ::sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) {
        max_fd = 65536;
    }
    for (int fd = STDERR_FILENO + 1; fd < max_fd; ++fd) {
        if (fd != read_fd) {
            ::close(fd);
        }
    }

    std::array<int, k_max_groups> groups{};
    std::array<unsigned char, sizeof(std::int32_t)> buffer{};
    std::size_t filled = 0;
    for (;;) {
        const ssize_t n = ::read(read_fd, buffer.data() + filled, buffer.size() - filled);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; // EOF: the parent is gone
        }
        filled += static_cast<std::size_t>(n);
        if (filled < buffer.size()) {
            continue;
        }
        filled = 0;
        std::int32_t value = 0;
        std::memcpy(&value, buffer.data(), sizeof value);
        if (value > 0) {
            for (auto& slot : groups) {
                if (slot == 0) {
                    slot = value;
                    break;
                }
            }
        } else if (value < 0) {
            for (auto& slot : groups) {
                if (slot == -value) {
                    slot = 0;
                }
            }
        }
    }

    bool any = false;
    for (const int group : groups) {
        if (group > 0 && ::killpg(group, SIGTERM) == 0) {
            any = true;
        }
    }
    for (long waited = 0; any && waited < grace_ms; waited += 20) {
        sleep_ms(20);
        any = false;
        for (const int group : groups) {
            any = any || (group > 0 && ::killpg(group, 0) == 0);
        }
    }
    for (const int group : groups) {
        if (group > 0) {
            ::killpg(group, SIGKILL);
        }
    }
    ::_exit(0);
}

} // namespace

bool DeathGuard::needed() noexcept {
    return PHANTOM_HAVE_PRCTL == 0;
}

boost::system::result<DeathGuard> DeathGuard::start(std::chrono::milliseconds grace) {
    int fds[2];
    if (::pipe(fds) != 0) {
        return posix::last_error();
    }
    posix::UniqueFd read_end(fds[0]);
    posix::UniqueFd write_end(fds[1]);
    // Only this process may hold the write end: a child that inherited it would keep the
    // pipe open after we die, and the guard would never hear of it.
    if (::fcntl(write_end.get(), F_SETFD, FD_CLOEXEC) != 0) {
        return posix::last_error();
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        return posix::last_error();
    }
    if (pid == 0) {
        run_guard(read_end.get(), static_cast<long>(grace.count()));
    }
    return DeathGuard(write_end.release(), pid);
}

DeathGuard::DeathGuard(DeathGuard&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_pid(std::exchange(other.m_pid, 0)) {}

DeathGuard& DeathGuard::operator=(DeathGuard&& other) noexcept {
    if (this != &other) {
        posix::UniqueFd(std::exchange(m_fd, std::exchange(other.m_fd, -1)));
        m_pid = std::exchange(other.m_pid, 0);
    }
    return *this;
}

DeathGuard::~DeathGuard() {
    if (m_fd >= 0) {
        ::close(m_fd);
        // The guard exits as soon as it reads EOF; reap it so it is not left a zombie.
        int status = 0;
        for (int i = 0; i < 100 && ::waitpid(m_pid, &status, WNOHANG) == 0; ++i) {
            sleep_ms(10);
        }
    }
}

void DeathGuard::watch(int process_group) noexcept {
    if (process_group > 0) {
        send(process_group);
    }
}

void DeathGuard::forget(int process_group) noexcept {
    if (process_group > 0) {
        send(-process_group);
    }
}

void DeathGuard::send(int value) noexcept {
    if (m_fd < 0) {
        return;
    }
    const std::int32_t message = value;
    // A 4-byte write to a pipe is atomic (PIPE_BUF). A failed write means the guard died:
    // the Linux death signal still covers the children; nothing else can be done.
    ssize_t n = 0;
    do {
        n = ::write(m_fd, &message, sizeof message);
    } while (n < 0 && errno == EINTR);
}

} // namespace phantom::sys
