# SPDX-License-Identifier: MIT
# The team load generator (issue 6): N members, each through its own phantom bridge, each
# behaving like an agentic CLI session. Used by scripts/bench.sh --team N (5 minutes) and by
# tests/integration/team_test.sh (a small N for a few seconds).
#
# One member = one thread (plus one per connection of its opening burst):
#   - starts at a random moment within --spread seconds;
#   - opens a burst of 5-8 new HTTPS connections at once (HTTP CONNECT through its bridge,
#     then TLS to the upstream) and sends one request on each;
#   - then, until --duration seconds after its start, sends a keep-alive request every 1-3 s
#     on its open connections in turn, and opens a new connection every 15-25 s (a few per
#     minute), closing its oldest one;
#   - before reusing a kept-alive connection it checks, as curl and undici do, whether the
#     server has closed it while idle (the test upstream closes after 30 s); such a connection
#     is replaced by a new one and counted, not failed;
#   - a request or connection that fails counts as failed; the connection is replaced.
# Before the load, --calibrate connections are opened one after another by the first member
# on an idle server: their median is the connect time without contention, so the p99 of the
# connect times under load minus that median is the extra delay the rate limits caused.
# While the load runs, the processes in the server's network namespace (danted, sshd and
# their children) are sampled every second: CPU seconds used and the sum of their PSS.
#
#   python3 team_load.py --members FILE --host NAME --ca CA [--duration S] [--spread S]
#       [--calibrate N] [--server-netns NAME] [--seed N] [--out JSON]
# FILE: one member per line, "NAME BRIDGE_PORT TOKEN". Prints a report; --out writes JSON.
import argparse, base64, http.client, json, os, random, select, ssl, statistics, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument("--members", required=True)
p.add_argument("--host", required=True)
p.add_argument("--ca", required=True)
p.add_argument("--duration", type=float, default=300)
p.add_argument("--spread", type=float, default=60)
p.add_argument("--calibrate", type=int, default=20)
p.add_argument("--server-netns", default="")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--out", default="")
args = p.parse_args()

members = []
for line in open(args.members):
    if line.strip():
        name, port, token = line.split()
        members.append((name, int(port), token))
tls = ssl.create_default_context(cafile=args.ca)
lock = threading.Lock()
requests, connects, errors = [], [], {}  # (member, ok, seconds), (member, seconds), cause -> n
idle_closed = [0]  # kept-alive connections the server had closed before their next use
connect_starts = []  # when each new connection under load was started (for the peak rate)
per_member = {name: {"attempted": 0, "succeeded": 0, "failed": 0} for name, _, _ in members}


def record_error(cause):
    with lock:
        errors[cause] = errors.get(cause, 0) + 1


def connect(member, record=True):
    """A new HTTPS connection through the member's bridge; returns it, or None on failure."""
    name, port, token = member
    auth = base64.b64encode(("phantom:%s" % token).encode()).decode()
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=tls)
    conn.set_tunnel(args.host, 443, headers={"Proxy-Authorization": "Basic " + auth})
    t0 = time.monotonic()
    if record:
        with lock:
            connect_starts.append(t0)
    try:
        conn.connect()
    except Exception as e:  # refused, 5xx from the bridge, TLS or timeout
        record_error("connect: %s" % type(e).__name__ if not str(e) else "connect: %s" % str(e)[:80])
        conn.close()
        return None
    if record:
        with lock:
            connects.append((name, time.monotonic() - t0))
    return conn


def closed_by_server(conn):
    """True when the server closed a kept-alive connection while it was idle: an idle HTTP/1.1
    connection has nothing to read unless the peer sent its close (EOF or a TLS alert)."""
    if conn is None or conn.sock is None:
        return False
    poller = select.poll()  # not select(): a big team has descriptors above FD_SETSIZE
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(0))


def request(member, conn, path):
    """One keep-alive GET; returns True when the whole answer arrived."""
    name = member[0]
    with lock:
        per_member[name]["attempted"] += 1
    t0 = time.monotonic()
    ok = False
    if conn is not None:
        try:
            conn.request("GET", path, headers={"User-Agent": "phantom-team-load"})
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            if not ok:
                record_error("status %d" % response.status)
        except Exception as e:
            record_error("request: %s" % type(e).__name__)
    # (conn is None: its connect failed and was counted as the cause already)
    seconds = time.monotonic() - t0
    with lock:
        requests.append((name, ok, seconds))
        per_member[name]["succeeded" if ok else "failed"] += 1
    return ok


crashed = []  # a session that died of a bug in this script: the run is invalid


def session(index, member, start_at):
    try:
        run_session(index, member, start_at)
    except Exception as e:  # never lose a member silently: report it and fail the run
        with lock:
            crashed.append("%s: %r" % (member[0], e))


def run_session(index, member, start_at):
    rng = random.Random(args.seed * 1000 + index)
    time.sleep(max(0.0, start_at - time.monotonic()))
    end = time.monotonic() + args.duration
    # The opening burst: all at once, as a CLI does when it starts.
    burst = rng.randint(5, 8)
    pool = [None] * burst

    def open_one(slot):
        pool[slot] = connect(member)
        if not request(member, pool[slot], "/session/start/%d" % slot):
            pool[slot] = None

    openers = [threading.Thread(target=open_one, args=(i,)) for i in range(burst)]
    for t in openers:
        t.start()
    for t in openers:
        t.join()
    turn = 0
    next_new = time.monotonic() + rng.uniform(15, 25)
    while True:
        time.sleep(rng.uniform(1, 3))
        now = time.monotonic()
        if now >= end:
            break
        if now >= next_new:
            next_new = now + rng.uniform(15, 25)
            oldest = pool.pop(0)
            if oldest is not None:
                oldest.close()
            turn -= 1  # the pool moved down by one: keep the round robin where it was
            conn = connect(member)
            pool.append(conn if request(member, conn, "/session/new") else None)
            continue
        turn = (turn + 1) % len(pool)
        if closed_by_server(pool[turn]):
            with lock:
                idle_closed[0] += 1
            pool[turn].close()
            pool[turn] = None
        if pool[turn] is None:  # replace a failed or closed connection, then use it
            pool[turn] = connect(member)
        if not request(member, pool[turn], "/session/keepalive"):
            if pool[turn] is not None:
                pool[turn].close()
            pool[turn] = None
    for conn in pool:
        if conn is not None:
            conn.close()


def netns_pids(name):
    try:
        want = os.stat("/run/netns/" + name).st_ino
    except OSError:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/%s/ns/net" % entry).st_ino == want:
                    pids.append(entry)
            except OSError:
                pass
    return pids


def cpu_seconds(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def pss_kib(pid):
    with open("/proc/%s/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


server = {"cpu_seconds": 0.0, "peak_pss_mib": 0.0, "peak_processes": 0}
stop_sampling = threading.Event()


def sample_server():
    seen = {}  # pid -> last CPU seconds (a process that exits keeps what it used)
    base = {}
    while True:
        total_pss, pids = 0, netns_pids(args.server_netns)
        for pid in pids:
            try:
                c = cpu_seconds(pid)
                total_pss += pss_kib(pid)
            except OSError:
                continue
            base.setdefault(pid, c if pid in first_pids else 0.0)
            seen[pid] = c
        server["cpu_seconds"] = sum(seen[p] - base[p] for p in seen)
        server["peak_pss_mib"] = max(server["peak_pss_mib"], total_pss / 1024)
        server["peak_processes"] = max(server["peak_processes"], len(pids))
        if stop_sampling.wait(1.0):
            break


def pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


# Calibration: connect times on an idle server.
calibration = []
for _ in range(args.calibrate):
    t0 = time.monotonic()
    conn = connect(members[0], record=False)
    if conn is not None:
        calibration.append(time.monotonic() - t0)
        conn.close()
    time.sleep(0.2)
if args.calibrate and not calibration:
    print("team_load: no calibration connection succeeded", file=sys.stderr)
    sys.exit(1)
errors.clear()

first_pids = set(netns_pids(args.server_netns)) if args.server_netns else set()
sampler = threading.Thread(target=sample_server) if args.server_netns else None
if sampler:
    sampler.start()
t_start = time.monotonic()
rng = random.Random(args.seed)
threads = [threading.Thread(target=session, args=(i, m, t_start + rng.uniform(0, args.spread)))
           for i, m in enumerate(members)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.monotonic() - t_start
stop_sampling.set()
if sampler:
    sampler.join()

latencies = [s for _, ok, s in requests if ok]
connect_times = [s for _, s in connects]
baseline = statistics.median(calibration) if calibration else 0.0
succeeded = [m["succeeded"] for m in per_member.values()]
# The busiest second and the busiest ten seconds of new connections: what the egress limit
# (egress_rate per second, egress_burst at once) has to let through.
per_second = {}
for t in connect_starts:
    per_second[int(t - t_start)] = per_second.get(int(t - t_start), 0) + 1
peak_1s = max(per_second.values(), default=0)
peak_10s = max((sum(per_second.get(s + i, 0) for i in range(10)) for s in per_second), default=0)
rates = [m["succeeded"] / m["attempted"] for m in per_member.values() if m["attempted"]]
result = {
    "members": len(members),
    "duration_s": args.duration,
    "spread_s": args.spread,
    "wall_s": round(wall, 1),
    "requests_attempted": len(requests),
    "requests_succeeded": sum(1 for _, ok, _ in requests if ok),
    "requests_failed": sum(1 for _, ok, _ in requests if not ok),
    "connections_opened": len(connect_times),
    "connections_closed_idle_by_upstream": idle_closed[0],
    "new_connections_peak_per_1s": peak_1s,
    "new_connections_peak_per_10s": peak_10s,
    "errors": errors,
    "latency_p50_ms": round(pct(latencies, 50) * 1000, 1) if latencies else None,
    "latency_p99_ms": round(pct(latencies, 99) * 1000, 1) if latencies else None,
    "connect_idle_p50_ms": round(baseline * 1000, 1),
    "connect_p50_ms": round(pct(connect_times, 50) * 1000, 1) if connect_times else None,
    "connect_p99_ms": round(pct(connect_times, 99) * 1000, 1) if connect_times else None,
    "connect_extra_p99_ms": round(max(0.0, pct(connect_times, 99) - baseline) * 1000, 1) if connect_times else None,
    "server_cpu_seconds": round(server["cpu_seconds"], 2),
    "server_cpu_percent_of_one_core": round(100 * server["cpu_seconds"] / wall, 1) if wall else None,
    "server_peak_pss_mib": round(server["peak_pss_mib"], 1),
    "server_peak_processes": server["peak_processes"],
    "fairness_min_over_max_succeeded": round(min(succeeded) / max(succeeded), 3) if succeeded and max(succeeded) else None,
    "fairness_min_success_rate": round(min(rates), 4) if rates else None,
    "fairness_max_success_rate": round(max(rates), 4) if rates else None,
    "per_member": per_member,
}
if crashed:
    print("team_load: %d member sessions crashed (this script's fault; no figures): %s"
          % (len(crashed), "; ".join(crashed[:3])), file=sys.stderr)
    sys.exit(2)
if args.out:
    json.dump(result, open(args.out, "w"), indent=2)
r = result
print("team load: %d members, %.0f s each (starts spread over %.0f s), %.0f s wall"
      % (r["members"], r["duration_s"], r["spread_s"], r["wall_s"]))
print("  requests   attempted %d  succeeded %d  failed %d   (%d new connections, %d reopened after the"
      " upstream closed them idle)" % (r["requests_attempted"], r["requests_succeeded"], r["requests_failed"],
                                       r["connections_opened"], r["connections_closed_idle_by_upstream"]))
if errors:
    print("  failures   " + ", ".join("%s x%d" % (k, v) for k, v in sorted(errors.items())))
print("  new conns  peak %d in one second, %d in ten seconds (what the egress limit must let through)"
      % (r["new_connections_peak_per_1s"], r["new_connections_peak_per_10s"]))
print("  latency    p50 %s ms  p99 %s ms (keep-alive and first requests)" % (r["latency_p50_ms"], r["latency_p99_ms"]))
print("  connect    idle p50 %s ms; under load p50 %s ms, p99 %s ms: p99 extra delay %s ms"
      % (r["connect_idle_p50_ms"], r["connect_p50_ms"], r["connect_p99_ms"], r["connect_extra_p99_ms"]))
if args.server_netns:
    print("  server     %.1f CPU s (%.1f %% of one core), peak PSS %.1f MiB in %d processes"
          % (r["server_cpu_seconds"], r["server_cpu_percent_of_one_core"], r["server_peak_pss_mib"],
             r["server_peak_processes"]))
print("  fairness   succeeded min/max %s, success rate min %s max %s"
      % (r["fairness_min_over_max_succeeded"], r["fairness_min_success_rate"], r["fairness_max_success_rate"]))
