#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The second quick-start command: phantom's main job, end to end, on this machine.
# Installs what is missing (scripts/setup.sh), builds, starts a throwaway team server, makes
# a member the way an admin does (phantom-admin user add -> invite -> phantom init --invite),
# runs `phantom curl` through it and shows the address the API saw, then tears everything
# down. Nothing outside the run's own temporary directory (and, as root, its own network
# namespaces) is touched; your ~/.phantom and ~/.ssh are not used.
#   scripts/demo.sh
# PHANTOM_BIN and PHANTOM_ADMIN_BIN (both) skip the build and use those binaries;
# PHANTOM_DEMO_LOOPBACK=1 takes the loopback path even as root (tests/integration/demo_test.sh).
# As root with `ip netns`: three namespaces (laptop, vps, api) and the server exactly as
# server/entrypoint.sh runs it on a bare host. Otherwise: everything on loopback as you, the
# tunnel in direct mode through your own sshd (no Dante: that needs root), with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
say() { printf '==> %s\n' "$*"; }

say "dependencies: scripts/setup.sh"
bash scripts/setup.sh >/dev/null
if [ -x "${PHANTOM_BIN:-}" ] && [ -x "${PHANTOM_ADMIN_BIN:-}" ]; then
  say "build: using PHANTOM_BIN=$PHANTOM_BIN and PHANTOM_ADMIN_BIN"
else
  say "build: build-release (phantom, phantom-admin)"
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPHANTOM_BUILD_TESTS=OFF >/dev/null
  cmake --build build-release --target phantom phantom-admin >/dev/null
  export PHANTOM_BIN=$PWD/build-release/src/phantom PHANTOM_ADMIN_BIN=$PWD/build-release/src/phantom-admin
fi
t_run=$(date +%s)

# lib.sh: a private temporary tree ($T, removed at exit), fail/on_exit; fixture.sh: the test bed.
. tests/integration/lib.sh
. tests/integration/fixture.sh

if [ "${PHANTOM_DEMO_LOOPBACK:-0}" != 1 ] && can_make_netns; then
  fixture_entrypoint_server
  say "network: laptop $FX_CLIENT_ADDR -- vps $FX_VPS_ADDR | $FX_VPS_UP_ADDR -- $FX_UP_HOST $FX_UP_ADDR"
  echo "    only the vps can reach and resolve $FX_UP_HOST; the laptop has no route and no DNS for it"
  say "server: server/entrypoint.sh dante and sshd (bare host mode), data in $FX_DATA"
  say "admin: phantom-admin user add demo --ssh-key-file demo.pub  -> a one-line invite"
  fixture_onboard demo
  HOME_DEMO=$FX_MEMBER_HOME
  echo "    invite: ${FX_MEMBER_INVITE%%:*}://demo:<password>@${FX_MEMBER_INVITE#*@}" | cut -c1-110
  on_exit "fixture_phantom '$HOME_DEMO' disconnect"
  say "member: phantom init --invite - --yes; phantom connect"
  t0=$(date +%s%N)
  fixture_phantom "$HOME_DEMO" connect --timeout 30 >/dev/null
  echo "    connected in $((($(date +%s%N) - t0) / 1000000)) ms (ssh tunnel to the vps, Dante login checked)"
  say "laptop: phantom curl https://$FX_UP_HOST/ip"
  egress=$(fixture_phantom "$HOME_DEMO" curl -sS --max-time 10 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/ip")
  echo "    the API saw the request from $egress (the vps's address; the laptop is $FX_CLIENT_ADDR)"
  [ "$egress" = "$FX_VPS_UP_ADDR" ] || fail "the API saw $egress, not the vps ($FX_VPS_UP_ADDR)"
  say "laptop: the same curl without phantom"
  if fixture_in "$FX_NS_CLIENT" curl -sS --max-time 5 --cacert "$FX_CA_CERT" "https://$FX_UP_HOST/ip" 2>"$T/plain.err"; then
    fail "plain curl reached the API from the laptop: the demo network is wrong"
  fi
  echo "    fails as it should: $(head -n 1 "$T/plain.err")"
  say "teardown: phantom disconnect, stop the server, delete the namespaces"
  fixture_phantom "$HOME_DEMO" disconnect >/dev/null
  fixture_teardown
else
  reason="not root, or network namespaces cannot be made here"
  [ "${PHANTOM_DEMO_LOOPBACK:-0}" != 1 ] || reason="PHANTOM_DEMO_LOOPBACK=1"
  echo "note: $reason, so the demo runs on loopback as $(id -un): the tunnel"
  echo "      is your own sshd on 127.0.0.1 in direct mode (no Dante, which needs root), and the"
  echo "      address the API sees is 127.0.0.1 like the laptop's. As root it uses three namespaces."
  require_tool /usr/sbin/sshd ssh ssh-keygen curl python3 openssl
  d="$T/loopback"
  mkdir -m 0700 "$d" "$d/home"
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  say "api: HTTPS on 127.0.0.1 with a throwaway CA"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout api.key -out api.pem \
      -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1
  ) >"$d/openssl.log" 2>&1 || fail "openssl could not make a certificate: $(cat "$d/openssl.log")"
  api_port=$(free_port)
  python3 - "$api_port" "$d" >"$d/api.log" 2>&1 <<'PY' &
import http.server, ssl, sys
class Ip(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.client_address[0] + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ip)
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(sys.argv[2] + "/api.pem", sys.argv[2] + "/api.key")
server.socket = tls.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
  api_pid=$!
  on_exit "kill $api_pid"
  say "server: your own sshd on 127.0.0.1 (keys only, forwarding to the api port only)"
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  mkdir -m 0700 "$d/home/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C demo -f "$d/home/.ssh/phantom_ed25519"
  printf 'restrict,port-forwarding,permitopen="127.0.0.1:%s" %s\n' "$api_port" \
    "$(cat "$d/home/.ssh/phantom_ed25519.pub")" >"$d/authorized_keys"
  ssh_port=$(free_port)
  cat >"$d/sshd_config" <<EOF
ListenAddress 127.0.0.1:$ssh_port
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding local
StrictModes no
UsePAM no
LogLevel DEBUG1
EOF
  /usr/sbin/sshd -D -e -f "$d/sshd_config" 2>"$d/sshd.log" &
  sshd_pid=$!
  on_exit "kill $sshd_pid"
  say "member: phantom init --yes --mode direct --host 127.0.0.1; phantom connect"
  run_demo() { env -i HOME="$d/home" PATH="$PATH" "$PHANTOM_BIN" "$@"; }
  run_demo init --yes --mode direct --host 127.0.0.1 --port "$ssh_port" --user "$(id -un)" \
    --host-key "$(cut -d' ' -f1,2 "$d/host_key.pub")" </dev/null >/dev/null
  on_exit "env -i HOME='$d/home' PATH='$PATH' '$PHANTOM_BIN' disconnect"
  run_demo connect --timeout 30 >/dev/null
  say "laptop: phantom curl https://127.0.0.1:$api_port/ip (--noproxy '': loopback is normally direct)"
  egress=$(run_demo curl -sS --max-time 10 --noproxy '' --cacert "$d/api.pem" "https://127.0.0.1:$api_port/ip")
  # On loopback the address alone proves nothing: sshd's log shows the forward it opened.
  grep -q "server_request_direct_tcpip: originator .* target 127.0.0.1 port $api_port" "$d/sshd.log" ||
    fail "sshd forwarded nothing to the API: phantom curl did not go through the tunnel"
  echo "    the API saw the request from $egress, forwarded by your sshd (same machine, same address)"
  say "teardown"
  run_demo disconnect >/dev/null
fi
echo "done: the demo took $(($(date +%s) - t_run)) s after the build ($(($(date +%s) - started)) s in all); nothing is left running"
