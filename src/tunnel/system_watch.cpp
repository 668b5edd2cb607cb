// SPDX-License-Identifier: MIT
// The real clock and network watch the daemon hands to the Supervisor.
#include <phantom/sys/clock.hpp>
#include <phantom/tunnel/system_watch.hpp>

#include <utility>

namespace phantom::tunnel {

std::chrono::steady_clock::duration SystemClock::monotonic() {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(sys::awake_time());
}

std::chrono::steady_clock::duration SystemClock::boot() {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(sys::boot_time());
}

RouteWatch::RouteWatch(Snapshot snapshot) : m_snapshot(std::move(snapshot)) {}

bool RouteWatch::changed() {
    sys::NetworkSnapshot current = m_snapshot();
    const bool differs = m_last.has_value() && *m_last != current;
    m_last = std::move(current);
    return differs;
}

} // namespace phantom::tunnel
