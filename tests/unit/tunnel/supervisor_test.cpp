// SPDX-License-Identifier: MIT
// Tests of the supervision policy with a fake runner, clock, network and scripted probes.
#include <phantom/sys/network.hpp>
#include <phantom/tunnel/supervisor.hpp>
#include <phantom/tunnel/system_watch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"

using phantom::tunnel::Clock;
using phantom::tunnel::NetworkWatch;
using phantom::tunnel::ProbeFailure;
using phantom::tunnel::ProbeResult;
using phantom::tunnel::ProcessRunner;
using phantom::tunnel::Supervisor;
using phantom::tunnel::TickReport;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

class FakeRunner final : public ProcessRunner {
public:
    std::optional<int> start(std::string& error) override {
        ++starts;
        if (failing_starts > 0) {
            --failing_starts;
            error = "autossh: No such file or directory";
            return std::nullopt;
        }
        alive = true;
        return next_pid++;
    }
    bool running() override { return alive; }
    void restart_ssh() override { ++restarts; }
    void stop() override {
        ++stops;
        alive = false;
    }

    int starts = 0;
    int restarts = 0;
    int stops = 0;
    int failing_starts = 0;
    bool alive = false;
    int next_pid = 1000;
};

class FakeClock final : public Clock {
public:
    std::chrono::steady_clock::duration monotonic() override { return mono; }
    std::chrono::steady_clock::duration boot() override { return boot_time; }

    /// Awake time passing: both clocks move.
    void advance(milliseconds d) {
        mono += d;
        boot_time += d;
    }
    /// The machine asleep: only the boot clock moves.
    void sleep(milliseconds d) { boot_time += d; }

    std::chrono::steady_clock::duration mono = 1000s;
    std::chrono::steady_clock::duration boot_time = 1500s;
};

class FakeNetwork final : public NetworkWatch {
public:
    bool changed() override { return std::exchange(pending, false); }
    bool pending = false;
};

// Probes answer with `failure` until told otherwise.
struct ScriptedProbe {
    ProbeFailure failure = ProbeFailure::none;
    int calls = 0;
};

bool has_event(const TickReport& report, const std::string& text) {
    return std::any_of(report.events.begin(), report.events.end(),
                       [&](const std::string& event) { return event.find(text) != std::string::npos; });
}

struct Harness {
    FakeRunner runner;
    FakeClock clock;
    FakeNetwork network;
    ScriptedProbe probe;
    Supervisor supervisor{runner, clock, network, [this] {
                              ++probe.calls;
                              return ProbeResult{probe.failure, 1500us};
                          }};

    TickReport after(milliseconds d) {
        clock.advance(d);
        return supervisor.tick();
    }

    /// First tick (start) and the settle probe that finds the tunnel healthy.
    void start_healthy() {
        const auto first = supervisor.tick();
        REQUIRE(first.started);
        const auto ready = after(500ms);
        REQUIRE(ready.probe);
        REQUIRE(supervisor.healthy());
    }
};

} // namespace

TEST_CASE("first tick starts the runner and probes soon after", "[supervisor]") {
    Harness h;
    CHECK(h.supervisor.next_tick() == 10ms);
    const auto report = h.supervisor.tick();
    CHECK(report.started);
    CHECK_FALSE(report.restarted);
    CHECK_FALSE(report.probe);
    CHECK(h.runner.starts == 1);
    CHECK(h.supervisor.pid() == 1000);
    CHECK(has_event(report, "started tunnel (pid 1000)"));
    CHECK_FALSE(h.supervisor.healthy());
    CHECK(h.supervisor.next_tick() == 500ms);

    const auto second = h.after(500ms);
    REQUIRE(second.probe);
    CHECK(second.probe->ok());
    CHECK(h.supervisor.healthy());
    CHECK(h.supervisor.last_probe());
    CHECK(has_event(second, "tunnel ready (probe 1.5 ms)"));
    CHECK(h.supervisor.next_tick() == 3000ms);
    CHECK(h.supervisor.reconnects() == 0);
    CHECK(h.runner.starts == 1);
}

TEST_CASE("healthy probes every probe_interval, silently", "[supervisor]") {
    Harness h;
    h.start_healthy();
    CHECK(h.probe.calls == 1);
    CHECK_FALSE(h.after(2999ms).probe);
    const auto report = h.after(1ms);
    REQUIRE(report.probe);
    CHECK(report.events.empty());
    CHECK(h.probe.calls == 2);
    CHECK(h.supervisor.next_tick() == 3000ms);
}

TEST_CASE("two failed probes restart ssh, then it settles again", "[supervisor]") {
    Harness h;
    h.start_healthy();
    h.probe.failure = ProbeFailure::timeout;

    const auto first = h.after(3000ms);
    CHECK_FALSE(first.restarted);
    CHECK(has_event(first, "probe failed: the tunnel did not answer in time"));
    CHECK(has_event(first, "(1 of 2)"));
    CHECK_FALSE(h.supervisor.healthy());
    CHECK(h.runner.restarts == 0);

    const auto second = h.after(3000ms);
    CHECK(second.restarted);
    CHECK(h.runner.restarts == 1);
    CHECK(has_event(second, "restarted ssh: probes failing"));
    CHECK(h.supervisor.reconnects() == 1);
    CHECK(h.supervisor.next_tick() == 500ms);

    h.probe.failure = ProbeFailure::none;
    const auto back = h.after(500ms);
    CHECK(h.supervisor.healthy());
    CHECK(has_event(back, "tunnel ready"));
    CHECK(h.runner.restarts == 1);
    CHECK(h.runner.starts == 1);
}

TEST_CASE("a healthy probe between failures resets the count", "[supervisor]") {
    Harness h;
    h.start_healthy();
    h.probe.failure = ProbeFailure::closed;
    h.after(3000ms);
    h.probe.failure = ProbeFailure::none;
    h.after(3000ms);
    h.probe.failure = ProbeFailure::closed;
    CHECK_FALSE(h.after(3000ms).restarted);
    CHECK(h.after(3000ms).restarted);
}

TEST_CASE("failures while ssh is still connecting do not count", "[supervisor]") {
    Harness h;
    h.probe.failure = ProbeFailure::refused;
    h.supervisor.tick();
    // Settling: a probe every 0.5 s for 10 s, nothing logged, no restart.
    for (int i = 0; i < 19; ++i) {
        const auto report = h.after(500ms);
        REQUIRE(report.probe);
        CHECK(report.events.empty());
        CHECK(h.supervisor.next_tick() == 500ms);
    }
    CHECK(h.runner.restarts == 0);
    // 10 s after the start the window is over: failures count at the normal pace.
    CHECK(has_event(h.after(500ms), "(1 of 2)"));
    CHECK(h.supervisor.next_tick() == 3000ms);
    const auto restart = h.after(3000ms);
    CHECK(restart.restarted);
    // The tunnel was never healthy: not a reconnect.
    CHECK(h.supervisor.reconnects() == 0);
}

TEST_CASE("a refused password neither restarts ssh nor floods the log", "[supervisor]") {
    Harness h;
    h.probe.failure = ProbeFailure::auth_rejected;
    h.supervisor.tick();
    const auto first = h.after(500ms);
    CHECK(has_event(first, "probe failed: the server refused your member name or password"));
    CHECK(h.supervisor.next_tick() == 3000ms);
    for (int i = 0; i < 5; ++i) {
        const auto again = h.after(3000ms);
        REQUIRE(again.probe);
        CHECK(again.events.empty());
    }
    CHECK(h.runner.restarts == 0);
    CHECK_FALSE(h.supervisor.healthy());
    h.probe.failure = ProbeFailure::none;
    CHECK(has_event(h.after(3000ms), "tunnel ready"));
}

TEST_CASE("a dead process is respawned with exponential backoff, capped, reset when healthy",
          "[supervisor]") {
    Harness h;
    h.start_healthy();
    const std::vector<milliseconds> delays = {500ms,  1000ms,  2000ms,  4000ms,
                                              8000ms, 16000ms, 30000ms, 30000ms};
    const std::vector<std::string> texts = {"0.5 s", "1 s", "2 s", "4 s", "8 s", "16 s", "30 s", "30 s"};
    for (std::size_t i = 0; i < delays.size(); ++i) {
        h.runner.alive = false;
        const auto died = h.after(10ms);
        CHECK_FALSE(died.started);
        CHECK(has_event(died, "tunnel process exited; respawning in " + texts[i]));
        CHECK_FALSE(h.supervisor.healthy());
        // The daemon wakes at least every probe_interval, even during a long backoff.
        CHECK(h.supervisor.next_tick() == std::min(delays[i], milliseconds(3000)));
        milliseconds waited{0};
        while (waited + 3000ms < delays[i]) {
            CHECK_FALSE(h.after(3000ms).started);
            waited += 3000ms;
        }
        CHECK_FALSE(h.after(delays[i] - waited - 1ms).started);
        const auto respawned = h.after(1ms);
        CHECK(respawned.started);
        CHECK(h.runner.starts == static_cast<int>(i) + 2);
    }
    // A healthy probe resets the backoff.
    h.after(500ms);
    REQUIRE(h.supervisor.healthy());
    h.runner.alive = false;
    CHECK(has_event(h.after(10ms), "respawning in 0.5 s"));
    // Every respawn after the first healthy connection is a reconnect.
    CHECK(h.supervisor.reconnects() == static_cast<int>(delays.size()));
}

TEST_CASE("a failed start is retried with backoff", "[supervisor]") {
    Harness h;
    h.runner.failing_starts = 3;
    const auto first = h.supervisor.tick();
    CHECK_FALSE(first.started);
    CHECK(has_event(first,
                    "could not start the tunnel: autossh: No such file or directory; retrying in 0.5 s"));
    CHECK_FALSE(h.supervisor.pid());
    CHECK(h.supervisor.next_tick() == 500ms);
    CHECK(has_event(h.after(500ms), "retrying in 1 s"));
    CHECK(h.supervisor.next_tick() == 1000ms);
    CHECK_FALSE(h.after(999ms).started);
    CHECK(has_event(h.after(1ms), "retrying in 2 s"));
    const auto started = h.after(2000ms);
    CHECK(started.started);
    CHECK(h.runner.starts == 4);
    CHECK(h.supervisor.pid() == 1000);
    CHECK(h.supervisor.reconnects() == 0);
}

TEST_CASE("a wake (boot clock ran ahead) restarts ssh at once and probes right after", "[supervisor]") {
    Harness h;
    h.start_healthy();
    h.clock.sleep(60s);
    const auto woke = h.after(100ms);
    CHECK(woke.restarted);
    CHECK(h.runner.restarts == 1);
    CHECK(has_event(woke, "restarted ssh: wake (asleep about 60 s)"));
    CHECK_FALSE(h.supervisor.healthy());
    CHECK(h.supervisor.reconnects() == 1);
    CHECK(h.supervisor.next_tick() == 500ms);
    const auto probed = h.after(500ms);
    REQUIRE(probed.probe);
    CHECK(h.supervisor.healthy());
}

TEST_CASE("a short boot-clock lead is not a wake", "[supervisor]") {
    Harness h;
    h.start_healthy();
    h.clock.sleep(4s);
    CHECK_FALSE(h.after(100ms).restarted);
    // A long busy gap moves both clocks: not a wake either.
    CHECK_FALSE(h.after(120s).restarted);
    CHECK(h.runner.restarts == 0);
}

TEST_CASE("a network change restarts ssh at once", "[supervisor]") {
    Harness h;
    h.start_healthy();
    h.network.pending = true;
    const auto report = h.after(100ms);
    CHECK(report.restarted);
    CHECK(has_event(report, "restarted ssh: network changed"));
    CHECK(h.runner.restarts == 1);
    CHECK(h.supervisor.reconnects() == 1);
    CHECK(h.supervisor.next_tick() == 500ms);
    CHECK_FALSE(h.after(100ms).restarted);
}

TEST_CASE("wake and network change together restart once", "[supervisor]") {
    Harness h;
    h.start_healthy();
    h.clock.sleep(30s);
    h.network.pending = true;
    const auto report = h.after(100ms);
    CHECK(has_event(report, "restarted ssh: wake (asleep about 30 s), network changed"));
    CHECK(h.runner.restarts == 1);
}

TEST_CASE("a network change cuts a respawn backoff short", "[supervisor]") {
    Harness h;
    h.start_healthy();
    // Die repeatedly until the backoff is long.
    for (int i = 0; i < 5; ++i) {
        h.runner.alive = false;
        h.after(10ms);
        h.after(30s);
    }
    h.runner.alive = false;
    CHECK(has_event(h.after(10ms), "respawning in 16 s"));
    h.network.pending = true;
    const auto report = h.after(1000ms);
    CHECK(has_event(report, "respawning now: network changed"));
    CHECK(report.started);
}

TEST_CASE("reconnects count restarts and respawns after the first healthy connection", "[supervisor]") {
    Harness h;
    // Before the first healthy probe: neither a restart nor a respawn counts.
    h.supervisor.tick();
    h.network.pending = true;
    CHECK(h.after(100ms).restarted);
    h.runner.alive = false;
    h.after(100ms);
    CHECK(h.after(500ms).started);
    CHECK(h.supervisor.reconnects() == 0);

    h.after(500ms);
    REQUIRE(h.supervisor.healthy());
    h.network.pending = true;
    h.after(100ms); // restart: 1
    h.runner.alive = false;
    h.after(100ms);
    h.after(500ms); // respawn: 2
    h.clock.sleep(20s);
    h.after(100ms); // wake restart: 3
    CHECK(h.supervisor.reconnects() == 3);
}

TEST_CASE("next_tick is bounded below and above", "[supervisor]") {
    Harness h;
    h.start_healthy();
    CHECK(h.supervisor.next_tick() == 3000ms);
    h.after(2995ms);
    CHECK(h.supervisor.next_tick() == 10ms);
    h.after(4ms);
    CHECK(h.supervisor.next_tick() == 10ms);
}

TEST_CASE("RouteWatch reports a changed snapshot once", "[supervisor]") {
    phantom::sys::NetworkSnapshot current;
    current.default_routes = {"wlan0 0101A8C0"};
    current.addresses = {"wlan0 192.168.1.23"};
    phantom::tunnel::RouteWatch watch([&] { return current; });
    CHECK_FALSE(watch.changed()); // baseline
    CHECK_FALSE(watch.changed());
    current.addresses = {"wlan0 192.168.1.57"};
    CHECK(watch.changed());
    CHECK_FALSE(watch.changed());
    current.default_routes = {"eth0 0102A8C0"};
    CHECK(watch.changed());
}

TEST_CASE("default routes are read from /proc/net/route and ipv6_route", "[supervisor]") {
    const std::string ipv4 =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
        "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n"
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
        "tun0\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n";
    const std::string ipv6 =
        "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0\n"
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "fe800000000000000000000000000001 00000400 00000007 00000000 00000003     eth0\n"
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
    const auto routes = phantom::sys::parse_default_routes(ipv4, ipv6);
    CHECK(routes == std::vector<std::string>{"eth0 fe800000000000000000000000000001", "wlan0 0101A8C0"});
    CHECK(phantom::sys::parse_default_routes("", "").empty());
    CHECK(phantom::sys::parse_default_routes("garbage\n\n \t\n", "x y z\n").empty());
}

TEST_CASE("the system clock's boot time runs at least as far as its awake time", "[supervisor]") {
    phantom::tunnel::SystemClock clock;
    const auto mono1 = clock.monotonic();
    const auto boot1 = clock.boot();
    const auto mono2 = clock.monotonic();
    const auto boot2 = clock.boot();
    CHECK(mono2 >= mono1);
    CHECK(boot2 >= boot1);
    CHECK(boot1 >= mono1 - 1s);
    // A snapshot of this machine is readable and stable from one moment to the next.
    CHECK(phantom::sys::network_snapshot() == phantom::sys::network_snapshot());
}
