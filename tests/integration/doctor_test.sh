#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `phantom doctor` against the real tunnel fixture (issue 7): a healthy setup passes every
# check, then one fault at a time is injected and doctor must report exactly that one, with
# its fix: a socks5:// proxy variable in the caller, a process named like a proxy app
# listening on 7890, a world-readable shadow home, the member password rotated on the
# server, sshd stopped. The only WARN a healthy setup here has is the password's: this
# machine has no keyring, so it lives in the 0600 config (design: secrets).
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3

fixture_server
fixture_member alice pw1
H=$FX_MEMBER_HOME
on_exit "fixture_phantom '$H' disconnect"
fixture_phantom "$H" connect --timeout 30 >/dev/null || fail "connect failed"

# doctor [VAR=VALUE…]: doctor --json in the client namespace with the member's clean
# environment plus those variables; sets r_out (the JSON), r_rc, r_err, and prints the time.
doctor() {
  local start=$EPOCHREALTIME
  run_capture r fixture_in "$FX_NS_CLIENT" env -i HOME="$H" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    CURL_CA_BUNDLE="$FX_CA_CERT" "$@" "$PHANTOM_BIN" doctor --json --dns-target "$FX_UP_HOST:443" \
    --egress "https://$FX_UP_HOST/ip"
  echo "    doctor took $(python3 -c "print(round(($EPOCHREALTIME - $start) * 1000))") ms, exit $r_rc"
}
# The findings that are not OK, one "check status" per line, in doctor's order.
not_ok() {
  python3 -c 'import json,sys
d = json.loads(sys.argv[1])
for c in d["checks"]:
    if c["status"] != "ok": print(c["check"], c["status"])' "$r_out"
}
# finding CHECK STATUS: the text and the fix of that check's first finding with STATUS.
finding() {
  python3 -c 'import json,sys
for c in json.loads(sys.argv[1])["checks"]:
    if c["check"] == sys.argv[2] and c["status"] == sys.argv[3]:
        print(c["finding"]); print("fix: " + c["fix"]); break' "$r_out" "$1" "$2"
}
healthy_warning="password warn"

step "healthy: every check OK (the password WARN aside), exit 0"
doctor
assert_eq 0 "$r_rc" "doctor exit code ($r_err)"
assert_eq "$healthy_warning" "$(not_ok)" "checks that are not OK"
checks=$(python3 -c 'import json,sys; print(" ".join(c["check"] for c in json.loads(sys.argv[1])["checks"]))' "$r_out")
assert_eq "config ssh key host key password ssh autossh proxy variables proxy apps system proxy fake ip server ssh login tunnel tunnel bridge dns leak remote dns sandbox egress" \
  "$checks" "the checks, in order"
assert_contains "$(finding "remote dns" ok)" "$FX_UP_HOST:443 reached through the bridge by name" \
  "a name only the server resolves (remote DNS)"
assert_contains "$(finding egress ok)" "sees $FX_VPS_UP_ADDR" "egress seen through the tunnel"
assert_contains "$(finding password warn)" "in ~/.phantom/config" "why the password warns"
assert_not_contains "$r_out" "pw1" "the member password in doctor's output"
assert_not_contains "$r_out" "$(cat "$H/.phantom/run/token")" "the bridge token in doctor's output"
run_capture t fixture_phantom "$H" doctor --dns-target "$FX_UP_HOST:443"
assert_eq 0 "$t_rc" "doctor as text"
assert_contains "$t_out" "OK    server" "a column of statuses"
assert_not_contains "$t_out" $'\e[' "colour without a terminal"
sed 's/^/    | /' <<<"$t_out"

step "fault: HTTPS_PROXY=socks5://… in the caller's shell"
doctor HTTPS_PROXY=socks5://127.0.0.1:1080
assert_eq 0 "$r_rc" "a WARN alone exits 0"
assert_eq "$healthy_warning
proxy variables warn" "$(not_ok)" "only the proxy variable is reported"
f=$(finding "proxy variables" warn)
assert_contains "$f" "HTTPS_PROXY=socks5://127.0.0.1:1080" "the variable named"
assert_contains "$f" "resolves names on this machine" "what it does"
assert_contains "$f" "fix: use socks5h://" "its fix"

step "fault: a process named like a proxy app listens on 127.0.0.1:7890"
ln -s "$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')" "$T/mihomo"
fixture_bg "$FX_NS_CLIENT" "$T/mihomo.log" "$T/mihomo" -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7890)); s.listen(); time.sleep(600)'
mihomo_pid=$FX_LAST_PID
fixture_wait_port "$FX_NS_CLIENT" 127.0.0.1 7890 10 "$mihomo_pid" || fail "the stand-in mihomo did not listen"
doctor
assert_eq "$healthy_warning
proxy apps warn" "$(not_ok)" "only the proxy app is reported"
f=$(finding "proxy apps" warn)
assert_contains "$f" "mihomo (pid $mihomo_pid) is running, listening on 127.0.0.1:7890" "the app and its port"
assert_contains "$f" "fix: give $FX_VPS_ADDR a DIRECT rule" "its fix names the server"
fixture_kill "$mihomo_pid"

step "fault: the shadow home is world-readable"
fixture_phantom "$H" true || fail "phantom true failed" # creates the shadow home
chmod 0755 "$H/.phantom_env"
doctor
assert_eq 1 "$r_rc" "a FAIL exits 1"
assert_eq "$healthy_warning
sandbox fail" "$(not_ok)" "only the sandbox is reported"
assert_contains "$(finding sandbox fail)" "fix: chmod 700 ~/.phantom_env" "its fix"
chmod 0700 "$H/.phantom_env"

step "fault: the admin rotated the member's password"
fixture_add_member alice rotated-elsewhere
for _ in $(seq 100); do # the daemon's next probe (every 3 s) notices; doctor then reports it once
  [ "$(fixture_state "$H" last_probe_ok)" = False ] && break
  sleep 0.1
done
doctor
assert_eq 1 "$r_rc" "exit code"
python3 -c 'import json,sys
bad = sorted((c["check"], c["status"]) for c in json.loads(sys.argv[1])["checks"] if c["status"] != "ok")
assert bad == [("bridge", "skipped"), ("egress", "skipped"), ("password", "warn"), ("remote dns", "skipped"), ("tunnel", "fail")], bad' \
  "$r_out" || fail "not only the tunnel reported (and what needs it skipped): $(not_ok)"
assert_contains "$(finding tunnel fail)" "refused your member name or password" "the cause"
fixture_add_member alice pw1

step "fault: sshd stopped on the server"
fixture_kill "$FX_SSHD_PID"
doctor
assert_eq 1 "$r_rc" "exit code"
python3 -c 'import json,sys
bad = sorted((c["check"], c["status"]) for c in json.loads(sys.argv[1])["checks"] if c["status"] != "ok")
assert bad == [("bridge", "skipped"), ("egress", "skipped"), ("password", "warn"), ("remote dns", "skipped"),
               ("server", "fail"), ("ssh login", "skipped"), ("tunnel", "skipped")], bad' \
  "$r_out" || fail "not only the server reported (and what needs it skipped): $(not_ok)"
f=$(finding server fail)
assert_contains "$f" "$FX_VPS_ADDR:22 refused the connection" "the cause"
assert_contains "$f" "fix: ask your admin" "its fix"
assert_contains "$(python3 -c 'import json,sys
print([c["finding"] for c in json.loads(sys.argv[1])["checks"] if c["check"] == "tunnel"])' "$r_out")" \
  'needs "server"' "the tunnel's state explained by the server, said once"

echo "$TEST_NAME: all checks passed"
