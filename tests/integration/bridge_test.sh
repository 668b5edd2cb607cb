#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The local bridge against the real tunnel (issue 4): HTTP CONNECT, absolute-form HTTP and
# SOCKS5 on one port, the token, remote DNS, upstream errors mapped, TLS untouched, limits,
# and no fd growth over thousands of connections.
# shellcheck disable=SC2154,SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3

fixture_server

fixture_member alice pw1
H=$FX_MEMBER_HOME
CLIENT_PY="$(dirname "$0")/bridge_client.py"
pc() { fixture_phantom "$H" "$@"; }
state_field() { fixture_state "$H" "$1"; }
bridge_failures() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bridge"]["failures"])' \
  "$H/.phantom/run/state.json"; }
in_client() { fixture_in "$FX_NS_CLIENT" "$@"; }
client_py() { in_client python3 "$CLIENT_PY" "$@"; }
on_exit 'pc disconnect'

step "connect opens the bridge: port in state.json, a private token, no secret in state or log"
# Started with a soft limit of 128 open files (macOS starts processes at 256): the daemon
# raises its own to what bridge_max_connections (256) needs, or the 200 concurrent
# connections below would fail with EMFILE.
run_capture r in_client bash -c 'ulimit -Sn 128 && exec "$@"' bash env -i HOME="$H" PATH=/usr/local/bin:/usr/bin:/bin \
  LANG=C.UTF-8 "$PHANTOM_BIN" connect --timeout 30
assert_eq 0 "$r_rc" "connect ($r_err)"
soft=$(awk '/^Max open files/ {print $4}' "/proc/$(state_field pid)/limits")
[ "$soft" -ge 576 ] || fail "the daemon's open-file limit is $soft, not raised for 256 bridge connections"
B=$(state_field bridge_port)
[ -n "$B" ] && [ "$B" -gt 0 ] || fail "no bridge_port in state.json"
TOKEN=$(cat "$H/.phantom/run/token")
assert_eq 600 "$(stat -c %a "$H/.phantom/run/token")" "mode of run/token"
[ "${#TOKEN}" -ge 22 ] || fail "token shorter than 128 bits: $TOKEN"
for f in "$H/.phantom/run/state.json" "$H/.phantom/log/phantom.log"; do
  assert_not_contains "$(cat "$f")" "$TOKEN" "token in $f"
  assert_not_contains "$(cat "$f")" "pw1" "member password in $f"
done
assert_contains "$(cat "$H/.phantom/log/phantom.log")" "through the bridge" "connect probed the bridge"

step "phantom env points at the bridge; the member password is not in it"
run_capture r pc env
assert_eq 0 "$r_rc" "env ($r_err)"
assert_contains "$r_out" "HTTPS_PROXY='http://phantom:$TOKEN@127.0.0.1:$B'" "HTTPS_PROXY"
assert_contains "$r_out" "ALL_PROXY='socks5h://phantom:$TOKEN@127.0.0.1:$B'" "ALL_PROXY"
assert_contains "$r_out" "NODE_USE_ENV_PROXY='1'" "NODE_USE_ENV_PROXY"
assert_not_contains "$r_out" "pw1" "member password in env"

step "phantom curl: HTTPS via CONNECT with nothing but the environment; the name resolves only remotely"
run_capture r in_client getent hosts "$FX_UP_HOST"
[ "$r_rc" -ne 0 ] || fail "$FX_UP_HOST resolves in the client namespace: the test proves nothing"
run_capture r pc curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/"
assert_eq 0 "$r_rc" "phantom curl https ($r_err)"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page through the bridge"
assert_contains "$(tail -n 1 "$FX_UPSTREAM_LOG")" "$FX_VPS_UP_ADDR https GET /" "upstream saw the vps address"

step "socks5h:// with the token reaches the same page"
run_capture r in_client curl -sS --max-time 10 --cacert "$FX_CA_CERT" \
  -x "socks5h://phantom:$TOKEN@127.0.0.1:$B" "https://$FX_UP_HOST/"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page through SOCKS ($r_err)"

step "plain HTTP, absolute-form: two requests on one kept-alive client connection"
run_capture r pc curl -sS --max-time 10 -w ' connects=%{num_connects}\n' \
  "http://$FX_UP_HOST/one" "http://$FX_UP_HOST/two?q=1"
assert_eq 0 "$r_rc" "phantom curl http ($r_err)"
assert_eq "$FX_UPSTREAM_BODY connects=1
$FX_UPSTREAM_BODY connects=0" "$r_out" "both answers, the second on the same connection"
assert_contains "$(tail -n 2 "$FX_UPSTREAM_LOG")" "$FX_VPS_UP_ADDR http GET /two?q=1 $FX_UP_HOST" \
  "origin-form path and Host upstream"
run_capture r pc curl -sS --max-time 10 -d 'posted body' "http://$FX_UP_HOST/post"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "POST with a body ($r_err)"

step "a Node.js client with nothing but the environment phantom sets"
NODE_TESTS="$PHANTOM_SOURCE_DIR/tests/node"
[ -d "$NODE_TESTS/node_modules/undici" ] || skip "tests/node has no node_modules: run scripts/setup.sh"
run_capture r pc run -- env NODE_EXTRA_CA_CERTS="$FX_CA_CERT" node "$NODE_TESTS/fetch.js" "https://$FX_UP_HOST/"
assert_eq 0 "$r_rc" "node fetch through the bridge ($r_err)"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page fetched by Node"

step "without the token: 407 for HTTP, refusal for SOCKS; nothing reaches the upstream"
before=$(wc -l <"$FX_UPSTREAM_LOG")
run_capture r in_client curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$B" \
  "http://$FX_UP_HOST/"
assert_eq 407 "$r_out" "no token"
run_capture r in_client curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
  -x "http://phantom:wrong@127.0.0.1:$B" "http://$FX_UP_HOST/"
assert_eq 407 "$r_out" "wrong token"
run_capture r in_client curl -sS --max-time 10 -p -x "http://phantom:wrong@127.0.0.1:$B" \
  --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/"
[ "$r_rc" -ne 0 ] || fail "CONNECT with a wrong token got through"
assert_contains "$r_err" "407" "CONNECT with a wrong token"
run_capture r in_client curl -sS --max-time 10 -x "socks5h://phantom:wrong@127.0.0.1:$B" "http://$FX_UP_HOST/"
[ "$r_rc" -ne 0 ] || fail "SOCKS with a wrong token got through"
run_capture r in_client curl -sS --max-time 10 -x "socks5h://127.0.0.1:$B" "http://$FX_UP_HOST/"
[ "$r_rc" -ne 0 ] || fail "SOCKS without credentials got through"
assert_eq "$before" "$(wc -l <"$FX_UPSTREAM_LOG")" "requests that reached the upstream"

step "upstream failures map to a status and a cause, for HTTP and SOCKS clients"
expect_status() { # STATUS TEXT URL
  run_capture r pc curl -sS --max-time 20 -w '\n%{http_code}' "$3"
  assert_eq "$1" "$(tail -n 1 <<<"$r_out")" "status for $3"
  assert_contains "$r_out" "$2" "cause for $3"
}
expect_status 502 "connection refused" "http://$FX_UP_HOST:81/"
expect_status 502 "host unreachable" "http://nosuch.phantom.test/"
expect_status 502 "rules forbid" "http://$FX_VPS_ADDR:22/"
run_capture r pc curl -sS --max-time 20 -p -x "http://phantom:$TOKEN@127.0.0.1:$B" "http://$FX_UP_HOST:81/"
assert_contains "$r_err" "502" "CONNECT to a refused port"
run_capture r in_client curl -sS --max-time 20 -x "socks5h://phantom:$TOKEN@127.0.0.1:$B" "http://$FX_UP_HOST:81/"
[ "$r_rc" -ne 0 ] || fail "SOCKS to a refused port succeeded"
assert_contains "$r_err" "SOCKS5 connection to $FX_UP_HOST. (5)" "SOCKS client sees reply code 5 (refused)"
assert_contains "$(cat "$H/.phantom/log/phantom.log")" "$FX_UP_HOST:81: connection refused" "logged with the target"

step "a member password the server stops accepting: the bridge names it"
fixture_add_member alice changed-on-the-server
for _ in $(seq 1 100); do
  case "$(state_field last_error)" in *password*) break ;; esac
  sleep 0.2
done
assert_contains "$(state_field last_error)" "password" "the daemon's probe noticed"
run_capture r pc curl -sS --max-time 20 -w '\n%{http_code}' "http://$FX_UP_HOST/"
assert_eq 502 "$(tail -n 1 <<<"$r_out")" "status with a refused member password"
assert_contains "$r_out" "refused your member password" "cause with a refused member password"
fixture_add_member alice pw1
for _ in $(seq 1 100); do
  pc status >/dev/null && break
  sleep 0.2
done
run_capture r pc curl -sS --max-time 10 "http://$FX_UP_HOST/"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page once the password is accepted again ($r_err)"

step "malformed and oversized requests: 400 and 431"
run_capture r client_py raw "$B" <<<"NONSENSE"
assert_contains "$r_out" "400" "malformed request line"
run_capture r client_py raw "$B" < <(printf 'GET http://%s/ HTTP/1.1\r\nX-Big: %s\r\n\r\n' "$FX_UP_HOST" \
  "$(head -c 40000 /dev/zero | tr '\0' a)")
assert_contains "$r_out" "431" "oversized head"
run_capture r client_py raw "$B" < <(printf 'GET http://%s/ HTTP/1.1\r\nProxy-Authorization: Basic %s\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n' \
  "$FX_UP_HOST" "$(printf 'phantom:%s' "$TOKEN" | base64 -w0)")
assert_contains "$r_out" "400" "Content-Length with Transfer-Encoding (smuggling)"

step "HTTP/1.0 client: no interim 103, a chunked answer decoded and ended by close; 1.1 gets both"
auth10=$(printf 'phantom:%s' "$TOKEN" | base64 -w0)
run_capture r client_py dump "$B" < <(printf 'GET http://%s/chunked HTTP/1.0\r\nProxy-Authorization: Basic %s\r\n\r\n' \
  "$FX_UP_HOST" "$auth10")
assert_eq "HTTP/1.1 200 OK" "$(head -n 1 <<<"$r_out" | tr -d '\r')" "status line ($r_err)"
assert_not_contains "$r_out" "103" "interim response to an HTTP/1.0 client"
assert_not_contains "$r_out" "Transfer-Encoding" "Transfer-Encoding to an HTTP/1.0 client"
assert_contains "$r_out" "Connection: close" "the body ends with the connection"
assert_eq "$FX_UPSTREAM_BODY" "$(python3 -c 'import sys; print(sys.stdin.read().split("\r\n\r\n", 1)[1])' <<<"$r_out")" \
  "the decoded body"
run_capture r client_py dump "$B" < <(printf 'GET http://%s/chunked HTTP/1.1\r\nProxy-Authorization: Basic %s\r\nConnection: close\r\n\r\n' \
  "$FX_UP_HOST" "$auth10")
assert_contains "$r_out" "HTTP/1.1 103 Early Hints" "the interim response to an HTTP/1.1 client"
assert_contains "$r_out" "Transfer-Encoding: chunked" "chunked to an HTTP/1.1 client"

step "half-close: the client shuts down writing and still gets the whole reply"
run_capture r client_py halfclose "$B" "$TOKEN" "$FX_UP_HOST"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "reply after half-close ($r_err)"

step "2,000 sequential and 200 concurrent connections: no errors, no fd growth, bounded memory"
dpid=$(state_field pid)
fds_before=$(ls "/proc/$dpid/fd" | wc -l)
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$dpid/status")
run_capture r client_py load "$B" "$TOKEN" "$FX_UP_HOST" 2000 1
assert_eq "ok=2000 failed=0 " "$r_out" "sequential connections"
run_capture r client_py load "$B" "$TOKEN" "$FX_UP_HOST" 200 200
assert_eq "ok=200 failed=0 " "$r_out" "concurrent connections"
sleep 1
fds_after=$(ls "/proc/$dpid/fd" | wc -l)
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$dpid/status")
assert_eq "$fds_before" "$fds_after" "daemon fds before and after"
[ $((rss_after - rss_before)) -lt 30000 ] || fail "daemon RSS grew from $rss_before to $rss_after KiB"
echo "daemon RSS ${rss_before} -> ${rss_after} KiB, fds ${fds_before} -> ${fds_after}"

step "status shows the counters"
sleep 3.5 # one supervisor tick publishes them
run_capture r pc status
assert_contains "$r_out" "bridge      127.0.0.1:$B" "status bridge line"
assert_contains "$(bridge_failures)" "'refused'" "failures by cause in state.json"

step "TLS untouched: the ClientHello through phantom equals the direct one"
fixture_in "$FX_NS_VPS" curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/" >/dev/null ||
  fail "direct curl from the vps failed"
direct=$(tail -n 1 "$FX_UPSTREAM_HELLO_LOG" | awk '{print $3}')
pc curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/" >/dev/null || fail "phantom curl failed"
through=$(tail -n 1 "$FX_UPSTREAM_HELLO_LOG" | awk '{print $3}')
[ -n "$direct" ] || fail "no ClientHello recorded"
assert_eq "$direct" "$through" "ClientHello fingerprint direct vs through phantom"

step "idle connections are closed after bridge_idle_timeout"
pc disconnect >/dev/null
sed -i 's/^bridge_idle_timeout = .*/bridge_idle_timeout = 2/' "$H/.phantom/config"
run_capture r pc connect --timeout 30
assert_eq 0 "$r_rc" "reconnect ($r_err)"
B=$(state_field bridge_port)
TOKEN=$(cat "$H/.phantom/run/token")
run_capture r client_py idle "$B" "$TOKEN" "$FX_UP_HOST" 10
assert_contains "$r_out" "closed after" "idle connection ($r_err)"

step "direct mode: a spare tunnel connection waits greeted; one the tunnel dropped is not used"
HD=$(new_home member-direct)
mkdir -m 0700 "$HD/.ssh"
ssh-keygen -q -t ed25519 -N '' -C bridge-direct -f "$HD/.ssh/phantom_ed25519"
fixture_add_key "$HD/.ssh/phantom_ed25519.pub" direct
fixture_phantom "$HD" init --yes --mode direct --host "$FX_VPS_ADDR" --host-key "$FX_HOSTKEY_PUB" </dev/null >/dev/null
tunnel_port=$(fixture_free_port "$FX_NS_CLIENT")
sed -i "s/^local_port = [0-9]*/local_port = $tunnel_port/" "$HD/.phantom/config"
fixture_phantom "$HD" connect --timeout 30 >/dev/null || fail "the direct-mode member did not connect"
on_exit "fixture_phantom '$HD' disconnect"
BD=$(fixture_state "$HD" bridge_port)
TD=$(cat "$HD/.phantom/run/token")
ddpid=$(fixture_state "$HD" pid)
# The daemon's established connections to the tunnel's port, from ss (client namespace).
to_tunnel() { in_client ss -Htnp state established | grep " 127.0.0.1:$tunnel_port " | grep -c "pid=$ddpid," || true; }
run_capture r client_py load "$BD" "$TD" "$FX_UP_HOST" 1 1
assert_eq "ok=1 failed=0 " "$r_out" "first request in direct mode"
sleep 0.3
assert_eq 1 "$(to_tunnel)" "connections the idle daemon holds to the tunnel (the spare)"
fds_before=$(ls "/proc/$ddpid/fd" | wc -l)
run_capture r client_py load "$BD" "$TD" "$FX_UP_HOST" 200 1
assert_eq "ok=200 failed=0 " "$r_out" "sequential connections, each on the spare greeted before it"
sleep 0.3
assert_eq "$fds_before" "$(ls "/proc/$ddpid/fd" | wc -l)" "daemon fds before and after 200 requests"
assert_eq 1 "$(to_tunnel)" "spares held after 200 requests"
apid=$(fixture_state "$HD" tunnel_pid)
ssh_pid=$(awk '{print $1}' "/proc/$apid/task/$apid/children")
[ -n "$ssh_pid" ] || fail "no ssh under autossh $apid"
kill -9 "$ssh_pid" # the spare's socket is closed under it
for _ in $(seq 50); do # gone (or a zombie): its listening socket is closed
  grep -q '^State:.*Z' "/proc/$ssh_pid/status" 2>/dev/null || [ ! -d "/proc/$ssh_pid" ] && break
  sleep 0.05
done
# ssh -D listens once it is authenticated: the port accepting means the new ssh is ready.
fixture_wait_port "$FX_NS_CLIENT" 127.0.0.1 "$tunnel_port" 15 || fail "the direct tunnel did not come back"
run_capture r client_py load "$BD" "$TD" "$FX_UP_HOST" 1 1
assert_eq "ok=1 failed=0 " "$r_out" "the first request after ssh was killed (not sent on the dead spare)"

step "disconnect removes the token"
pc disconnect >/dev/null
[ ! -e "$H/.phantom/run/token" ] || fail "run/token left after disconnect"
echo "$TEST_NAME: all checks passed"
