#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tunnel recovery benchmark (issue 3), run by scripts/bench.sh: on the namespace test bed,
# how long a dead link takes to be detected, and seconds from the link coming back to the
# first successful request (median of ROUNDS), with and without the wake nudge (SIGUSR1,
# what the daemon does itself when it detects a wake). Needs root and `ip netns`.
#   PHANTOM_BIN=… scripts/bench_tunnel.sh OUT_JSON [ROUNDS] [DOWN_SECONDS]
set -euo pipefail
out=$1
rounds=${2:-5}
down=${3:-8}
here=$(cd "$(dirname "$0")" && pwd)
TEST_NAME=bench_tunnel
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/fixture.sh"
fixture_require_root_netns
fixture_topology
fixture_upstream_https
fixture_sshd
fixture_danted

fixture_member bench benchpw
H=$FX_MEMBER_HOME
pc() { fixture_phantom "$H" "$@"; }
pc connect --timeout 30 >/dev/null
on_exit 'pc disconnect'

ms_now() { echo $(($(date +%s%N) / 1000000)); }
fetch() {
  fixture_in "$FX_NS_CLIENT" curl -sS --max-time 2 --cacert "$FX_CA_CERT" \
    -x "socks5h://bench:benchpw@127.0.0.1:17080" "https://$FX_UP_HOST/" 2>/dev/null
}
probe_ok() {
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("1" if s.get("last_probe_ok") else "0")' \
    "$H/.phantom/run/state.json" 2>/dev/null || echo 1
}
# until_ok CMD…: milliseconds until CMD prints the upstream page (bounded at 60 s).
until_page() {
  local t0 limit=$(($(ms_now) + 60000))
  t0=$(ms_now)
  while [ "$(ms_now)" -lt "$limit" ]; do
    [ "$(fetch)" = "$FX_UPSTREAM_BODY" ] && { echo $(($(ms_now) - t0)); return 0; }
    sleep 0.05
  done
  echo -1
}

detect=() recover=() wake=()
for i in $(seq 1 "$rounds"); do
  [ "$(fetch)" = "$FX_UPSTREAM_BODY" ] || fail "round $i: no page before cutting the link"
  # Detection: from link down to the daemon's first failed probe.
  t0=$(ms_now)
  fixture_link_down
  d=-1
  while [ $(($(ms_now) - t0)) -lt 30000 ]; do
    if [ "$(probe_ok)" = 0 ]; then d=$(($(ms_now) - t0)); break; fi
    sleep 0.05
  done
  detect+=("$d")
  sleep "$down"
  fixture_link_up
  recover+=("$(until_page)")

  # Simulated wake: same cut, then the nudge the wake detector gives.
  fixture_link_down
  sleep "$down"
  fixture_link_up
  kill -USR1 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$H/.phantom/run/state.json")"
  wake+=("$(until_page)")
done

python3 - "$out" "${detect[*]}" "${recover[*]}" "${wake[*]}" "$down" <<'PY'
import json, statistics, sys
out, detect, recover, wake, down = sys.argv[1], *[list(map(int, a.split())) for a in sys.argv[2:5]], int(sys.argv[5])
def med(xs):
    return statistics.median(xs) / 1000.0
result = {
    "rounds": len(recover), "link_down_seconds": down,
    "dead_link_detected_s_median": med(detect), "dead_link_detected_s": [x / 1000 for x in detect],
    "recovery_after_link_restored_s_median": med(recover), "recovery_s": [x / 1000 for x in recover],
    "recovery_after_wake_nudge_s_median": med(wake), "wake_recovery_s": [x / 1000 for x in wake],
    "target_recovery_s": 10.0,
}
json.dump(result, open(out, "w"), indent=2)
print(f"tunnel recovery ({len(recover)} rounds, link down {down} s each)")
print(f"  dead link detected (first failed probe)   median {med(detect):6.2f} s  {detect} ms")
print(f"  first request after the link is restored  median {med(recover):6.2f} s  {recover} ms (target < 10 s)")
print(f"  same, with the wake nudge (SIGUSR1)       median {med(wake):6.2f} s  {wake} ms")
PY
