#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How long `phantom doctor` takes (issue 7: every problem in under 5 s), run by
# scripts/bench.sh on the namespace test bed, in the three situations that bound it:
#   healthy   a connected dante-mode member, every check runs (median of RUNS)
#   silent    the server drops packets to its SSH port: the TCP check waits out its limit
#   stalled   the server's port accepts but never speaks SSH: the ssh login waits out its
#             limit (a member whose config points at a silent listener on the vps)
# Needs root and `ip netns`.   PHANTOM_BIN=… scripts/bench_doctor.sh OUT_JSON [RUNS]
set -euo pipefail
out=$1
runs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/fixture.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3
fixture_server
fixture_member bench benchpw
H=$FX_MEMBER_HOME
fixture_phantom "$H" connect --timeout 30 >/dev/null
on_exit "fixture_phantom '$H' disconnect"

# A server port that accepts and then says nothing.
silent_port=2222
fixture_bg "$FX_NS_VPS" "$T/silent.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
held = []
while True:
    held.append(s.accept()[0])' "$FX_VPS_ADDR" "$silent_port"
fixture_wait_port "$FX_NS_VPS" "$FX_VPS_ADDR" "$silent_port" 10 "$FX_LAST_PID" || fail "the silent listener did not start"
HS=$(new_home stalled)
cp -a "$H/.phantom" "$H/.ssh" "$HS/"
rm -rf "$HS/.phantom/run" "$HS/.phantom/log"
sed -i "s/^port = 22\b.*/port = $silent_port/" "$HS/.phantom/config"
config_ok=$(grep -c "^port = $silent_port" "$HS/.phantom/config")
[ "$config_ok" = 1 ] || fail "could not point the stalled member at port $silent_port"
fixture_in "$FX_NS_CLIENT" ssh-keygen -q -f "$HS/.phantom/known_hosts" -R "$FX_VPS_ADDR" >/dev/null 2>&1 || true
printf '[%s]:%s %s\n' "$FX_VPS_ADDR" "$silent_port" "$FX_HOSTKEY_PUB" >>"$HS/.phantom/known_hosts"

samples=$T/samples
: >"$samples"
doctor_ms() { # CASE HOME
  local start=$EPOCHREALTIME
  fixture_phantom "$2" doctor --json --dns-target "$FX_UP_HOST:443" >"$T/doctor-$1.json" || true
  python3 -c "print('$1', ($EPOCHREALTIME - $start) * 1000)" >>"$samples"
}
for ((i = 0; i < runs; i++)); do doctor_ms healthy "$H"; done
drop=(-p tcp --dport "$FX_SSH_PORT" -j DROP)
fixture_in "$FX_NS_VPS" iptables -I INPUT "${drop[@]}"
for ((i = 0; i < 3; i++)); do doctor_ms silent "$H"; done
fixture_in "$FX_NS_VPS" iptables -D INPUT "${drop[@]}"
for ((i = 0; i < 3; i++)); do doctor_ms stalled "$HS"; done

python3 - "$out" "$samples" "$T" <<'PY'
import collections, json, statistics, sys
out, samples, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
data = collections.defaultdict(list)
for line in open(samples):
    case, ms = line.split()
    data[case].append(float(ms))
def verdict(case):
    d = json.load(open(f"{tmp}/doctor-{case}.json"))
    return ", ".join(f"{c['check']} {c['status']}" for c in d["checks"] if c["status"] in ("fail", "warn"))
labels = {"healthy": "healthy (every check runs)", "silent": "server drops SSH packets",
          "stalled": "port accepts, SSH never answers"}
result = {case: {"median_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1), "runs": len(v),
                 "reported": verdict(case)} for case, v in data.items()}
worst = max(r["max_ms"] for r in result.values())
result["target_ms"] = 5000
result["meets_target"] = worst < 5000
json.dump(result, open(out, "w"), indent=2)
print("phantom doctor, wall time")
print(f"  {'case':<34}{'median':>10}{'max':>10}   reported")
for case in ("healthy", "silent", "stalled"):
    r = result[case]
    print(f"  {labels[case]:<34}{r['median_ms']:>7.0f} ms{r['max_ms']:>7.0f} ms   {r['reported']}")
print(f"  slowest run {worst:.0f} ms (target < 5000 ms: {'PASS' if worst < 5000 else 'MISS'})")
PY
