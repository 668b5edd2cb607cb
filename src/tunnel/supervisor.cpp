// SPDX-License-Identifier: MIT
// Keeps the tunnel process alive: probes, nudges autossh, respawns with backoff, reacts to wake.
#include <phantom/tunnel/supervisor.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace phantom::tunnel {
namespace {

// The daemon's loop never spins: even an overdue step waits this long.
constexpr std::chrono::milliseconds k_min_tick{10};

std::string format_delay(std::chrono::milliseconds delay) {
    return fmt::format("{:g} s", std::chrono::duration<double>(delay).count());
}

// Failures a reconnect can cure. A refused password, a wrong mode or a stranger on the
// port answer the same after a new ssh connection, so restarting for them only churns.
bool path_broken(ProbeFailure failure) {
    return failure == ProbeFailure::refused || failure == ProbeFailure::closed ||
           failure == ProbeFailure::timeout;
}

} // namespace

Supervisor::Supervisor(ProcessRunner& runner, Clock& clock, NetworkWatch& network,
                       std::function<ProbeResult()> probe, SupervisorPolicy policy)
    : m_runner(runner), m_clock(clock), m_network(network), m_probe(std::move(probe)), m_policy(policy) {}

TickReport Supervisor::tick() {
    TickReport report;
    const Duration now = m_clock.monotonic();
    const Duration boot = m_clock.boot();

    // The monotonic clock stands still while the machine sleeps and the boot clock does not
    // (CLOCK_MONOTONIC vs CLOCK_BOOTTIME, mach_absolute_time vs mach_continuous_time): if
    // the boot clock ran ahead, we slept, and the ssh connection is most likely dead while
    // ssh itself will only notice after its keepalives time out.
    std::string reason;
    if (m_clock_seen) {
        const Duration slept = (boot - m_last_boot) - (now - m_last_mono);
        if (slept > m_policy.wake_threshold) {
            reason =
                fmt::format("wake (asleep about {:.0f} s)", std::chrono::duration<double>(slept).count());
        }
    }
    m_last_mono = now;
    m_last_boot = boot;
    m_clock_seen = true;
    // Polled every tick, so the watch's notion of "previous" stays current.
    if (m_network.changed()) {
        reason = reason.empty() ? std::string("network changed") : reason + ", network changed";
    }

    if (m_pid && !m_runner.running()) {
        m_pid.reset();
        m_healthy = false;
        const auto delay = next_backoff();
        m_next_start = now + delay;
        report.events.push_back(fmt::format("tunnel process exited; respawning in {}", format_delay(delay)));
    }

    if (!reason.empty()) {
        if (m_pid) {
            restart(now, reason, report);
        } else if (now < m_next_start) {
            // A respawn waiting out its backoff: the new network deserves a try right away.
            m_next_start = now;
            m_backoff = std::chrono::milliseconds{0};
            report.events.push_back(fmt::format("respawning now: {}", reason));
        }
    }

    if (!m_pid && now >= m_next_start) {
        start(now, report);
    }
    if (m_pid && now >= m_next_probe) {
        probe(now, report);
    }
    return report;
}

std::chrono::milliseconds Supervisor::next_tick() const {
    if (!m_clock_seen) {
        return k_min_tick;
    }
    const Duration due = m_pid ? m_next_probe : m_next_start;
    // Capped at the probe interval: a long backoff must not hide a wake or a network change.
    const Duration longest = std::max<Duration>(m_policy.probe_interval, k_min_tick);
    const Duration wait = std::clamp<Duration>(due - m_last_mono, k_min_tick, longest);
    return std::chrono::ceil<std::chrono::milliseconds>(wait);
}

std::chrono::milliseconds Supervisor::next_backoff() {
    const auto delay = m_backoff.count() == 0 ? m_policy.backoff_initial : m_backoff;
    m_backoff = std::min(delay * 2, m_policy.backoff_max);
    return std::min(delay, m_policy.backoff_max);
}

void Supervisor::begin_settling(Duration now) {
    m_healthy = false;
    m_failures = 0;
    m_reported = ProbeFailure::none;
    m_settle_until = now + m_policy.settle_time;
    m_next_probe = now + m_policy.settle_probe_interval;
}

void Supervisor::restart(Duration now, const std::string& reason, TickReport& report) {
    m_runner.restart_ssh();
    report.restarted = true;
    if (m_ever_healthy) {
        ++m_reconnects;
    }
    report.events.push_back(fmt::format("restarted ssh: {}", reason));
    begin_settling(now);
}

void Supervisor::start(Duration now, TickReport& report) {
    std::string error;
    const auto pid = m_runner.start(error);
    if (!pid) {
        const auto delay = next_backoff();
        m_next_start = now + delay;
        report.events.push_back(
            fmt::format("could not start the tunnel: {}; retrying in {}", error, format_delay(delay)));
        return;
    }
    m_pid = pid;
    report.started = true;
    if (m_ever_healthy) {
        ++m_reconnects;
    }
    report.events.push_back(fmt::format("started tunnel (pid {})", *pid));
    begin_settling(now);
}

void Supervisor::probe(Duration now, TickReport& report) {
    const ProbeResult result = m_probe();
    m_last_probe = result;
    report.probe = result;

    if (result.ok()) {
        if (!m_healthy) {
            report.events.push_back(
                fmt::format("tunnel ready (probe {:.1f} ms)",
                            std::chrono::duration<double, std::milli>(result.latency).count()));
        }
        m_healthy = true;
        m_ever_healthy = true;
        m_failures = 0;
        m_reported = ProbeFailure::none;
        m_backoff = std::chrono::milliseconds{0};
        m_settle_until = now;
        m_next_probe = now + m_policy.probe_interval;
        return;
    }

    m_healthy = false;
    if (!path_broken(result.failure)) {
        // The tunnel carries traffic and the far end answered: conclusive even while
        // settling. Said once, not every few seconds for as long as the password is wrong.
        m_failures = 0;
        m_settle_until = now;
        m_next_probe = now + m_policy.probe_interval;
        if (m_reported != result.failure) {
            m_reported = result.failure;
            report.events.push_back(fmt::format("probe failed: {}", describe(result.failure)));
        }
        return;
    }
    if (now < m_settle_until) {
        // ssh is still connecting: keep asking often, count nothing, log nothing.
        m_next_probe = now + m_policy.settle_probe_interval;
        return;
    }
    m_next_probe = now + m_policy.probe_interval;
    ++m_failures;
    report.events.push_back(fmt::format("probe failed: {} ({} of {})", describe(result.failure), m_failures,
                                        m_policy.failures_before_restart));
    if (m_failures >= m_policy.failures_before_restart) {
        restart(now, "probes failing", report);
    }
}

} // namespace phantom::tunnel
