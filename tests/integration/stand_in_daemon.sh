# SPDX-License-Identifier: MIT
# Sourced by session_test.sh and scripts/bench.sh: a stand-in for a connected daemon, for
# tests of what `phantom CMD` does before it execs (environment, shadow home, exec), where
# the tunnel itself is beside the point (it has its own tests).
#
#   stand_in_daemon HOME BRIDGE_PORT TOKEN
#       Publishes what a connected daemon publishes for `phantom CMD` — run/state.json with
#       the bridge port and the 0600 run/token — and holds run/lock the way the daemon does.
#       Sets STAND_IN_PID (a `sleep` holding the lock: kill it to release the lock). Must be
#       called from the main shell, not from $(…).

stand_in_daemon() { # HOME BRIDGE_PORT TOKEN
  local home=$1 port=$2 token=$3 i
  mkdir -p -m 0700 "$home/.phantom/run"
  (umask 077 && printf '%s\n' "$token" >"$home/.phantom/run/token")
  # The subshell takes the lock on fd 9 and becomes `sleep` (same pid), so killing that pid
  # releases the lock and leaves nothing holding the caller's output open.
  (
    exec 9>"$home/.phantom/run/lock"
    flock 9
    exec sleep 3600
  ) >/dev/null 2>&1 &
  STAND_IN_PID=$!
  (umask 077 && printf '{"pid": %s, "bridge_port": %s, "phase": "connected"}\n' "$STAND_IN_PID" "$port" \
    >"$home/.phantom/run/state.json")
  for i in $(seq 1 100); do
    flock -n "$home/.phantom/run/lock" true || return 0
    sleep 0.02
  done
  echo "stand_in_daemon: the lock was not taken within 2 s" >&2
  return 1
}
