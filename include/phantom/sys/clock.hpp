// SPDX-License-Identifier: MIT
// The two system clocks whose difference reveals a system sleep: awake time and boot time.
#pragma once

#include <chrono>

namespace phantom::sys {

/// Time since an arbitrary point that does not advance while the system sleeps (Linux
/// CLOCK_MONOTONIC, macOS mach_absolute_time).
std::chrono::nanoseconds awake_time() noexcept;

/// Time since boot that keeps counting while the system sleeps (Linux CLOCK_BOOTTIME,
/// macOS mach_continuous_time). Its growth beyond awake_time() between two readings is
/// the time spent asleep.
std::chrono::nanoseconds boot_time() noexcept;

} // namespace phantom::sys
