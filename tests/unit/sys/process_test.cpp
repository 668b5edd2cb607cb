// SPDX-License-Identifier: MIT
// sys::Process: exit codes, captured output, and the time limit doctor relies on.
#include <phantom/sys/process.hpp>

#include <chrono>

#include "catch.hpp"

using phantom::sys::Process;
using namespace std::chrono_literals;

TEST_CASE("a finished child: exit code and both outputs", "[process]") {
    const auto r = Process("sh").arg("-c").arg("echo out; echo err >&2; exit 3").run();
    REQUIRE(r.has_value());
    CHECK(r->exit_code == 3);
    CHECK(r->out == "out\n");
    CHECK(r->err == "err\n");
    CHECK_FALSE(r->timed_out);
}

TEST_CASE("a child past its time limit is killed; what it printed is kept", "[process]") {
    const auto start = std::chrono::steady_clock::now();
    const auto r = Process("sh").arg("-c").arg("echo early; exec sleep 30").timeout(300ms).run();
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(r.has_value());
    CHECK(r->timed_out);
    CHECK(r->exit_code == 128 + 9);
    CHECK(r->out == "early\n");
    CHECK(took >= 300ms);
    CHECK(took < 5s);
}

TEST_CASE("a child within its time limit is not marked", "[process]") {
    const auto r = Process("sh").arg("-c").arg("exit 0").timeout(5s).run();
    REQUIRE(r.has_value());
    CHECK_FALSE(r->timed_out);
    CHECK(r->exit_code == 0);
}

TEST_CASE("a child that closes its pipes and runs on is still killed at its limit", "[process]") {
    const auto start = std::chrono::steady_clock::now();
    const auto r =
        Process("sh").arg("-c").arg("echo early; exec >/dev/null 2>&1; exec sleep 30").timeout(300ms).run();
    REQUIRE(r.has_value());
    CHECK(r->timed_out);
    CHECK(r->out == "early\n");
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a child that exits in time is not timed out though what it left holds its pipes", "[process]") {
    const auto start = std::chrono::steady_clock::now();
    const auto r = Process("sh").arg("-c").arg("sleep 30 & echo done").timeout(500ms).run();
    REQUIRE(r.has_value());
    CHECK_FALSE(r->timed_out);
    CHECK(r->exit_code == 0);
    CHECK(r->out == "done\n");
    CHECK(std::chrono::steady_clock::now() - start < 5s); // the sleep was ended with the group
}
