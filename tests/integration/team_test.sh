#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The team load test at a small N (issue 6): four members with their own credentials and
# daemons, agentic sessions for a few seconds against the server with its default limits.
# Zero failures, every member served, and the report's figures present and plausible; then
# the same generator with one member's token wrong must count failures (so a clean run means
# something). The full-size run is the benchmark: scripts/bench.sh --team 15.
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture.sh"
. "$(dirname "$0")/team.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3

step "four members onboard and connect"
team_up 4

step "a short agentic load: bursts at start, keep-alive requests, new connections"
run_capture r team_load --duration 25 --spread 3 --calibrate 5 --out "$T/team.json"
assert_eq 0 "$r_rc" "team_load ($r_err)"
echo "$r_out"
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, v))' "$T/team.json" "$1"; }
assert_eq 0 "$(field requests_failed)" "failed requests"
assert_eq True "$(field 'requests_attempted >= 4 * 5 + 4 * 8')" "enough requests for four sessions"
assert_eq True "$(field 'connections_opened >= 4 * 6')" "bursts and new connections opened"
assert_eq True "$(field 'all(m["succeeded"] > 0 and m["failed"] == 0 for m in per_member.values())')" \
  "every member served without failure"
assert_eq True "$(field '0 < latency_p50_ms <= latency_p99_ms < 5000')" "latency figures"
assert_eq True "$(field '0 < connect_idle_p50_ms and connect_p99_ms >= connect_p50_ms > 0')" "connect figures"
assert_eq True "$(field 'server_cpu_seconds > 0 and server_peak_pss_mib > 1 and server_peak_processes >= 2')" \
  "server CPU and memory sampled"
assert_eq True "$(field '0 < fairness_min_over_max_succeeded <= 1')" "fairness figure"

step "the generator counts failures: a member with a wrong token fails every request"
sed -i '1s/ [^ ]*$/ wrong-token/' "$TEAM_MEMBERS"
run_capture r team_load --duration 4 --spread 0 --calibrate 0 --out "$T/bad.json"
assert_eq 0 "$r_rc" "team_load with a wrong token ($r_err)"
assert_eq True "$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["per_member"]
print(v["member01"]["succeeded"] == 0 and v["member01"]["failed"] > 0 and v["member02"]["failed"] == 0)' "$T/bad.json")" \
  "failures counted for the wrong token only"
assert_contains "$r_out" "407" "the cause names the bridge's 407"
echo "$TEST_NAME: all checks passed"
