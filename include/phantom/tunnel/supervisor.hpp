// SPDX-License-Identifier: MIT
// Keeps the tunnel process alive: probes, nudges autossh, respawns with backoff, reacts to wake.
#pragma once

#include <phantom/tunnel/probe.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace phantom::tunnel {

/// Starts and signals the tunnel process. The daemon uses real processes; unit tests use a
/// fake (ninja's FakeCommandRunner idea) to drive every path of the policy.
class ProcessRunner {
public:
    virtual ~ProcessRunner() = default;
    /// Starts the tunnel process; returns its pid, or nullopt (with `error` set) on failure.
    virtual std::optional<int> start(std::string& error) = 0;
    /// True while the process started last is running (reaps it when it exited).
    virtual bool running() = 0;
    /// Asks it to restart its ssh (autossh: SIGUSR1; plain ssh: terminate, then start again).
    virtual void restart_ssh() = 0;
    /// Stops it (SIGTERM, then SIGKILL after a grace period) and reaps it.
    virtual void stop() = 0;
};

/// Time, injectable for tests. `monotonic` stops during system sleep on Linux; `boot` is
/// CLOCK_BOOTTIME (macOS: mach_continuous_time), which keeps counting: a jump between the
/// two is a wake-up.
class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::steady_clock::duration monotonic() = 0;
    virtual std::chrono::steady_clock::duration boot() = 0;
};

/// A network change signal (default route or interface set changed); polled each tick.
class NetworkWatch {
public:
    virtual ~NetworkWatch() = default;
    /// True when the network changed since the previous call.
    virtual bool changed() = 0;
};

struct SupervisorPolicy {
    std::chrono::milliseconds probe_interval{3000};
    int failures_before_restart = 2;                ///< consecutive failed probes
    std::chrono::milliseconds backoff_initial{500}; ///< respawn delay after autossh died
    std::chrono::milliseconds backoff_max{30000};
    std::chrono::milliseconds wake_threshold{5000}; ///< boot - monotonic jump that means "slept"
    /// After a (re)start, probe this often until the first healthy probe, so `connect`
    /// sees the tunnel soon after ssh is up rather than a whole probe_interval later.
    std::chrono::milliseconds settle_probe_interval{500};
    /// Failed probes within this long after a (re)start do not count towards
    /// failures_before_restart: ssh is still connecting (cf. ConnectTimeout). A healthy
    /// probe ends the window early.
    std::chrono::milliseconds settle_time{10000};
};

/// What happened in one tick, for the daemon's log and state.json.
struct TickReport {
    std::vector<std::string> events; ///< e.g. "probe failed: timeout", "restarted ssh: wake"
    std::optional<ProbeResult> probe;
    bool started = false;
    bool restarted = false;
};

/// The supervision policy, free of real time and processes: the daemon calls tick() from
/// its loop and sleeps until next_tick(). The probe is a callable so tests can script it.
class Supervisor {
public:
    Supervisor(ProcessRunner& runner, Clock& clock, NetworkWatch& network, std::function<ProbeResult()> probe,
               SupervisorPolicy policy = {});

    /// One step: start/respawn when due, detect wake and network change, probe when due,
    /// restart ssh after `failures_before_restart` failed probes. Only probe failures that
    /// mean the path is broken (refused, closed, timeout) restart ssh: a refused password
    /// or a wrong mode would fail the same way after a reconnect.
    TickReport tick();

    /// How long the daemon may sleep after the last tick() before the next one is useful:
    /// until the next probe or respawn, at most probe_interval (so wake and network changes
    /// are noticed), at least a few milliseconds.
    [[nodiscard]] std::chrono::milliseconds next_tick() const;

    /// Restarts and respawns after the tunnel was healthy once (the first start is not one).
    [[nodiscard]] int reconnects() const noexcept { return m_reconnects; }
    /// The last probe succeeded and nothing has restarted the tunnel since.
    [[nodiscard]] bool healthy() const noexcept { return m_healthy; }
    [[nodiscard]] std::optional<int> pid() const noexcept { return m_pid; }
    [[nodiscard]] const std::optional<ProbeResult>& last_probe() const noexcept { return m_last_probe; }

private:
    ProcessRunner& m_runner;
    Clock& m_clock;
    NetworkWatch& m_network;
    std::function<ProbeResult()> m_probe;
    SupervisorPolicy m_policy;

    using Duration = std::chrono::steady_clock::duration;

    std::chrono::milliseconds next_backoff();
    void begin_settling(Duration now);
    void restart(Duration now, const std::string& reason, TickReport& report);
    void start(Duration now, TickReport& report);
    void probe(Duration now, TickReport& report);

    std::optional<int> m_pid;
    std::chrono::steady_clock::duration m_next_start{};
    std::chrono::steady_clock::duration m_settle_until{};
    std::chrono::milliseconds m_backoff{0};
    std::chrono::steady_clock::duration m_next_probe{};
    std::chrono::steady_clock::duration m_last_mono{};
    std::chrono::steady_clock::duration m_last_boot{};
    bool m_clock_seen = false;
    int m_failures = 0;
    ProbeFailure m_reported = ProbeFailure::none; ///< last failure logged, to log it once
    int m_reconnects = 0;
    bool m_healthy = false;
    bool m_ever_healthy = false;
    std::optional<ProbeResult> m_last_probe;
};

} // namespace phantom::tunnel
