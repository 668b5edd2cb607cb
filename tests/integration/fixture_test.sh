#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Proves the namespace fixture (fixture.sh) that the tunnel, bridge and end-to-end tests build
# on: the client sees only the vps, a dante-mode key reaches the upstream only through Dante
# with a member's password, a direct-mode key through `ssh -D`, tunnel keys cannot run commands
# or forward elsewhere, and teardown leaves nothing behind. Needs no phantom binary.
# r_out/r_err/r_rc come from run_capture; bash -c '…"$0"…' snippets take arguments on purpose.
# shellcheck disable=SC2154,SC2016

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fixture.sh
. "$(dirname "$0")/fixture.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen curl openssl getent timeout danted /usr/sbin/sshd python3
started=$(date +%s%N)

step "topology, upstream, sshd and danted come up"
fixture_topology
fixture_upstream_https
fixture_sshd
fixture_danted

step "the client sees only the vps"
run_capture r fixture_in "$FX_NS_CLIENT" getent hosts "$FX_UP_HOST"
[ "$r_rc" -ne 0 ] || fail "$FX_UP_HOST resolves in the client namespace: $r_out"
run_capture r fixture_in "$FX_NS_VPS" getent hosts "$FX_UP_HOST"
assert_eq 0 "$r_rc" "$FX_UP_HOST resolves in the vps namespace"
assert_contains "$r_out" "$FX_UP_ADDR" "vps resolves $FX_UP_HOST to the upstream"
for ns in "$FX_NS_CLIENT" "$FX_NS_VPS" "$FX_NS_UP"; do
  assert_eq "" "$(ip -n "$ns" route show default)" "default route in $ns"
done
run_capture r ip -n "$FX_NS_CLIENT" route get "$FX_UP_ADDR"
[ "$r_rc" -ne 0 ] || fail "the client has a route to the upstream: $r_out"
run_capture r fixture_in "$FX_NS_CLIENT" curl -sS --max-time 3 "http://$FX_UP_ADDR/"
[ "$r_rc" -ne 0 ] || fail "the client reached the upstream directly: $r_out"
assert_eq 0 "$(fixture_in "$FX_NS_VPS" cat /proc/sys/net/ipv4/ip_forward)" "ip_forward in the vps"
# Even a client that adds a route through the vps gets nowhere: the vps does not forward.
ip -n "$FX_NS_CLIENT" route add "$FX_UP_NET" via "$FX_VPS_ADDR"
run_capture r fixture_in "$FX_NS_CLIENT" curl -sS --connect-timeout 1 --max-time 2 "http://$FX_UP_ADDR/"
ip -n "$FX_NS_CLIENT" route del "$FX_UP_NET" via "$FX_VPS_ADDR"
[ "$r_rc" -ne 0 ] || fail "the vps forwarded the client to the upstream: $r_out"
[ ! -s "$FX_UPSTREAM_LOG" ] || fail "the upstream saw a request already: $(cat "$FX_UPSTREAM_LOG")"

step "the upstream fingerprints every TLS ClientHello"
[ ! -s "$FX_UPSTREAM_HELLO_LOG" ] || fail "port probes left ClientHello lines: $(cat "$FX_UPSTREAM_HELLO_LOG")"
curl_vps() { # CURL_ARGS…: one HTTPS request straight from the vps
  fixture_in "$FX_NS_VPS" curl -sS --max-time 10 --cacert "$FX_CA_CERT" "$@" "https://$FX_UP_HOST/"
}
# hello_of CMD…: runs CMD (one HTTPS request from the vps or through it, which must get the
# page) and sets `hello` to the fingerprint of the one ClientHello the upstream logged for it.
hello_of() {
  local before line src sni
  before=$(wc -l <"$FX_UPSTREAM_HELLO_LOG")
  run_capture r "$@"
  assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page from $* ($r_err)"
  assert_eq "$((before + 1))" "$(wc -l <"$FX_UPSTREAM_HELLO_LOG")" "ClientHello lines after $*"
  line=$(tail -n 1 "$FX_UPSTREAM_HELLO_LOG")
  read -r src sni hello _ <<<"$line"
  assert_eq "$FX_VPS_UP_ADDR $FX_UP_HOST" "$src $sni" "source and SNI of the ClientHello"
  [[ $hello =~ ^[0-9a-f]{64}$ ]] || fail "no fingerprint in the ClientHello line: $line"
}
hello_of curl_vps
direct=$hello
hello_of curl_vps
assert_eq "$direct" "$hello" "fingerprint of the same curl again (fresh random, key share, session id)"
hello_of curl_vps --tls-max 1.2
[ "$hello" != "$direct" ] || fail "curl --tls-max 1.2 has the same ClientHello fingerprint as curl"
hello_of curl_vps --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 --tls-max 1.2
[ "$hello" != "$direct" ] || fail "curl --ciphers has the same ClientHello fingerprint as curl"

step "dante mode: ssh -L to Dante, SOCKS5 with a member's password"
C="$T/client"
mkdir -m 0700 "$C"
ssh-keygen -q -t ed25519 -N '' -C dante -f "$C/id_dante"
ssh-keygen -q -t ed25519 -N '' -C direct -f "$C/id_direct"
fixture_add_key "$C/id_dante.pub" dante
fixture_add_member alice pw1
fixture_known_hosts "$C/known_hosts"
P=$(fixture_free_port "$FX_NS_CLIENT")
P22=$P
for _ in 1 2 3 4 5; do
  [ "$P22" != "$P" ] && break
  P22=$(fixture_free_port "$FX_NS_CLIENT")
done
[ "$P22" != "$P" ] || fail "no second free port"
fixture_ssh_args "$C/id_dante" "$C/known_hosts"
fixture_bg "$FX_NS_CLIENT" "$T/ssh-dante.log" ssh "${FX_SSH_ARGS[@]}" -N \
  -L "127.0.0.1:$P:$FX_DANTE_ADDR:$FX_DANTE_PORT" -L "127.0.0.1:$P22:127.0.0.1:22" "$FX_SSH_DEST"
ssh_dante=$FX_LAST_PID
fixture_wait_port "$FX_NS_CLIENT" 127.0.0.1 "$P" 15 "$ssh_dante" || {
  cat "$T/ssh-dante.log" >&2
  tail -n 20 "$FX_SSHD_LOG" >&2
  fail "the dante-mode tunnel did not come up"
}
curl_dante() { # URL [USER:PASSWORD]
  fixture_in "$FX_NS_CLIENT" curl -sS --max-time 10 --cacert "$FX_CA_CERT" \
    -x "socks5h://${2:-alice:pw1}@127.0.0.1:$P" "$1"
}
run_capture r curl_dante "https://$FX_UP_HOST/"
assert_eq 0 "$r_rc" "curl through Dante ($r_err)"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page through Dante"
last=$(tail -n 1 "$FX_UPSTREAM_LOG")
assert_eq "$FX_VPS_UP_ADDR https GET / $FX_UP_HOST" "$last" "upstream log line"
assert_eq "$FX_VPS_UP_ADDR $FX_UP_HOST $direct" "$(tail -n 1 "$FX_UPSTREAM_HELLO_LOG" | cut -d' ' -f1-3)" \
  "ClientHello through Dante (the same curl as straight from the vps)"
run_capture r curl_dante "http://$FX_UP_HOST/"
assert_eq 0 "$r_rc" "plain http through Dante ($r_err)"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "plain http page through Dante"
requests=$(wc -l <"$FX_UPSTREAM_LOG")

run_capture r curl_dante "https://$FX_UP_HOST/" alice:wrong
[ "$r_rc" -ne 0 ] || fail "a wrong password got through: $r_out"
run_capture r curl_dante "https://$FX_UP_HOST/" mallory:pw1
[ "$r_rc" -ne 0 ] || fail "an unknown member got through: $r_out"
step "a password change needs no reload"
fixture_add_member alice pw2
run_capture r curl_dante "https://$FX_UP_HOST/" alice:pw1
[ "$r_rc" -ne 0 ] || fail "the old password still works: $r_out"
run_capture r curl_dante "https://$FX_UP_HOST/" alice:pw2
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page with the new password ($r_err)"
assert_eq "$((requests + 1))" "$(wc -l <"$FX_UPSTREAM_LOG")" "requests the upstream saw"

step "a dante-mode key can neither run a command nor forward elsewhere"
run_capture r fixture_in "$FX_NS_CLIENT" timeout 15 ssh "${FX_SSH_ARGS[@]}" "$FX_SSH_DEST" 'echo pwned'
[ "$r_rc" -ne 0 ] || fail "the tunnel key ran a command: $r_out"
assert_not_contains "$r_out" "pwned" "command output"
assert_contains "$r_out$r_err" "This account is currently not available" "nologin answers"
# The key option itself (not only the account's shell) forces nologin.
assert_contains "$(cat "$FX_SSHD_LOG")" "forced-command (key-option) '/usr/sbin/nologin'" "forced command"
run_capture r fixture_in "$FX_NS_CLIENT" timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && head -c 4 <&3' "$P22"
assert_not_contains "$r_out" "SSH-" "banner of the vps's sshd through a forbidden forward"
assert_contains "$(cat "$FX_SSHD_LOG")" "to connect to host 127.0.0.1 port 22, but the request was denied" \
  "sshd refuses the forward"

step "direct mode: ssh -D"
fixture_add_key "$C/id_direct.pub" direct
PD=$(fixture_free_port "$FX_NS_CLIENT")
fixture_ssh_args "$C/id_direct" "$C/known_hosts"
fixture_bg "$FX_NS_CLIENT" "$T/ssh-direct.log" ssh "${FX_SSH_ARGS[@]}" -N -D "127.0.0.1:$PD" "$FX_SSH_DEST"
ssh_direct=$FX_LAST_PID
fixture_wait_port "$FX_NS_CLIENT" 127.0.0.1 "$PD" 15 "$ssh_direct" || {
  cat "$T/ssh-direct.log" >&2
  fail "the direct-mode tunnel did not come up"
}
run_capture r fixture_in "$FX_NS_CLIENT" curl -sS --max-time 10 --cacert "$FX_CA_CERT" \
  -x "socks5h://127.0.0.1:$PD" "https://$FX_UP_HOST/"
assert_eq 0 "$r_rc" "curl through ssh -D ($r_err)"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page through ssh -D"
assert_eq "$FX_VPS_UP_ADDR https GET / $FX_UP_HOST" "$(tail -n 1 "$FX_UPSTREAM_LOG")" "upstream log line (direct)"
assert_eq "$FX_VPS_UP_ADDR $FX_UP_HOST $direct" "$(tail -n 1 "$FX_UPSTREAM_HELLO_LOG" | cut -d' ' -f1-3)" \
  "ClientHello through ssh -D (the same curl as straight from the vps)"
for target in "127.0.0.1:22" "$FX_DANTE_ADDR:$FX_DANTE_PORT"; do
  run_capture r fixture_in "$FX_NS_CLIENT" curl -sS --max-time 5 -x "socks5h://127.0.0.1:$PD" "http://$target/"
  [ "$r_rc" -ne 0 ] || fail "a direct-mode key reached $target inside the vps: $r_out"
  assert_contains "$(cat "$FX_SSHD_LOG")" "to connect to host ${target%:*} port ${target#*:}, but the request was denied" \
    "sshd refuses the direct-mode forward to $target"
done
run_capture r fixture_in "$FX_NS_CLIENT" timeout 15 ssh "${FX_SSH_ARGS[@]}" "$FX_SSH_DEST" 'echo pwned'
[ "$r_rc" -ne 0 ] || fail "the direct key ran a command: $r_out"
assert_not_contains "$r_out" "pwned" "command output (direct)"

step "the client link can be cut and restored"
fixture_link_down
run_capture r fixture_in "$FX_NS_CLIENT" timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/22"' "$FX_VPS_ADDR"
[ "$r_rc" -ne 0 ] || fail "the vps is reachable with the link down"
fixture_link_up
fixture_wait_port "$FX_NS_CLIENT" "$FX_VPS_ADDR" 22 10 || fail "the vps is unreachable after the link came back"
run_capture r curl_dante "https://$FX_UP_HOST/" alice:pw2
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page through the tunnel after the link came back ($r_err)"

step "teardown leaves nothing behind"
mapfile -t pids < <(
  fixture_pids
  for ns in "$FX_NS_CLIENT" "$FX_NS_VPS" "$FX_NS_UP"; do ip netns pids "$ns"; done
)
[ "${#pids[@]}" -ge 5 ] || fail "expected at least 5 processes (upstream, sshd, danted, 2 ssh), got ${#pids[@]}"
namespaces=("$FX_NS_CLIENT" "$FX_NS_VPS" "$FX_NS_UP")
fixture_teardown
for p in "${pids[@]}"; do
  ! _fx_alive "$p" || fail "process $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) survived teardown"
done
for ns in "${namespaces[@]}"; do
  ! ip netns list | grep -qw -- "$ns" || fail "namespace $ns survived teardown"
  [ ! -e "/etc/netns/$ns" ] || fail "/etc/netns/$ns survived teardown"
done
echo "fixture_test: ok in $((($(date +%s%N) - started) / 1000000)) ms"
