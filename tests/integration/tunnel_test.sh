#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tunnel daemon against the real sshd, danted and autossh (issue 3): connect in both
# modes, one daemon for ten concurrent connects, clear errors, fault injection, no orphans.
# shellcheck disable=SC2154,SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3

fixture_server

fixture_member alice pw1
H=$FX_MEMBER_HOME
pc() { fixture_phantom "$H" "$@"; }
through() { # curl through the tunnel's local port with the member's credentials
  fixture_in "$FX_NS_CLIENT" curl -sS --max-time 5 --cacert "$FX_CA_CERT" \
    -x "socks5h://alice:${1:-pw1}@127.0.0.1:17080" "https://$FX_UP_HOST/"
}
wait_page() { fixture_wait_page "$1" "$2" through; } # TENTHS WHAT
state_field() { fixture_state "$H" "$1"; }
tunnel_pids() { fixture_tunnel_pids "$H"; }
daemon_pid() { state_field pid; }
on_exit 'pc disconnect'

step "status before connect: 3"
run_capture r pc status
assert_eq 3 "$r_rc" "status when not connected"

step "connect returns once the probe answers; curl reaches the upstream through Dante"
run_capture r pc connect --timeout 30
assert_eq 0 "$r_rc" "connect ($r_err)"
assert_eq "$FX_UPSTREAM_BODY" "$(through)" "page through the tunnel"
assert_contains "$(tail -n 1 "$FX_UPSTREAM_LOG")" "$FX_VPS_UP_ADDR" "upstream saw the vps address"
run_capture r pc status
assert_eq 0 "$r_rc" "status when connected"
assert_contains "$r_out" "connected" "status text"
assert_contains "$r_out" "autossh" "status names autossh"
run_capture r pc status --json
assert_contains "$r_out" '"phase": "connected"' "status --json"
for f in "$H/.phantom/run/state.json" "$H/.phantom/log/phantom.log"; do
  assert_eq 600 "$(stat -c %a "$f")" "mode of $f"
  assert_not_contains "$(cat "$f")" "pw1" "password in $f"
done
for p in $(tunnel_pids) $(daemon_pid); do
  assert_not_contains "$(tr '\0' ' ' <"/proc/$p/cmdline")" "pw1" "password in argv of $p"
  assert_not_contains "$(tr '\0' '\n' <"/proc/$p/environ")" "pw1" "password in environment of $p"
done
run_capture r through wrong
[ "$r_rc" -ne 0 ] || fail "a wrong SOCKS password got through"

step "kill -9 ssh: traffic flows again within 5 s"
apid=$(state_field tunnel_pid)
ssh_pid=$(cat "/proc/$apid/task/$apid/children" | awk '{print $1}')
[ -n "$ssh_pid" ] || fail "no ssh under autossh $apid"
kill -9 "$ssh_pid"
t0=$(date +%s%N)
ok=""
for _ in $(seq 1 50); do
  if [ "$(through 2>/dev/null)" = "$FX_UPSTREAM_BODY" ] && ! kill -0 "$ssh_pid" 2>/dev/null; then ok=1; break; fi
  sleep 0.1
done
[ -n "$ok" ] || fail "no traffic within 5 s after killing ssh"
echo "    recovered in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

step "kill -9 autossh: the daemon respawns it"
apid=$(state_field tunnel_pid)
kill -9 "$apid"
ok=""
for _ in $(seq 1 100); do
  new=$(state_field tunnel_pid)
  if [ -n "$new" ] && [ "$new" != "0" ] && [ "$new" != "$apid" ] && [ "$(through 2>/dev/null)" = "$FX_UPSTREAM_BODY" ]; then
    ok=1
    break
  fi
  sleep 0.1
done
[ -n "$ok" ] || fail "autossh not respawned with a working tunnel within 10 s"
assert_eq 2 "$(tunnel_pids | wc -l)" "one autossh and one ssh after the respawn"

step "ten concurrent connects: one daemon, all return 0"
pc disconnect >/dev/null
pids=()
for i in $(seq 1 10); do
  pc connect --timeout 40 >"$T/c$i.out" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent connect failed: $(cat "$T"/c*.out)"; done
count_daemons() {
  local p args n=0
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    case "$args" in "$PHANTOM_BIN connect"*) [ "$(readlink "$p/cwd")" = / ] && n=$((n + 1)) ;; esac
  done
  echo "$n"
}
# A connect whose daemon lost the race for the lock returns as soon as the winner is ready;
# its loser exits right after (it only tries the lock), which a loaded machine may delay.
for _ in $(seq 1 50); do
  [ "$(count_daemons)" -le 1 ] && break
  sleep 0.1
done
assert_eq 1 "$(count_daemons)" "daemons after ten concurrent connects"
assert_eq "$FX_UPSTREAM_BODY" "$(through)" "page after concurrent connects"

step "kill -9 the daemon: autossh and ssh go too, and connect works again"
dpid=$(daemon_pid)
kill -9 "$dpid"
for _ in $(seq 1 50); do [ -z "$(tunnel_pids)" ] && break; sleep 0.1; done
assert_eq "" "$(tunnel_pids)" "tunnel processes after the daemon was killed"
run_capture r pc status
assert_eq 3 "$r_rc" "status after the daemon was killed"
run_capture r pc connect --timeout 30
assert_eq 0 "$r_rc" "connect after a crash with a stale state file ($r_err)"

step "cut the link for 20 s: recovers within 10 s of the link coming back"
fixture_link_down
sleep 20
fixture_link_up
ms=$(wait_page 100 "no traffic within 10 s after the link came back")
echo "    recovered in $ms ms after the link came back"

step "fail closed: with the tunnel down a phantom child gets an error, never a direct path"
apid=$(state_field tunnel_pid)
kill -STOP "$apid"
for c in $(cat "/proc/$apid/task/$apid/children"); do kill -9 "$c"; done
before=$(grep -c "Connection from" "$FX_SSHD_LOG" || true)
# The vps's sshd port is reachable from the client namespace directly, but not for the child.
# The bridge answers for the dead tunnel: 503 naming the tunnel, not the target.
run_capture r fixture_in "$FX_NS_CLIENT" env -i HOME="$H" PATH=/usr/bin:/bin "$PHANTOM_BIN" \
  curl -sS --max-time 5 -w '\n%{http_code}' "http://$FX_VPS_ADDR:22/"
assert_eq 503 "$(tail -n 1 <<<"$r_out")" "status a phantom child gets with the tunnel down ($r_err)"
assert_contains "$r_out" "the tunnel is down (127.0.0.1:17080" "the child's error names the tunnel"
assert_eq "$before" "$(grep -c "Connection from" "$FX_SSHD_LOG" || true)" "sshd saw a direct connection from the child"
kill -CONT "$apid"
wait_page 150 "no traffic within 15 s after autossh continued" >/dev/null

step "disconnect leaves nothing behind (checked by pid)"
dpid=$(daemon_pid)
before=$(tunnel_pids)
run_capture r pc disconnect
assert_eq 0 "$r_rc" "disconnect"
for p in $dpid $before; do
  ! kill -0 "$p" 2>/dev/null || fail "pid $p still running after disconnect"
done
assert_eq "" "$(tunnel_pids)" "tunnel processes after disconnect"
run_capture r pc disconnect
assert_eq 0 "$r_rc" "disconnect is idempotent"
assert_contains "$r_out" "not connected" "second disconnect"

step "wrong member password: its own clear error, 69, nothing left running"
sed -i 's/^password = .*/password = "wrong"/' "$H/.phantom/config"
run_capture r pc connect --timeout 30
assert_eq 69 "$r_rc" "connect with a wrong password"
assert_contains "$r_err" "member name or password" "wrong password message"
assert_eq "" "$(tunnel_pids)" "tunnel processes after a failed connect"
sed -i 's/^password = .*/password = "pw1"/' "$H/.phantom/config"

step "unknown host key: refused with the fix"
cp "$H/.phantom/known_hosts" "$T/known_hosts.good"
ssh-keygen -q -t ed25519 -N '' -f "$T/otherkey"
echo "$FX_VPS_ADDR $(cut -d' ' -f1,2 "$T/otherkey.pub")" >"$H/.phantom/known_hosts"
run_capture r pc connect --timeout 30
assert_eq 69 "$r_rc" "connect with a wrong pinned key"
assert_contains "$r_err" "host key" "host key message"
cp "$T/known_hosts.good" "$H/.phantom/known_hosts"

step "busy local port: names the process holding it"
fixture_bg "$FX_NS_CLIENT" "$T/busy.log" python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",17080)); s.listen(); time.sleep(60)'
busy_pid=$FX_LAST_PID
fixture_wait_port "$FX_NS_CLIENT" 127.0.0.1 17080 10
run_capture r pc connect --timeout 30
assert_eq 69 "$r_rc" "connect with a busy port"
assert_contains "$r_err" "17080 is busy" "busy port message"
assert_contains "$r_err" "pid $busy_pid" "busy port names the holder"
fixture_kill "$busy_pid"

step "unreachable server: its own error within the timeout"
sed -i "s/^host = .*/host = \"10.231.254.254\"/" "$H/.phantom/config"
echo "10.231.254.254 $FX_HOSTKEY_PUB" >>"$H/.phantom/known_hosts"
run_capture r pc connect --timeout 8
assert_eq 69 "$r_rc" "connect to an unreachable server"
assert_contains "$r_err" "10.231.254.254" "unreachable message names the host"
assert_eq "" "$(tunnel_pids)" "tunnel processes after an unreachable connect"
sed -i "s/^host = .*/host = \"$FX_VPS_ADDR\"/" "$H/.phantom/config"

step "connect --foreground runs attached and stops cleanly on SIGTERM"
fixture_phantom "$H" connect --foreground >"$T/fg.out" 2>&1 &
fg_pid=$!
for _ in $(seq 1 200); do
  pc status >/dev/null 2>&1 && break
  sleep 0.1
done
run_capture r pc status
assert_eq 0 "$r_rc" "status with a foreground daemon"
assert_eq "$FX_UPSTREAM_BODY" "$(through)" "page through the foreground daemon"
run_capture r pc connect --foreground
assert_eq 69 "$r_rc" "a second foreground daemon"
assert_contains "$r_err" "already running" "second foreground daemon message"
fg_daemon=$(daemon_pid)
kill -TERM "$fg_daemon"
wait "$fg_pid" || fail "the foreground daemon did not exit 0 on SIGTERM: $(cat "$T/fg.out")"
assert_eq "" "$(tunnel_pids)" "tunnel processes after the foreground daemon stopped"

step "direct mode, and plain ssh when autossh is missing"
# sshd takes the first authorized_keys line of a key, so direct mode gets a key of its own.
ssh-keygen -q -t ed25519 -N '' -C direct -f "$H/.ssh/direct_ed25519"
fixture_add_key "$H/.ssh/direct_ed25519.pub" direct
sed -i 's/^mode = .*/mode = "direct"/; s|^ssh_key = .*|ssh_key = "~/.ssh/direct_ed25519"|' "$H/.phantom/config"
export PHANTOM_AUTOSSH=none
run_capture r pc connect --timeout 30
assert_eq 0 "$r_rc" "direct-mode connect with plain ssh ($r_err)"
assert_contains "$(pc status)" "ssh pid" "status names ssh"
got=$(fixture_in "$FX_NS_CLIENT" curl -sS --max-time 5 --cacert "$FX_CA_CERT" -x socks5h://127.0.0.1:17080 "https://$FX_UP_HOST/")
assert_eq "$FX_UPSTREAM_BODY" "$got" "page through ssh -D"
ssh_pid=$(state_field tunnel_pid)
kill -9 "$ssh_pid"
ok=""
for _ in $(seq 1 100); do
  if [ "$(fixture_in "$FX_NS_CLIENT" curl -sS --max-time 2 --cacert "$FX_CA_CERT" -x socks5h://127.0.0.1:17080 "https://$FX_UP_HOST/" 2>/dev/null)" = "$FX_UPSTREAM_BODY" ]; then ok=1; break; fi
  sleep 0.1
done
[ -n "$ok" ] || fail "plain ssh not restarted within 10 s"
pc disconnect >/dev/null
unset PHANTOM_AUTOSSH
assert_eq "" "$(tunnel_pids)" "tunnel processes at the end"

echo "$TEST_NAME: all checks passed"
