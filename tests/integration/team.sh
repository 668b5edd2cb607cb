# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# A team on the namespace test bed, for the team load test (tests/integration/team_test.sh)
# and its benchmark (scripts/bench_team.sh). Source it after lib.sh and fixture.sh:
#   team_up N
#       fixture_entrypoint_server with the default limits, N members (member01…) added by
#       phantom-admin and onboarded from their invites, every member's `phantom connect`
#       (eight at a time, as people arriving in the morning would not all press enter in the
#       same second). Sets TEAM_MEMBERS (file: "NAME BRIDGE_PORT TOKEN" per line, what
#       team_load.py reads) and TEAM_HOMES (array).
#   team_load ARGS…
#       tests/integration/team_load.py in the client namespace against that team, with the
#       server namespace sampled (--server-netns); ARGS are passed on (--duration …).
TEAM_HOMES=()
team_up() { # N
  local n=$1 i name home pids=()
  fixture_entrypoint_server
  TEAM_MEMBERS="$T/team-members"
  : >"$TEAM_MEMBERS"
  for ((i = 1; i <= n; i++)); do
    printf -v name 'member%02d' "$i"
    # Tunnel ports 20001…: below the kernel's ephemeral range, so that no bridge (port 0) or
    # outgoing connection takes one before its member connects; free ports picked one by one
    # would collide by chance in a big team.
    fixture_onboard "$name" $((20000 + i))
    TEAM_HOMES+=("$FX_MEMBER_HOME")
  done
  on_exit team_down
  for ((i = 0; i < n; i++)); do
    fixture_phantom "${TEAM_HOMES[$i]}" connect --timeout 60 >"$T/connect-$i.log" 2>&1 &
    pids+=($!)
    if [ "${#pids[@]}" -ge 8 ] || [ "$i" -eq $((n - 1)) ]; then
      for p in "${pids[@]}"; do
        wait "$p" || fail "a member's connect failed: $(cat "$T"/connect-*.log)"
      done
      pids=()
    fi
  done
  for ((i = 0; i < n; i++)); do
    home=${TEAM_HOMES[$i]}
    printf 'member%02d %s %s\n' $((i + 1)) "$(fixture_state "$home" bridge_port)" "$(cat "$home/.phantom/run/token")" \
      >>"$TEAM_MEMBERS"
  done
}

team_down() { # every member's disconnect, sixteen at a time (one by one, 200 take minutes)
  local i pids=()
  for ((i = 0; i < ${#TEAM_HOMES[@]}; i++)); do
    fixture_phantom "${TEAM_HOMES[$i]}" disconnect >/dev/null 2>&1 &
    pids+=($!)
    if [ "${#pids[@]}" -ge 16 ]; then
      wait "${pids[@]}" || true
      pids=()
    fi
  done
  [ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}" || true
}

team_load() {
  fixture_in "$FX_NS_CLIENT" python3 "$PHANTOM_SOURCE_DIR/tests/integration/team_load.py" --members "$TEAM_MEMBERS" \
    --host "$FX_UP_HOST" --ca "$FX_CA_CERT" --server-netns "$FX_NS_VPS" "$@"
}
