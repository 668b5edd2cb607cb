// SPDX-License-Identifier: MIT
// The single-instance lock: exclusive, released on destruction and on any exit, never inherited.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <phantom/daemon/lock.hpp>
#include <phantom/sys/fs.hpp>

#include <cerrno>
#include <filesystem>
#include <optional>

#include "catch.hpp"
#include "temp_dir.hpp"

using phantom::daemon::InstanceLock;

namespace {

// Kills and reaps a child at scope exit, so a failed REQUIRE never leaves one behind.
class Child {
public:
    explicit Child(pid_t pid) : m_pid(pid) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            wait();
        }
    }
    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }
    /// Waits for the child to end; returns its raw wait status.
    int wait() {
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_pid = -1;
        return status;
    }

private:
    pid_t m_pid;
};

struct Pipe {
    Pipe() { REQUIRE(::pipe(fds) == 0); }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (fds[0] >= 0) {
            ::close(fds[0]);
            fds[0] = -1;
        }
    }
    void close_write() {
        if (fds[1] >= 0) {
            ::close(fds[1]);
            fds[1] = -1;
        }
    }
    /// One byte from the other end, or 0 at end of file.
    char read_byte() {
        char byte = 0;
        ssize_t n = 0;
        do {
            n = ::read(fds[0], &byte, 1);
        } while (n < 0 && errno == EINTR);
        return n == 1 ? byte : '\0';
    }
    int fds[2] = {-1, -1};
};

// In a forked child: nothing useful can be done when the parent is gone.
void send_byte(int fd, char byte) {
    while (::write(fd, &byte, 1) < 0 && errno == EINTR) {
    }
}

enum class ChildEnd { exit_holding, wait_for_kill };

// Forks a child that takes the lock, reports '1' (or '0' on failure) through the pipe, then
// either _exit()s without running any destructor or waits to be SIGKILLed.
Child spawn_holder(const std::filesystem::path& file, Pipe& pipe, ChildEnd end) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        pipe.close_read();
        char report = '0';
        try {
            auto lock = InstanceLock::acquire(file);
            if (lock) {
                report = '1';
                send_byte(pipe.fds[1], report);
                if (end == ChildEnd::wait_for_kill) {
                    for (;;) {
                        ::pause();
                    }
                }
                ::_exit(0); // the lock is still held here: only the kernel releases it
            }
        } catch (...) {
        }
        send_byte(pipe.fds[1], report);
        ::_exit(1);
    }
    pipe.close_write();
    return Child(pid);
}

} // namespace

TEST_CASE("the lock is exclusive, even within one process", "[lock]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "lock";
    CHECK_FALSE(InstanceLock::is_held(file));
    CHECK_FALSE(std::filesystem::exists(file)); // probing never creates the file

    auto first = InstanceLock::acquire(file);
    REQUIRE(first.has_value());
    CHECK(phantom::sys::file_status(file).value().mode == 0600);
    CHECK(InstanceLock::is_held(file));

    // flock locks belong to the open file description: a second open conflicts.
    auto second = InstanceLock::acquire(file);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().value() == EWOULDBLOCK);
}

TEST_CASE("the lock is released on destruction and follows moves", "[lock]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "lock";
    {
        auto lock = InstanceLock::acquire(file);
        REQUIRE(lock.has_value());
        InstanceLock moved = std::move(*lock);
        CHECK(InstanceLock::is_held(file)); // the moved-from lock released nothing
        auto other = InstanceLock::acquire(tmp.path() / "other");
        REQUIRE(other.has_value());
        moved = std::move(*other); // assignment releases the lock it held
        CHECK_FALSE(InstanceLock::is_held(file));
        CHECK(InstanceLock::is_held(tmp.path() / "other"));
    }
    CHECK_FALSE(InstanceLock::is_held(file));
    CHECK_FALSE(InstanceLock::is_held(tmp.path() / "other"));
    CHECK(InstanceLock::acquire(file).has_value());
}

TEST_CASE("the lock file is tightened to 0600, needs its directory and refuses symlinks", "[lock]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "lock";
    REQUIRE(phantom::sys::write_file_atomic(file, "", 0644));
    CHECK(InstanceLock::acquire(file).has_value());
    CHECK(phantom::sys::file_status(file).value().mode == 0600);

    auto missing = InstanceLock::acquire(tmp.path() / "missing" / "lock");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().value() == ENOENT);

    std::filesystem::create_symlink(file, tmp.path() / "link");
    auto through_link = InstanceLock::acquire(tmp.path() / "link");
    REQUIRE_FALSE(through_link.has_value());
    CHECK(through_link.error().value() == ELOOP);
    CHECK_FALSE(InstanceLock::acquire(tmp.path()).has_value()); // a directory
}

TEST_CASE("the kernel releases the lock when the holder exits", "[lock]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "lock";
    Pipe pipe;

    SECTION("by _exit without destructors") {
        Child child = spawn_holder(file, pipe, ChildEnd::exit_holding);
        REQUIRE(pipe.read_byte() == '1');
        const int status = child.wait();
        CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
        CHECK_FALSE(InstanceLock::is_held(file));
        CHECK(InstanceLock::acquire(file).has_value());
    }
    SECTION("by SIGKILL") {
        Child child = spawn_holder(file, pipe, ChildEnd::wait_for_kill);
        REQUIRE(pipe.read_byte() == '1');
        CHECK(InstanceLock::is_held(file));
        auto contender = InstanceLock::acquire(file);
        REQUIRE_FALSE(contender.has_value());
        CHECK(contender.error().value() == EWOULDBLOCK);

        REQUIRE(::kill(child.pid(), SIGKILL) == 0);
        const int status = child.wait();
        CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
        CHECK_FALSE(InstanceLock::is_held(file));
        CHECK(InstanceLock::acquire(file).has_value());
    }
}

TEST_CASE("a child that execs does not inherit the lock", "[lock]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "lock";
    std::optional<InstanceLock> lock;
    {
        auto acquired = InstanceLock::acquire(file);
        REQUIRE(acquired.has_value());
        lock.emplace(std::move(*acquired));
    }

    // The classic exec handshake: a close-on-exec pipe reaches end of file once exec has
    // closed the child's close-on-exec descriptors, or carries '!' when exec failed.
    Pipe pipe;
    REQUIRE(::fcntl(pipe.fds[0], F_SETFD, FD_CLOEXEC) == 0);
    REQUIRE(::fcntl(pipe.fds[1], F_SETFD, FD_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::execlp("sleep", "sleep", "60", static_cast<char*>(nullptr));
        const char failed = '!';
        send_byte(pipe.fds[1], failed);
        ::_exit(127);
    }
    Child child(pid);
    pipe.close_write();
    REQUIRE(pipe.read_byte() == '\0');

    // fork() copied the descriptor; only close-on-exec took it away from `sleep`. Had it
    // leaked, the child would still hold the lock after ours is gone.
    lock.reset();
    CHECK_FALSE(InstanceLock::is_held(file));
    CHECK(InstanceLock::acquire(file).has_value());
    CHECK(::waitpid(child.pid(), nullptr, WNOHANG) == 0); // the child is still alive
}
