// SPDX-License-Identifier: MIT
// The open-file limit: raised to what is asked within the hard limit, never lowered.
#include <sys/resource.h>

#include <phantom/sys/limits.hpp>

#include "catch.hpp"

namespace {

rlimit current() {
    rlimit limit{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
    return limit;
}

/// Sets the soft limit for one test and puts the original back afterwards.
struct SoftLimit {
    rlimit saved = current();
    explicit SoftLimit(rlim_t soft) {
        rlimit lowered = saved;
        lowered.rlim_cur = soft;
        REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    }
    ~SoftLimit() { setrlimit(RLIMIT_NOFILE, &saved); }
};

} // namespace

TEST_CASE("the open-file limit is raised to what the bridge needs", "[limits]") {
    const rlim_t hard = current().rlim_max;
    REQUIRE(hard >= 600); // any sane system; Debian's default hard limit is 1048576
    SoftLimit low(100);
    CHECK(phantom::sys::raise_open_files_limit(576) == 576);
    CHECK(current().rlim_cur == 576);
}

TEST_CASE("the open-file limit is never lowered", "[limits]") {
    SoftLimit high(512);
    CHECK(phantom::sys::raise_open_files_limit(64) == 512);
    CHECK(current().rlim_cur == 512);
}

TEST_CASE("the open-file limit stops at the hard limit", "[limits]") {
    const rlim_t hard = current().rlim_max;
    if (hard == RLIM_INFINITY) {
        SUCCEED("no finite hard limit to stop at here");
        return;
    }
    SoftLimit low(100);
    CHECK(phantom::sys::raise_open_files_limit(static_cast<std::uint64_t>(hard) + 1000) <= hard);
}
