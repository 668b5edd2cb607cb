// SPDX-License-Identifier: MIT
// The real clock and network watch the daemon hands to the Supervisor.
#pragma once

#include <phantom/sys/network.hpp>
#include <phantom/tunnel/supervisor.hpp>

#include <functional>
#include <optional>

namespace phantom::tunnel {

/// Awake time (Linux CLOCK_MONOTONIC, macOS mach_absolute_time) and boot time, which keeps
/// counting through sleep (CLOCK_BOOTTIME, mach_continuous_time).
class SystemClock final : public Clock {
public:
    std::chrono::steady_clock::duration monotonic() override;
    std::chrono::steady_clock::duration boot() override;
};

/// Reports a change of the default route(s) or of the addresses of the interfaces that
/// carry them (sys::network_snapshot: cheap file reads and one getifaddrs). The first call
/// takes the baseline and returns false. On macOS only the address part is available.
class RouteWatch final : public NetworkWatch {
public:
    using Snapshot = std::function<sys::NetworkSnapshot()>;

    /// `snapshot` is injectable for tests; the default reads the system.
    explicit RouteWatch(Snapshot snapshot = sys::network_snapshot);

    bool changed() override;

private:
    Snapshot m_snapshot;
    std::optional<sys::NetworkSnapshot> m_last;
};

} // namespace phantom::tunnel
