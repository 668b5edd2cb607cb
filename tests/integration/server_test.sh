#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The server as an admin runs it (issue 5), bare, in the fixture's vps namespace:
# server/entrypoint.sh starts danted and sshd from a data directory that phantom-admin
# prepares; members are added with `phantom-admin user add` and onboarded with
# `phantom init --invite`. Checks what each member can and cannot reach, and that changes to
# one member take effect at once without touching the others.
# shellcheck disable=SC2154,SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3
: "${PHANTOM_ADMIN_BIN:?PHANTOM_ADMIN_BIN must point at phantom-admin (CTest sets it)}"

step "entrypoint.sh dante and sshd start bare from an empty data directory"
fixture_entrypoint_server
DATA=$FX_DATA
sshd_pid=$FX_ENTRY_SSHD_PID
admin() { fixture_admin "$@"; }
assert_eq 600 "$(stat -c %a "$DATA/server.toml")" "server.toml mode"
assert_eq 600 "$(stat -c %a "$DATA/ssh/ssh_host_ed25519_key")" "host key mode"
assert_eq 640 "$(stat -c %a "$DATA/dante/passwd")" "password file mode"
run_capture r admin check
assert_eq 0 "$r_rc" "check on a fresh server ($r_out)"
assert_contains "$r_out" "ok   danted answers SOCKS5 on 127.0.0.1:1080" "check sees danted"
assert_contains "$r_out" "ok   sshd answers on 127.0.0.1:22" "check sees sshd"

# onboard NAME PORT: fixture_onboard, remembered as HOME_<name> and INVITE_<name>.
onboard() {
  fixture_onboard "$1" "$2"
  eval "HOME_$1=\$FX_MEMBER_HOME"
  eval "INVITE_$1=\$FX_MEMBER_INVITE"
}

step "two members onboard from their invites and reach the upstream, each by its own name"
onboard alice 17080
onboard bob 17081
assert_contains "$(cat "$DATA/dante/passwd")" 'alice:$' "alice's hash in the password file"
assert_not_contains "$(cat "$DATA/users.json" "$DATA/dante/passwd")" "${INVITE_alice#*:}" "plain password stored"
for m in alice bob; do
  h=HOME_$m
  run_capture r fixture_phantom "${!h}" connect --timeout 30
  assert_eq 0 "$r_rc" "$m connects ($r_err)"
  run_capture r fixture_phantom "${!h}" curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/"
  assert_eq "$FX_UPSTREAM_BODY" "$r_out" "$m's page ($r_err)"
  assert_contains "$(tail -n 1 "$FX_UPSTREAM_LOG")" "$FX_VPS_UP_ADDR https GET /" "egress from the vps for $m"
done
on_exit "fixture_phantom $HOME_alice disconnect; fixture_phantom $HOME_bob disconnect"

tunnel_curl() { # PORT USER PASSWORD URL: straight through a member's tunnel, SOCKS5 with credentials
  fixture_in "$FX_NS_CLIENT" curl -sS --max-time 10 --cacert "$FX_CA_CERT" -x "socks5h://$2:$3@127.0.0.1:$1" "$4"
}

step "private, loopback and metadata targets are refused through Dante"
for target in "http://127.0.0.1:80/" "http://127.0.0.1:22/" "http://169.254.169.254/latest/meta-data/" "http://$FX_CLIENT_ADDR:80/" \
  "http://10.0.0.1:443/" "http://localhost:80/"; do
  # --noproxy "": NO_PROXY would send loopback targets straight to the laptop's own loopback.
  run_capture r fixture_phantom "$HOME_alice" curl -sS --max-time 10 --noproxy "" -w '\n%{http_code}' "$target"
  assert_eq 502 "$(tail -n 1 <<<"$r_out")" "status for $target"
  assert_contains "$r_out" "forbid" "cause for $target"
done
# IPv6 loopback: refused too (this Dante has no IPv6 way out; the rules block ::1 regardless).
run_capture r fixture_phantom "$HOME_alice" curl -sS --max-time 10 --noproxy "" -w '\n%{http_code}' "http://[::1]:80/"
assert_eq 502 "$(tail -n 1 <<<"$r_out")" "status for [::1]"
run_capture r fixture_phantom "$HOME_alice" curl -sS --max-time 10 -w '\n%{http_code}' "http://$FX_UP_HOST:22/"
assert_eq 502 "$(tail -n 1 <<<"$r_out")" "a port outside 80/443"

step "the tunnel key only forwards to Dante: no command, no other destination"
key="$HOME_alice/.ssh/phantom_ed25519"
ssh_opts=(-F /dev/null -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes
  -o UserKnownHostsFile="$HOME_alice/.phantom/known_hosts" -o ConnectTimeout=5)
run_capture r fixture_in "$FX_NS_CLIENT" timeout 15 ssh "${ssh_opts[@]}" "$FX_TUNNEL_USER@$FX_VPS_ADDR" id
assert_not_contains "$r_out" "uid=" "a command ran for the tunnel key"
free=$(fixture_free_port "$FX_NS_CLIENT")
fixture_bg "$FX_NS_CLIENT" "$FX_DIR/forward.log" ssh "${ssh_opts[@]}" -N -L "127.0.0.1:$free:$FX_UP_ADDR:443" \
  "$FX_TUNNEL_USER@$FX_VPS_ADDR"
fwd_pid=$FX_LAST_PID
fixture_wait_port "$FX_NS_CLIENT" 127.0.0.1 "$free" 10 "$fwd_pid" || fail "ssh -L did not listen"
run_capture r fixture_in "$FX_NS_CLIENT" curl -sS --max-time 5 --cacert "$FX_CA_CERT" \
  --resolve "$FX_UP_HOST:$free:127.0.0.1" "https://$FX_UP_HOST:$free/"
[ "$r_rc" -ne 0 ] || fail "the tunnel key forwarded to the upstream directly"
fixture_kill "$fwd_pid"
assert_contains "$(cat "$FX_DIR/entrypoint-sshd.log")" "to connect to host $FX_UP_ADDR port 443, but the request was denied" \
  "sshd refused the forward"

step "disable alice: her new connections fail at once, bob's open stream keeps running"
fixture_bg "$FX_NS_CLIENT" "$FX_DIR/bob-stream.log" env -i HOME="$HOME_bob" PATH=/usr/bin:/bin "$PHANTOM_BIN" \
  curl -sS --max-time 60 --limit-rate 4M --cacert "$FX_CA_CERT" -o /dev/null -w '%{http_code} %{size_download}\n' \
  "https://$FX_UP_HOST/bytes/16000000"
stream_pid=$FX_LAST_PID
sleep 1
admin user disable alice || fail "user disable alice"
assert_not_contains "$(cat "$DATA/dante/passwd")" "alice:" "alice in the password file"
run_capture r fixture_phantom "$HOME_alice" curl -sS --max-time 10 -w '\n%{http_code}' "https://$FX_UP_HOST/"
[ "$(tail -n 1 <<<"$r_out")" != 200 ] || fail "disabled alice still got through"
wait "$stream_pid" || fail "bob's stream failed: $(cat "$FX_DIR/bob-stream.log")"
assert_eq "200 16000000" "$(cat "$FX_DIR/bob-stream.log")" "bob's stream across alice's disable"
admin user enable alice || fail "user enable alice"
for _ in $(seq 1 50); do
  fixture_phantom "$HOME_alice" status >/dev/null && break
  sleep 0.3
done
run_capture r fixture_phantom "$HOME_alice" curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "alice again after enable ($r_err)"

step "a wrong password fails; user passwd and user invite rotate it"
run_capture r tunnel_curl 17081 bob wrong "https://$FX_UP_HOST/"
[ "$r_rc" -ne 0 ] || fail "a wrong member password got through"
run_capture r admin user invite bob
assert_eq 0 "$r_rc" "user invite ($r_err)"
new_password=$(python3 -c 'import sys, urllib.parse as u; print(u.unquote(u.urlsplit(sys.argv[1]).password))' "$r_out")
[ -n "$new_password" ] || fail "no password in the new invite"
run_capture r tunnel_curl 17081 bob "$new_password" "https://$FX_UP_HOST/"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "bob with the rotated password ($r_err)"

step "user del: the key and the password are gone for new connections"
admin user del alice || fail "user del alice"
assert_not_contains "$(cat "$DATA/ssh/authorized_keys")" "phantom:alice" "alice's key"
assert_not_contains "$(admin user list)" "alice" "user list after del"
fixture_phantom "$HOME_alice" disconnect >/dev/null
run_capture r fixture_phantom "$HOME_alice" connect --timeout 15
assert_eq 69 "$r_rc" "a deleted member's connect"

step "ratelimit: apply is idempotent, a low limit holds a burst back, clear restores full speed"
chain() { fixture_in "$FX_NS_VPS" iptables-save -t filter | grep -e "PHANTOM-EGRESS" | grep -v "^:"; }
applied=$(chain)
assert_contains "$applied" "-A OUTPUT -j PHANTOM-EGRESS" "the entrypoint hooked the chain"
admin ratelimit apply || fail "ratelimit apply"
assert_eq "$applied" "$(chain)" "rules after a second apply"
# burst N: N new connections through bob's tunnel at once; prints how many finished in 0.9 s.
burst() {
  local i
  for i in $(seq 1 "$1"); do
    fixture_in "$FX_NS_CLIENT" curl -s -o /dev/null --max-time 30 -w '%{time_total}\n' \
      -x "socks5h://bob:$new_password@127.0.0.1:17081" "http://$FX_UP_HOST/burst$i" &
  done | awk '$1 < 0.9 { fast++ } END { print fast + 0 }'
}
assert_eq 10 "$(burst 10)" "connections finished at once without a tight limit"
fixture_in "$FX_NS_VPS" env "${FX_SERVER_ENV[@]}" PHANTOM_EGRESS_RATE=2/1 PHANTOM_EGRESS_BURST=2 \
  "$PHANTOM_ADMIN_BIN" ratelimit apply || fail "ratelimit apply with a low limit"
fast=$(burst 10)
echo "    at 2/s (burst 2): $fast of 10 new connections went through at once"
[ "$fast" -le 4 ] || fail "the limit let $fast of 10 through at once"
dropped=$(admin ratelimit show | awk '/DROP/ { print $1 }')
[ "${dropped:-0}" -gt 0 ] || fail "no SYN counted as held back: $(admin ratelimit show)"
admin ratelimit clear || fail "ratelimit clear"
assert_eq "" "$(chain)" "phantom's rules after clear"
assert_eq 10 "$(burst 10)" "connections finished at once after clear"
admin ratelimit clear || fail "a second clear"

step "check names what is wrong: a loosened file, a stopped daemon"
chmod 0644 "$DATA/server.toml"
run_capture r admin check
assert_eq 1 "$r_rc" "check with server.toml 0644"
assert_contains "$r_out" "FAIL $DATA/server.toml has mode 600: has mode 644: chmod 600" "check's finding and fix"
chmod 0600 "$DATA/server.toml"
fixture_kill "$sshd_pid"
run_capture r admin check --service sshd
assert_eq 1 "$r_rc" "check --service sshd with sshd stopped"
assert_contains "$r_out" "FAIL sshd answers on 127.0.0.1:22: Connection refused" "check names the stopped daemon"
run_capture r admin check --service dante
assert_eq 0 "$r_rc" "check --service dante still fine ($r_out)"

step "ten admins adding members at once lose none of them"
adders=()
for i in $(seq 1 10); do
  admin user add "crowd$i" >/dev/null &
  adders+=($!)
done
for p in "${adders[@]}"; do wait "$p" || fail "a concurrent user add failed"; done
assert_eq 10 "$(admin user list --json | python3 -c 'import json,sys; print(sum(m["name"].startswith("crowd") for m in json.load(sys.stdin)))')" \
  "members after ten concurrent adds"
assert_eq 10 "$(grep -c '^crowd' "$DATA/dante/passwd")" "their lines in the password file"

step "bad input changes nothing and says why"
before=$(sha256sum "$DATA/users.json" "$DATA/dante/danted.conf" "$DATA/ssh/authorized_keys")
for args in "user del nosuch" "user add bob" "user add Bad!Name" "user add eve --ssh-key not-a-key" \
  "user add eve --rate fast" "user add eve --max-sessions 0" "user disable" "user frobnicate x" "nonsense"; do
  # shellcheck disable=SC2086
  run_capture r admin $args
  [ "$r_rc" -ne 0 ] || fail "phantom-admin $args succeeded"
  assert_eq 1 "$(wc -l <<<"$r_err" | awk '{print ($1 <= 2)}')" "one-line error (plus hint) for: $args"
done
run_capture r admin user add eve --ssh-key 'command="/bin/sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHkQndm+pjI/eEVTnA9L1JZevC5Xac/y/9SC7e5kostF'
[ "$r_rc" -ne 0 ] || fail "a key with smuggled options was accepted"
# Missing tools: the one line names the package.
without_tools() { fixture_in "$FX_NS_VPS" env "${FX_SERVER_ENV[@]}" PATH=/nonexistent "$PHANTOM_ADMIN_BIN" "$@"; }
run_capture r without_tools user add eve
assert_eq 69 "$r_rc" "user add without danted"
assert_contains "$r_err" "danted is not installed" "missing danted named"
run_capture r without_tools ratelimit apply
assert_eq 69 "$r_rc" "ratelimit without iptables"
assert_contains "$r_err" "iptables-restore is not installed" "missing iptables named"
run_capture r admin --data-dir /proc/phantom-no-such-dir render
assert_eq 69 "$r_rc" "render into an unwritable data directory"
assert_eq "$before" "$(sha256sum "$DATA/users.json" "$DATA/dante/danted.conf" "$DATA/ssh/authorized_keys")" \
  "files after bad input"

echo "$TEST_NAME: all checks passed"
