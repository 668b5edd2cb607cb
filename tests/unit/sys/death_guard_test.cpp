// SPDX-License-Identifier: MIT
// The death guard: a SIGKILLed parent's process groups are stopped; forgotten ones are not.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <phantom/sys/child.hpp>
#include <phantom/sys/death_guard.hpp>

#include <array>
#include <chrono>
#include <thread>

#include "catch.hpp"

namespace sys = phantom::sys;
using namespace std::chrono_literals;

namespace {

/// Reaps what was re-parented to us and reports whether `pid` is gone within `timeout`.
bool gone_within(int pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        sys::reap_exited_children();
        if (!sys::process_exists(pid)) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

sys::SpawnOptions unguarded(std::vector<std::string> argv) {
    sys::SpawnOptions options;
    options.argv = std::move(argv);
    options.die_with_parent = false; // only the guard may stop it
    return options;
}

} // namespace

TEST_CASE("a SIGKILLed parent's watched process groups are stopped by the guard", "[death_guard]") {
    // Orphans come to us, so "gone" means reaped rather than a zombie of someone else's.
    sys::become_subreaper();
    std::array<int, 2> report{};
    REQUIRE(::pipe(report.data()) == 0);
    const pid_t parent = ::fork();
    REQUIRE(parent >= 0);
    if (parent == 0) {
        ::close(report[0]);
        auto guard = sys::DeathGuard::start(500ms);
        auto sleeper = sys::spawn(unguarded({"sleep", "60"}));
        // A grandchild in the same group, like ssh under autossh.
        auto shell = sys::spawn(unguarded({"sh", "-c", "sleep 61 & echo $! >&3; wait"}));
        if (!guard || !sleeper || !shell) {
            ::_exit(2);
        }
        guard->watch(*sleeper);
        guard->watch(*shell);
        const std::array<int, 2> pids{*sleeper, *shell};
        if (::write(report[1], pids.data(), sizeof pids) != sizeof pids) {
            ::_exit(3);
        }
        ::pause();
        ::_exit(0);
    }
    ::close(report[1]);
    std::array<int, 2> pids{};
    REQUIRE(::read(report[0], pids.data(), sizeof pids) == sizeof pids);
    ::close(report[0]);
    REQUIRE(sys::process_exists(pids[0]));
    REQUIRE(sys::process_group_exists(pids[1]));

    REQUIRE(::kill(parent, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(parent, &status, 0) == parent);

    CHECK(gone_within(pids[0], 5000ms));
    CHECK(gone_within(pids[1], 5000ms));
    // The backgrounded grandchild went with its group.
    const auto deadline = std::chrono::steady_clock::now() + 5000ms;
    while (sys::process_group_exists(pids[1]) && std::chrono::steady_clock::now() < deadline) {
        sys::reap_exited_children();
        std::this_thread::sleep_for(20ms);
    }
    CHECK_FALSE(sys::process_group_exists(pids[1]));
}

TEST_CASE("the guard leaves forgotten groups alone and exits with its parent's handle", "[death_guard]") {
    auto sleeper = sys::spawn(unguarded({"sleep", "60"}));
    REQUIRE(sleeper.has_value());
    int guard_pid = 0;
    {
        auto guard = sys::DeathGuard::start(500ms);
        REQUIRE(guard.has_value());
        guard_pid = guard->pid();
        guard->watch(*sleeper);
        guard->forget(*sleeper);
    } // closes the pipe: the guard exits at once
    CHECK_FALSE(sys::process_exists(guard_pid));
    std::this_thread::sleep_for(100ms);
    CHECK(sys::process_exists(*sleeper));
    CHECK(sys::terminate_process(*sleeper, 1000ms));
}

TEST_CASE("closing the guard's handle stops groups still watched", "[death_guard]") {
    auto sleeper = sys::spawn(unguarded({"sleep", "60"}));
    REQUIRE(sleeper.has_value());
    {
        auto guard = sys::DeathGuard::start(500ms);
        REQUIRE(guard.has_value());
        guard->watch(*sleeper);
    }
    CHECK(gone_within(*sleeper, 5000ms));
}
