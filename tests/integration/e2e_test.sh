#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end on three hosts (issue 6, design §5 and §6): a laptop namespace with no route and
# no name service for the upstream, the team server started exactly as server/entrypoint.sh
# starts it on a bare host, members added by phantom-admin and onboarded from their invites,
# and an upstream HTTPS API that records each request's source and each TLS ClientHello.
# One step per success criterion; each asserts what it measured and prints the figures.
# shellcheck disable=SC2154,SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture.sh"
fixture_require_root_netns
require_tool ssh ssh-keygen autossh curl danted /usr/sbin/sshd python3 git node npm setpriv

NODE_TESTS="$PHANTOM_SOURCE_DIR/tests/node"
[ -d "$NODE_TESTS/node_modules/undici" ] || skip "tests/node has no node_modules: run scripts/setup.sh"
CLAUDE_BIN="$NODE_TESTS/node_modules/.bin"
[ -x "$CLAUDE_BIN/claude" ] || skip "tests/node has no Claude Code CLI: run scripts/setup.sh"

fixture_entrypoint_server
# Every name lookup made in the laptop namespace is recorded (and answered NXDOMAIN).
DNS_LOG="$FX_DIR/client-dns.log"
: >"$DNS_LOG"
fixture_bg "$FX_NS_CLIENT" "$FX_DIR/dns.log" python3 "$(dirname "$0")/dns_recorder.py" "$DNS_LOG"
for _ in $(seq 1 50); do
  fixture_in "$FX_NS_CLIENT" ss -Hlun 'sport = :53' | grep -q . && break
  sleep 0.1
done
fixture_in "$FX_NS_CLIENT" ss -Hlun 'sport = :53' | grep -q . || fail "the DNS recorder did not start: $(cat "$FX_DIR/dns.log")"

in_client() { fixture_in "$FX_NS_CLIENT" "$@"; }
page() { fixture_phantom "$1" curl -sS --max-time 5 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/"; }
last_hello() { tail -n 1 "$FX_UPSTREAM_HELLO_LOG" | awk '{print $2, $3}'; }
wait_page() { fixture_wait_page "$2" "$3" page "$1"; } # HOME TENTHS WHAT
tunnel_pids() { fixture_tunnel_pids "$1"; }

step "1. onboarding: user add, init --invite, phantom curl; the upstream sees the vps"
fixture_onboard alice
A=$FX_MEMBER_HOME
on_exit "fixture_phantom '$A' disconnect"
assert_contains "$(cat "$A/.phantom/known_hosts")" "$(cut -d' ' -f2 "$FX_DATA/ssh/ssh_host_ed25519_key.pub")" \
  "the server's host key pinned from the invite"
run_capture r fixture_phantom "$A" connect --timeout 30
assert_eq 0 "$r_rc" "connect ($r_err)"
run_capture r page "$A"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "page through phantom ($r_err)"
assert_eq "$FX_VPS_UP_ADDR https GET / $FX_UP_HOST" "$(tail -n 1 "$FX_UPSTREAM_LOG")" "what the upstream saw"
echo "    upstream saw the request from $FX_VPS_UP_ADDR (the laptop is $FX_CLIENT_ADDR)"

step "2. no local DNS: the name does not resolve on the laptop, yet works; no lookup is made"
run_capture r in_client getent hosts "$FX_UP_HOST"
[ "$r_rc" -ne 0 ] || fail "$FX_UP_HOST resolves on the laptop: the test proves nothing"
assert_contains "$(cat "$DNS_LOG")" "$FX_UP_HOST" "the recorder saw getent's lookup"
: >"$DNS_LOG"
run_capture r fixture_phantom "$A" curl -sS --max-time 10 --cacert "$FX_CA_CERT" -w ' %{http_code}' \
  "https://$FX_UP_HOST/" "http://$FX_UP_HOST/plain"
assert_eq "$FX_UPSTREAM_BODY 200$FX_UPSTREAM_BODY 200" "$r_out" "HTTP-proxy clients, https and http ($r_err)"
run_capture r fixture_phantom "$A" sh -c 'exec curl -sS --max-time 10 --cacert "$1" -x "$ALL_PROXY" "$2"' sh \
  "$FX_CA_CERT" "https://$FX_UP_HOST/socks"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "socks5h client from ALL_PROXY ($r_err)"
assert_eq "" "$(cat "$DNS_LOG")" "name lookups on the laptop while phantom worked"

step "3. TLS untouched: ClientHello fingerprints through phantom equal the direct ones"
fixture_in "$FX_NS_VPS" curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/" >/dev/null ||
  fail "direct curl from the vps failed"
curl_direct=$(last_hello)
page "$A" >/dev/null || fail "phantom curl failed"
curl_phantom=$(last_hello)
assert_contains "$curl_direct" "$FX_UP_HOST " "SNI of the direct hello"
assert_eq "$curl_direct" "$curl_phantom" "curl's ClientHello, direct vs through phantom"
fixture_in "$FX_NS_VPS" env NODE_EXTRA_CA_CERTS="$FX_CA_CERT" node "$NODE_TESTS/fetch.js" "https://$FX_UP_HOST/" \
  >/dev/null || fail "direct node fetch from the vps failed"
node_direct=$(last_hello)
fixture_phantom "$A" run -- env NODE_EXTRA_CA_CERTS="$FX_CA_CERT" node "$NODE_TESTS/fetch.js" \
  "https://$FX_UP_HOST/" >/dev/null || fail "node fetch through phantom failed"
node_phantom=$(last_hello)
assert_eq "$node_direct" "$node_phantom" "Node's ClientHello, direct vs through phantom"
[ "$curl_direct" != "$node_direct" ] || fail "curl and Node sent the same fingerprint: the recorder cannot tell clients apart"
echo "    curl ${curl_direct#* }, node ${node_direct#* }: identical direct and through phantom"

step "4. the laptop stays itself inside phantom: git, npm config, local services, ~/.claude.json"
git config --file "$A/.gitconfig" user.name "Alice Example"
git config --file "$A/.gitconfig" user.email alice@example.com
printf 'init-author-name=Alice From Npmrc\nfund=false\n' >"$A/.npmrc"
printf '{"real": true}\n' >"$A/.claude.json"
claude_before=$(sha256sum <"$A/.claude.json")
gitconfig_before=$(sha256sum <"$A/.gitconfig")
mkdir "$A/project"
git -C "$A/project" init -q
LOCAL_PORT=$(fixture_free_port "$FX_NS_CLIENT")
mkdir "$T/local-site"
echo "local dev server" >"$T/local-site/index.html"
fixture_bg "$FX_NS_CLIENT" "$FX_DIR/local-http.log" python3 -m http.server --bind 127.0.0.1 --directory "$T/local-site" "$LOCAL_PORT"
fixture_wait_port "$FX_NS_CLIENT" 127.0.0.1 "$LOCAL_PORT" 10 "$FX_LAST_PID" || fail "local http server did not start"
run_capture r fixture_phantom "$A" bash -c '
  set -e
  cd ~/project
  git commit -q --allow-empty -m "inside phantom"
  echo "git: $(git log -1 --format="%an <%ae>")"
  echo "npm: $(npm config get init-author-name)"
  echo "local: $(curl -sS --max-time 5 "http://127.0.0.1:$1/")"
  printf "{\"shadow\": true}\n" >~/.claude.json
  echo "home: $HOME"' bash "$LOCAL_PORT"
assert_eq 0 "$r_rc" "the session ($r_err)"
assert_contains "$r_out" "git: Alice Example <alice@example.com>" "git read the user's config"
assert_contains "$r_out" "npm: Alice From Npmrc" "npm read the user's .npmrc"
assert_contains "$r_out" "local: local dev server" "127.0.0.1 reached directly (NO_PROXY)"
assert_eq "inside phantom" "$(git -C "$A/project" log -1 --format=%s)" "the commit landed in the real repository"
shadow=$(sed -n 's/^home: //p' <<<"$r_out")
if [ -z "$shadow" ] || [ "$shadow" = "$A" ]; then fail "phantom ran the command with the real HOME ($shadow)"; fi
assert_eq "$claude_before" "$(sha256sum <"$A/.claude.json")" "the real ~/.claude.json"
assert_eq '{"shadow": true}' "$(cat "$shadow/.claude.json")" "the shadow ~/.claude.json"
[ ! -L "$shadow/.claude.json" ] || fail "the shadow .claude.json is a link"
assert_eq "$gitconfig_before" "$(sha256sum <"$A/.gitconfig")" "the real ~/.gitconfig"

step "5. real clients with nothing but phantom's environment: Node.js, curl, Claude Code"
run_capture r fixture_phantom "$A" run -- env NODE_EXTRA_CA_CERTS="$FX_CA_CERT" node "$NODE_TESTS/fetch.js" \
  "https://$FX_UP_HOST/node"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "node fetch ($r_err)"
assert_contains "$(tail -n 1 "$FX_UPSTREAM_LOG")" "$FX_VPS_UP_ADDR https GET /node" "node's request left from the vps"
run_capture r fixture_phantom "$A" curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/curl"
assert_eq "$FX_UPSTREAM_BODY" "$r_out" "curl ($r_err)"
assert_contains "$(tail -n 1 "$FX_UPSTREAM_LOG")" "$FX_VPS_UP_ADDR https GET /curl" "curl's request left from the vps"

# The tool phantom exists for: the real Claude Code CLI (tests/node, pinned), `phantom claude`
# as a member types it, against a stand-in Messages API only the vps can resolve and reach.
claude_shadow_before=$(sha256sum <"$shadow/.claude.json")
claude_env=(PATH="$CLAUDE_BIN:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 ANTHROPIC_BASE_URL="https://$FX_UP_HOST"
  ANTHROPIC_API_KEY=sk-ant-phantom-test NODE_EXTRA_CA_CERTS="$FX_CA_CERT" CLAUDE_CODE_MAX_RETRIES=2
  DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1)
hellos_since() { tail -n +"$(($1 + 1))" "$FX_UPSTREAM_HELLO_LOG" | awk '{print $3}' | sort -u; }
n=$(wc -l <"$FX_UPSTREAM_HELLO_LOG")
run_capture r in_client env -i HOME="$A" "${claude_env[@]}" timeout 120 "$PHANTOM_BIN" claude -p "ping"
assert_eq 0 "$r_rc" "phantom claude -p ($r_err)"
claude_hellos_phantom=$(hellos_since "$n")
assert_eq "$FX_MESSAGES_REPLY" "$r_out" "Claude Code's answer through phantom"
assert_contains "$(grep " /v1/messages" "$FX_UPSTREAM_LOG")" "$FX_VPS_UP_ADDR https POST /v1/messages" \
  "Claude Code's API request left from the vps"
assert_eq "$claude_before" "$(sha256sum <"$A/.claude.json")" "the real ~/.claude.json after Claude Code ran"
[ "$claude_shadow_before" != "$(sha256sum <"$shadow/.claude.json")" ] || fail "Claude Code did not write its shadow ~/.claude.json"
if [ ! -d "$shadow/.claude" ] || [ -L "$shadow/.claude" ]; then
  fail "Claude Code's ~/.claude is not a private directory in the shadow home"
fi
[ ! -e "$A/.claude" ] || fail "Claude Code wrote into the real ~/.claude"
# Its TLS too: the same CLI run directly on the vps sends the same ClientHello(s).
mkdir -m 0700 "$T/claude-direct-home"
n=$(wc -l <"$FX_UPSTREAM_HELLO_LOG")
fixture_in "$FX_NS_VPS" env -i HOME="$T/claude-direct-home" "${claude_env[@]}" timeout 120 claude -p "ping" >/dev/null ||
  fail "Claude Code run directly on the vps failed"
[ -n "$claude_hellos_phantom" ] || fail "no ClientHello recorded for Claude Code"
assert_eq "$(hellos_since "$n")" "$claude_hellos_phantom" "Claude Code's ClientHello fingerprints, direct vs through phantom"
echo "    claude -p answered \"$r_out\" through phantom; its state went to $shadow, not $A"

step "6. resilience: kill ssh, kill autossh, drop the link 20 s, restart danted"
apid=$(fixture_state "$A" tunnel_pid)
ssh_pid=$(awk '{print $1}' "/proc/$apid/task/$apid/children")
[ -n "$ssh_pid" ] || fail "no ssh under autossh $apid"
kill -9 "$ssh_pid"
echo "    kill -9 ssh: page again after $(wait_page "$A" 100 "no page within 10 s of killing ssh") ms"
kill -9 "$apid"
echo "    kill -9 autossh: page again after $(wait_page "$A" 100 "no page within 10 s of killing autossh") ms"
[ "$(fixture_state "$A" tunnel_pid)" != "$apid" ] || fail "autossh was not replaced"
fixture_link_down
sleep 20
fixture_link_up
echo "    link down 20 s: page again $(wait_page "$A" 100 "no page within 10 s of the link coming back") ms after it returned"
fixture_kill "$FX_ENTRY_DANTE_PID"
run_capture r page "$A"
[ "$r_rc" -ne 0 ] || fail "a page came through with danted stopped"
fixture_entrypoint dante
echo "    danted restarted by entrypoint.sh: page again after $(wait_page "$A" 100 "no page within 10 s of danted's restart") ms"
dpid=$(fixture_state "$A" pid)
before=$(tunnel_pids "$A")
run_capture r fixture_phantom "$A" disconnect
assert_eq 0 "$r_rc" "disconnect"
for p in $dpid $before; do
  ! kill -0 "$p" 2>/dev/null || fail "pid $p still running after disconnect"
done
assert_eq "" "$(tunnel_pids "$A")" "tunnel processes after disconnect"
run_capture r fixture_phantom "$A" connect --timeout 30
assert_eq 0 "$r_rc" "connect again ($r_err)"

step "7. security: the token, a wrong member password, server-side targets, disabling a member"
B=$(fixture_state "$A" bridge_port)
as_other_user() { in_client setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
before=$(wc -l <"$FX_UPSTREAM_LOG")
run_capture r as_other_user cat "$A/.phantom/run/token"
[ "$r_rc" -ne 0 ] || fail "another local user read the bridge token"
run_capture r as_other_user curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$B" \
  "http://$FX_UP_HOST/"
assert_eq 407 "$r_out" "another local user through the HTTP bridge"
run_capture r as_other_user curl -sS --max-time 10 -x "socks5h://127.0.0.1:$B" "http://$FX_UP_HOST/"
[ "$r_rc" -ne 0 ] || fail "another local user got through the SOCKS bridge"
run_capture r in_client curl -sS --max-time 10 -x "socks5h://phantom:not-the-token@127.0.0.1:$B" "http://$FX_UP_HOST/"
[ "$r_rc" -ne 0 ] || fail "a wrong token got through the SOCKS bridge"
assert_eq "$before" "$(wc -l <"$FX_UPSTREAM_LOG")" "requests that reached the upstream without the token"

fixture_onboard bob
BOB=$FX_MEMBER_HOME
fixture_admin user passwd bob >/dev/null || fail "user passwd bob"
run_capture r fixture_phantom "$BOB" connect --timeout 30
assert_eq 69 "$r_rc" "connect with a password the server no longer accepts"
assert_contains "$r_err" "member name or password" "the wrong-password message"
assert_eq 1 "$(grep -c . <<<"$r_err" | awk '{print ($1 <= 2)}')" "a one-line error (plus hint): $r_err"
assert_eq "" "$(tunnel_pids "$BOB")" "tunnel processes after the failed connect"

for target in "http://127.0.0.1:22/" "http://127.0.0.1:1080/" "http://$FX_VPS_ADDR:22/" "http://localhost:80/" \
  "http://169.254.169.254/latest/meta-data/" "http://10.0.0.1:443/" "http://192.168.1.1:80/" "http://[::1]:80/"; do
  # --noproxy "": NO_PROXY would send loopback targets to the laptop's own loopback.
  run_capture r fixture_phantom "$A" curl -sS --max-time 10 --noproxy "" -w '\n%{http_code}' "$target"
  assert_eq 502 "$(tail -n 1 <<<"$r_out")" "status for $target"
done

fixture_admin user disable alice || fail "user disable alice"
run_capture r fixture_phantom "$A" curl -sS --max-time 10 --cacert "$FX_CA_CERT" -w '\n%{http_code}' "https://$FX_UP_HOST/after-disable"
[ "$r_rc" -ne 0 ] || [ "$(tail -n 1 <<<"$r_out")" != 200 ] || fail "disabled alice got through"
assert_not_contains "$(cat "$FX_UPSTREAM_LOG")" "/after-disable" "a disabled member's request at the upstream"
echo "    the first request after user disable was refused (no wait)"

assert_eq "" "$(cat "$DNS_LOG")" "name lookups on the laptop from step 2 to the end"
echo "$TEST_NAME: all checks passed"
