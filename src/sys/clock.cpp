// SPDX-License-Identifier: MIT
// The two system clocks whose difference reveals a system sleep: awake time and boot time.
#include <phantom/config.hpp>
#include <phantom/sys/clock.hpp>

#include <cstdint>

#if PHANTOM_PLATFORM_MACOS
#include <mach/mach_time.h>
#else
#include <time.h>
#endif

namespace phantom::sys {
namespace {

#if PHANTOM_PLATFORM_MACOS

// Mach ticks are not nanoseconds on Apple silicon (timebase 125/3): scale by the timebase.
std::chrono::nanoseconds from_mach(std::uint64_t ticks) noexcept {
    static const mach_timebase_info_data_t k_timebase = [] {
        mach_timebase_info_data_t info{};
        mach_timebase_info(&info);
        return info;
    }();
    // 64 bits suffice: at 24 MHz and numer 125 the product overflows after ~190 years up.
    const std::uint64_t nanos = ticks * k_timebase.numer / k_timebase.denom;
    return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(nanos));
}

#else

std::chrono::nanoseconds read_clock(clockid_t id) noexcept {
    timespec now{};
    // Both clocks exist since Linux 2.6.39; clock_gettime cannot fail for them.
    ::clock_gettime(id, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

#endif

} // namespace

std::chrono::nanoseconds awake_time() noexcept {
#if PHANTOM_PLATFORM_MACOS
    // mach_absolute_time stops while asleep (unlike macOS's CLOCK_MONOTONIC, which does not).
    return from_mach(mach_absolute_time());
#else
    // CLOCK_MONOTONIC does not count suspended time on Linux (clock_gettime(2)).
    return read_clock(CLOCK_MONOTONIC);
#endif
}

std::chrono::nanoseconds boot_time() noexcept {
#if PHANTOM_PLATFORM_MACOS
    // macOS 10.12+: mach_absolute_time plus the time spent asleep.
    return from_mach(mach_continuous_time());
#else
    return read_clock(CLOCK_BOOTTIME);
#endif
}

} // namespace phantom::sys
