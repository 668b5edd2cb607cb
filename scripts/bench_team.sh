#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The team load benchmark (issue 6), run by `scripts/bench.sh --team N`: N members, each with
# its own credentials, key and daemon, on the namespace test bed with the server exactly as
# entrypoint.sh starts it and its default limits (server.toml as written on first start).
# Each member behaves like an agentic CLI session (tests/integration/team_load.py): a burst
# of 5-8 new HTTPS connections at start (starts spread over SPREAD s), keep-alive requests
# every 1-3 s for DURATION s, a new connection every 15-25 s. Reports requests attempted /
# succeeded / failed, p50/p99 latency, the p99 extra connect delay against an idle server,
# how many connection attempts the egress limit held back (iptables counter), server CPU and
# memory, and per-member fairness. Needs root and `ip netns`.
#   PHANTOM_BIN=… PHANTOM_ADMIN_BIN=… scripts/bench_team.sh OUT_JSON N [DURATION] [SPREAD]
set -euo pipefail
out=$1
n=$2
duration=${3:-300}
spread=${4:-60}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/fixture.sh"
. "$here/../tests/integration/team.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3

echo "team load: onboarding and connecting $n members…"
t0=$(date +%s)
team_up "$n"
echo "  $n members connected in $(($(date +%s) - t0)) s"
team_load --duration "$duration" --spread "$spread" --out "$T/team.json"
held=$(fixture_admin ratelimit show | awk '/DROP/ { s += $1 } END { print s + 0 }')
echo "  egress limit held back $held connection attempts (SYNs dropped by hashlimit, retried by TCP)"
python3 - "$T/team.json" "$out" "$held" "$FX_DATA/server.toml" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
r["egress_syns_held_back"] = int(sys.argv[3])
r["limits"] = dict(re.findall(r'^(max_sessions|member_rate|egress_rate|egress_burst) = "?([^"\s#]*)',
                               open(sys.argv[4]).read(), re.M))
json.dump(r, open(sys.argv[2], "w"), indent=2)
print("  server limits (defaults): " + ", ".join("%s %s" % kv for kv in r["limits"].items()))
PY
echo "  JSON: $out"
