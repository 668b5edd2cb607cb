# SPDX-License-Identifier: MIT
# The real server side of phantom, in network namespaces, for integration and end-to-end tests
# (design §5). Source it after lib.sh:
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/fixture.sh"
#   fixture_require_root_netns
#   fixture_topology; fixture_upstream_https; fixture_sshd; fixture_danted
#
# Topology (names unique per run, ID = 6 random hex characters, X random per run):
#
#   ph<ID>-client               ph<ID>-vps                            ph<ID>-up
#   ph<ID>-c 10.231.X.1/30 ---- ph<ID>-vc 10.231.X.2/30
#                               ph<ID>-vu 10.231.X.5/30 ------------- ph<ID>-u 10.231.X.6/30
#                               sshd :22, danted 127.0.0.1:1080        https :443, http :80
#
# The client reaches only the vps (no route to the upstream /30, no default route anywhere,
# ip_forward off in the vps). Only the vps (and upstream) resolve api.phantom.test, through
# /etc/netns/<ns>/hosts; every namespace's resolv.conf points at 127.0.0.1:53, where nothing
# listens. The vps namespace also gets its own passwd/group/shadow (the tunnel account exists
# only there) and its own pam.d (only the phantom-test service) — `ip netns exec` bind-mounts
# /etc/netns/<ns>/* over /etc/*, so the host's /etc is never edited.
#
# Everything is torn down at exit (registered with on_exit), even on failure: the processes the
# fixture started, by recorded PID, then whatever is still inside the fixture's own namespaces
# (sshd session children, dante workers), then the namespaces and /etc/netns/<ns>. The only
# thing left on the host is /run/sshd (sshd's standard privilege-separation directory), created
# when missing and never removed because another sshd may use it.
#
# Functions (all bounded in time; each fails the test with the relevant log on error):
#
#   fixture_require_root_netns
#       Skips (exit 77, or failure when PHANTOM_REQUIRE_E2E=1) unless root and `ip netns` work.
#   fixture_topology
#       Creates the three namespaces, veths, addresses and /etc/netns files; registers teardown.
#       Sets FX_ID FX_NS_CLIENT FX_NS_VPS FX_NS_UP FX_VPS_ADDR (vps as seen from the client)
#       FX_CLIENT_ADDR FX_VPS_UP_ADDR (vps as seen from the upstream: the egress address)
#       FX_UP_ADDR FX_UP_NET (upstream /30, CIDR) FX_UP_HOST (api.phantom.test)
#       FX_VETH_CLIENT (client-side interface, in FX_NS_CLIENT) FX_VETH_VPS_UP (vps->upstream
#       interface, Dante's external) FX_DIR (the fixture's files, under $T).
#   fixture_link_down / fixture_link_up
#       Cuts / restores the client<->vps link (FX_VETH_CLIENT down/up; the address and the
#       route come back with the link).
#   fixture_upstream_https
#       In FX_NS_UP: python3 HTTPS on FX_UP_ADDR:443 (certificate for api.phantom.test and
#       FX_UP_ADDR, signed by a CA made here) and plain HTTP on :80. Every GET/POST answers
#       FX_UPSTREAM_BODY, except GET /bytes/N (N zero bytes, N <= 1 GiB, for throughput tests)
#       and GET /ip (the caller's source address and a newline, like a what-is-my-IP service),
#       and GET /chunked (a 103 Early Hints, then FX_UPSTREAM_BODY chunked, 7 bytes a chunk),
#       and POST /v1/messages (a minimal Anthropic Messages API for the real Claude Code CLI:
#       one reply, FX_MESSAGES_REPLY, as JSON or as server-sent events).
#       Each request appends "SRC_ADDR SCHEME METHOD PATH HOST" to FX_UPSTREAM_LOG before the
#       answer is sent. Each connection to :443 that sends bytes appends, before the TLS
#       handshake (so before any answer), "SRC_ADDR SNI FINGERPRINT | DESCRIPTION" to
#       FX_UPSTREAM_HELLO_LOG: DESCRIPTION is the first ClientHello as the server peeked it
#       (legacy_version, cipher suites, compression, every extension in the order received)
#       with what changes per connection masked as "*" (random, session_id bytes, key_share
#       key bytes, pre_shared_key, early_data, session_ticket bytes, ECH payload, GREASE
#       extension bodies) and GREASE values (0x?a?a) written as "GREASE"; FINGERPRINT is the
#       hex SHA-256 of DESCRIPTION, SNI the first host_name or "-". The same client with the
#       same options gives the same FINGERPRINT directly and through a proxy that does not
#       touch TLS. Bytes that are not a ClientHello give "SRC_ADDR - invalid | REASON".
#       Sets FX_CA_CERT FX_UPSTREAM_BODY FX_MESSAGES_REPLY FX_UPSTREAM_LOG FX_UPSTREAM_HELLO_LOG
#       FX_UPSTREAM_PID.
#   fixture_sshd
#       In FX_NS_VPS: /usr/sbin/sshd -D -f CONFIG -e on FX_VPS_ADDR:22 and 127.0.0.1:22, keys
#       only, AllowUsers FX_TUNNEL_USER, AllowTcpForwarding local, no tty/X11/agent, StrictModes,
#       UsePAM no, LogLevel VERBOSE (the log shows forced commands and refused forwards).
#       Makes $T 0711 (search only): sshd reads authorized_keys as the tunnel user.
#       The tunnel account `phantom` exists only in the vps namespace's passwd/group/shadow
#       (shadow password `*`: no password, key auth still allowed with UsePAM no), home
#       FX_TUNNEL_HOME (0750 root:phantom), shell /usr/sbin/nologin.
#       Sets FX_SSH_PORT FX_TUNNEL_USER FX_TUNNEL_HOME FX_AUTHORIZED_KEYS FX_HOSTKEY_PUB
#       ("TYPE BASE64") FX_SSHD_CONFIG FX_SSHD_LOG FX_SSHD_PID.
#   fixture_add_key PUBKEY_FILE [dante|direct]  (after fixture_sshd; default dante)
#       Appends the key to FX_AUTHORIZED_KEYS (sshd reads it per login: no restart):
#         dante:  restrict,port-forwarding,permitopen="127.0.0.1:1080",command="/usr/sbin/nologin"
#         direct: restrict,port-forwarding,permitopen="*:443",permitopen="*:80",
#                 command="/usr/sbin/nologin"   (ssh -D: any host, web ports only, so
#                 not Dante or sshd inside the vps either; set FX_DIRECT_PERMITOPEN="" before
#                 the call for any host and port, or to a space-separated list of host:port)
#   fixture_known_hosts FILE
#       Writes FILE with the pinned vps host key ("FX_VPS_ADDR TYPE BASE64").
#   fixture_ssh_args IDENTITY KNOWN_HOSTS
#       Sets the array FX_SSH_ARGS (-F /dev/null, the identity only, BatchMode, the pinned
#       known_hosts with StrictHostKeyChecking=yes, ExitOnForwardFailure, bounded connect and
#       keepalive) and FX_SSH_DEST (tunnel user @ FX_VPS_ADDR), for
#       `fixture_in "$FX_NS_CLIENT" ssh "${FX_SSH_ARGS[@]}" -N -L … "$FX_SSH_DEST"`.
#   fixture_server
#       The whole server side in one call: fixture_topology, fixture_upstream_https,
#       fixture_sshd, fixture_danted.
#   fixture_entrypoint_server
#       The server as an admin runs it on a bare host (instead of fixture_sshd/fixture_danted):
#       fixture_topology, fixture_upstream_https, then server/entrypoint.sh dante and sshd in
#       FX_NS_VPS from an empty data directory (FX_DATA, under /run: sshd's StrictModes refuses
#       keys below /tmp) that phantom-admin prepares; its own PAM service in the vps's pam.d;
#       the upstream /30 exempt from the private-range block. Sets FX_DATA FX_SERVER_ENV (array:
#       the environment both services and phantom-admin get) FX_ENTRY_DANTE_PID
#       FX_ENTRY_SSHD_PID. Restart a service with fixture_entrypoint dante|sshd.
#   fixture_admin ARGS…
#       phantom-admin in FX_NS_VPS with FX_SERVER_ENV (as `docker compose exec dante` would).
#   fixture_onboard NAME [LOCAL_PORT]
#       A member the way a person becomes one: their own key (ssh-keygen), `phantom-admin user
#       add NAME --ssh-key-file`, `phantom init --invite - --yes` with the invite on stdin;
#       LOCAL_PORT (default: a free one) for the tunnel, since members share FX_NS_CLIENT.
#       Sets FX_MEMBER_HOME FX_MEMBER_INVITE.
#   fixture_wait_page TENTHS WHAT CMD…
#       Polls CMD (every 0.1 s, at most TENTHS times) until it prints FX_UPSTREAM_BODY; prints
#       the milliseconds that took, or fails the test with WHAT.
#   fixture_tunnel_pids HOME
#       Prints the PIDs of HOME's tunnel processes (autossh and ssh, found by the known_hosts
#       file in their argv), one per line.
#   fixture_state HOME KEY
#       Prints KEY of HOME's ~/.phantom/run/state.json (empty when absent).
#   fixture_member NAME PASSWORD  (after fixture_sshd and fixture_danted)
#       A client-side member: home with an ed25519 key authorised for dante mode, the Dante
#       member, and `phantom init --yes` with the host key pinned. Sets FX_MEMBER_HOME.
#   fixture_phantom HOME ARGS…
#       Runs $PHANTOM_BIN in the client namespace with a clean environment and that HOME.
#   fixture_danted
#       In FX_NS_VPS: danted -f CONFIG -p PIDFILE (1.4.2) on 127.0.0.1:1080, external
#       FX_VETH_VPS_UP, socksmethod pam.username with PAM service phantom-test
#       (/etc/netns/<vps>/pam.d/phantom-test: pam_pwdfile.so on FX_DANTE_PWFILE, with `nodelay`
#       so that wrong-password tests do not wait 2 s each; a real server keeps the delay),
#       user.unprivileged nobody; phantom's login check rule (127.0.0.1 port 1, see
#       tunnel/probe.hpp); one `socks pass` rule per member (`user: NAME`, command
#       connect, to FX_UP_NET on any port — the private test range is allowed on purpose), a
#       never-matching rule naming the PAM service (design §7), and a final `socks block`.
#       Members added before this call get their rules in the first config.
#       Sets FX_DANTE_ADDR (127.0.0.1, inside the vps) FX_DANTE_PORT (1080) FX_DANTE_CONFIG
#       FX_DANTE_LOG FX_DANTE_PWFILE FX_DANTED_PID.
#   fixture_add_member NAME PASSWORD            (after fixture_topology; NAME: [A-Za-z0-9._-]+)
#       Writes NAME's SHA-512 crypt hash (openssl passwd -6) into FX_DANTE_PWFILE (0640
#       root:phantom-pw; phantom-pw is nobody's primary group in the vps view), replacing an older
#       line for NAME: a password change needs nothing else, PAM reads the file per login.
#       A NEW member also needs its own rule: when danted already runs, the config is
#       re-rendered and danted reloaded with SIGHUP, and the call returns once the reload is done.
#   fixture_in NS CMD…
#       Runs CMD inside namespace NS (ip netns exec).
#   fixture_bg NS LOGFILE CMD…
#       Starts CMD in the background inside NS (stdout+stderr to LOGFILE), records its PID for
#       teardown. Sets FX_LAST_PID. Must be called from the test's main shell, not from $(…).
#   fixture_kill PID
#       SIGTERM, bounded wait, SIGKILL; reaps it. Only for PIDs the test started.
#   fixture_wait_port NS HOST PORT [SECONDS] [PID]
#       Polls until HOST:PORT accepts a TCP connection from inside NS (default 10 s); fails
#       early when PID is given and that process has exited.
#   fixture_free_port NS
#       Prints a loopback TCP port that is free in NS (bind to port 0 and close).
#   fixture_teardown
#       What the exit handler runs; idempotent. Call it directly to check that nothing is left.
#   fixture_pids
#       Prints the PIDs the fixture started and still tracks (one per line).

# The FX_* variables are this file's interface to the scripts that source it.
# shellcheck disable=SC2034
# bash -c '…"$0"…' snippets take their values as arguments on purpose.
# shellcheck disable=SC2016

FX_DIR="$T/fx"
FX_UP_HOST=api.phantom.test
FX_TUNNEL_USER=phantom
FX_SSH_PORT=22
FX_DANTE_ADDR=127.0.0.1
FX_DANTE_PORT=1080
FX_DANTE_PAM_SERVICE=phantom-test
FX_DIRECT_PERMITOPEN=${FX_DIRECT_PERMITOPEN-"*:443 *:80"}
FX_PIDS=()
FX_LAST_PID=
_fx_namespaces=()
_fx_etc_dirs=()
_fx_members=()
_fx_teardown_registered=0

_fx_log_tail() { # FILE: the end of a log, for failure messages
  [ -f "$1" ] && { echo "--- last lines of $1:"; tail -n 30 "$1"; } >&2
  return 0
}

_fx_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

_fx_alive() { # PID: running and not a zombie
  local state
  [ -r "/proc/$1/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

fixture_require_root_netns() {
  [ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces (design §5)"
  require_tool ip
  local probe
  probe="phprobe$(_fx_hex 3)"
  ip netns add "$probe" >/dev/null 2>&1 || skip "\`ip netns add\` does not work here"
  if ! ip netns exec "$probe" ip link set lo up >/dev/null 2>&1; then
    ip netns del "$probe" >/dev/null 2>&1 || true
    skip "\`ip netns exec\` does not work here"
  fi
  ip netns del "$probe"
}

fixture_in() { # NS CMD…
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

fixture_bg() { # NS LOGFILE CMD…
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
  FX_LAST_PID=$!
  FX_PIDS+=("$FX_LAST_PID")
}

fixture_kill() { # PID
  local pid=$1 i
  if _fx_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      _fx_alive "$pid" || break
      sleep 0.1
    done
    if _fx_alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 20; i++)); do
        _fx_alive "$pid" || break
        sleep 0.1
      done
    fi
  fi
  wait "$pid" 2>/dev/null || true # reap our own children (no-op for others)
  local kept=() p
  for p in "${FX_PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  FX_PIDS=("${kept[@]}")
}

fixture_pids() {
  local p
  for p in "${FX_PIDS[@]}"; do printf '%s\n' "$p"; done
}

fixture_wait_port() { # NS HOST PORT [SECONDS] [PID]
  local ns=$1 host=$2 port=$3 secs=${4:-10} pid=${5:-}
  local deadline=$(($(date +%s%N) + secs * 1000000000))
  while :; do
    if ip netns exec "$ns" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
      return 0
    fi
    if [ -n "$pid" ] && ! _fx_alive "$pid"; then
      echo "fixture_wait_port: process $pid exited before $host:$port (in $ns) accepted connections" >&2
      return 1
    fi
    if [ "$(date +%s%N)" -ge "$deadline" ]; then
      echo "fixture_wait_port: $host:$port (in $ns) not accepting connections after ${secs}s" >&2
      return 1
    fi
    sleep 0.1
  done
}

fixture_free_port() { # NS
  ip netns exec "$1" python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _fx_etc NS FILE CONTENT…: writes /etc/netns/NS/FILE (mode 0644) from stdin.
_fx_etc() {
  local ns=$1 file=$2 dir="/etc/netns/$1" i
  for ((i = 0; i < 5; i++)); do # another run may rmdir an empty /etc/netns in between
    mkdir -p "$dir" 2>/dev/null && break
    sleep 0.05
  done
  [ -d "$dir" ] || fail "cannot create $dir"
  mkdir -p "$(dirname "$dir/$file")"
  cat >"$dir/$file"
  chmod 0644 "$dir/$file"
}

fixture_topology() {
  require_tool ip python3 timeout
  FX_ID=$(_fx_hex 3)
  local x=$((0x$(_fx_hex 1)))
  FX_NS_CLIENT="ph$FX_ID-client"
  FX_NS_VPS="ph$FX_ID-vps"
  FX_NS_UP="ph$FX_ID-up"
  FX_VETH_CLIENT="ph$FX_ID-c"
  local veth_vps_client="ph$FX_ID-vc"
  FX_VETH_VPS_UP="ph$FX_ID-vu"
  local veth_up="ph$FX_ID-u"
  FX_CLIENT_ADDR="10.231.$x.1"
  FX_VPS_ADDR="10.231.$x.2"
  FX_VPS_UP_ADDR="10.231.$x.5"
  FX_UP_ADDR="10.231.$x.6"
  FX_UP_NET="10.231.$x.4/30"

  if [ "$_fx_teardown_registered" = 0 ]; then
    on_exit fixture_teardown
    _fx_teardown_registered=1
  fi
  mkdir -p "$FX_DIR"
  chmod 0755 "$FX_DIR"

  local ns
  for ns in "$FX_NS_CLIENT" "$FX_NS_VPS" "$FX_NS_UP"; do
    ip netns add "$ns" || fail "ip netns add $ns"
    _fx_namespaces+=("$ns")
    _fx_etc_dirs+=("/etc/netns/$ns")
    ip -n "$ns" link set lo up
    # IPv4 only: no link-local v6 paths, no DAD delays.
    ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true
  done

  ip link add "$FX_VETH_CLIENT" netns "$FX_NS_CLIENT" type veth peer name "$veth_vps_client" netns "$FX_NS_VPS"
  ip link add "$FX_VETH_VPS_UP" netns "$FX_NS_VPS" type veth peer name "$veth_up" netns "$FX_NS_UP"
  ip -n "$FX_NS_CLIENT" addr add "$FX_CLIENT_ADDR/30" dev "$FX_VETH_CLIENT"
  ip -n "$FX_NS_VPS" addr add "$FX_VPS_ADDR/30" dev "$veth_vps_client"
  ip -n "$FX_NS_VPS" addr add "$FX_VPS_UP_ADDR/30" dev "$FX_VETH_VPS_UP"
  ip -n "$FX_NS_UP" addr add "$FX_UP_ADDR/30" dev "$veth_up"
  ip -n "$FX_NS_CLIENT" link set "$FX_VETH_CLIENT" up
  ip -n "$FX_NS_VPS" link set "$veth_vps_client" up
  ip -n "$FX_NS_VPS" link set "$FX_VETH_VPS_UP" up
  ip -n "$FX_NS_UP" link set "$veth_up" up
  # The vps never routes between its links (the client must not reach the upstream through it).
  ip netns exec "$FX_NS_VPS" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'

  for ns in "$FX_NS_CLIENT" "$FX_NS_VPS" "$FX_NS_UP"; do
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' | _fx_etc "$ns" resolv.conf
  done
  printf '127.0.0.1\tlocalhost\n' | _fx_etc "$FX_NS_CLIENT" hosts
  printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$FX_UP_ADDR" "$FX_UP_HOST" | _fx_etc "$FX_NS_VPS" hosts
  printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$FX_UP_ADDR" "$FX_UP_HOST" | _fx_etc "$FX_NS_UP" hosts
  _fx_vps_accounts
}

fixture_link_down() { ip -n "$FX_NS_CLIENT" link set "$FX_VETH_CLIENT" down; }
fixture_link_up() { ip -n "$FX_NS_CLIENT" link set "$FX_VETH_CLIENT" up; }

# The vps namespace's own account database: the host's passwd/group (world-readable anyway)
# plus the tunnel account and the pwdfile group; a shadow with `*` (no password) for everyone,
# so no host hash is ever copied. `!` would lock the account for key logins too (UsePAM no).
_fx_vps_accounts() {
  # Numeric ids unused on the host (files under $T are owned by them): uid=gid N, gid N-1.
  FX_TUNNEL_UID=$(awk -F: '{ used[$3] = 1 }
    END { for (id = 64990; id > 60000; id--) if (!(id in used) && !((id - 1) in used)) { print id; exit } }' \
    /etc/passwd /etc/group)
  [ -n "$FX_TUNNEL_UID" ] || fail "no free uid for the tunnel account"
  FX_TUNNEL_GID=$FX_TUNNEL_UID
  FX_PWFILE_GID=$((FX_TUNNEL_UID - 1))
  FX_TUNNEL_HOME="$FX_DIR/vps/home/$FX_TUNNEL_USER"
  # nobody (Dante's user.unprivileged) gets phantom-pw as its PRIMARY group in this view:
  # danted clears the supplementary groups when it drops privileges (Groups: empty in
  # /proc/PID/status), so membership alone would not let it read the pwdfile.
  {
    grep -v -e "^$FX_TUNNEL_USER:" /etc/passwd |
      awk -F: -v OFS=: -v gid="$FX_PWFILE_GID" '$1 == "nobody" { $4 = gid } { print }'
    printf '%s:x:%s:%s:phantom tunnel (test):%s:/usr/sbin/nologin\n' \
      "$FX_TUNNEL_USER" "$FX_TUNNEL_UID" "$FX_TUNNEL_GID" "$FX_TUNNEL_HOME"
  } | _fx_etc "$FX_NS_VPS" passwd
  {
    grep -v -e "^$FX_TUNNEL_USER:" -e '^phantom-pw:' /etc/group
    printf '%s:x:%s:\n' "$FX_TUNNEL_USER" "$FX_TUNNEL_GID"
    printf 'phantom-pw:x:%s:\n' "$FX_PWFILE_GID"
  } | _fx_etc "$FX_NS_VPS" group
  cut -d: -f1 "/etc/netns/$FX_NS_VPS/passwd" | sed 's/$/:*:19000:0:::::/' | _fx_etc "$FX_NS_VPS" shadow
  chmod 0600 "/etc/netns/$FX_NS_VPS/shadow"
}

fixture_upstream_https() {
  require_tool openssl python3
  local d="$FX_DIR/up"
  mkdir -p "$d"
  chmod 0755 "$d"
  FX_CA_CERT="$d/ca.pem"
  FX_UPSTREAM_BODY="phantom upstream ok"
  FX_MESSAGES_REPLY="pong from the stand-in API"
  FX_UPSTREAM_LOG="$d/requests.log"
  FX_UPSTREAM_HELLO_LOG="$d/hellos.log"
  : >"$FX_UPSTREAM_LOG"
  : >"$FX_UPSTREAM_HELLO_LOG"
  (
    cd "$d"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
      -out ca.pem -days 2 -subj "/CN=phantom test CA $FX_ID" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
      -out server.csr -subj "/CN=$FX_UP_HOST"
    printf 'subjectAltName=DNS:%s,IP:%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
      "$FX_UP_HOST" "$FX_UP_ADDR" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(_fx_hex 8)" \
      -days 2 -extfile server.ext -out server.pem
    chmod 0644 ca.pem server.pem
  ) >"$d/openssl.log" 2>&1 || {
    _fx_log_tail "$d/openssl.log"
    fail "could not make the test CA"
  }
  cat >"$d/server.py" <<'PY'
# The upstream API stand-in: HTTPS on ADDR:443, HTTP on ADDR:80, one fixed page; it logs
# every request, and every TLS ClientHello with what changes per connection masked.
import hashlib, http.server, json, socket, socketserver, ssl, struct, sys, threading

addr, certdir, body, logpath, hellopath = (sys.argv[1], sys.argv[2], sys.argv[3].encode(),
                                           sys.argv[4], sys.argv[5])
MESSAGES_REPLY = sys.argv[6]
lock = threading.Lock()
log = open(logpath, "a", buffering=1)
hello_log = open(hellopath, "a", buffering=1)

class Reader:
    """Big-endian fields of a TLS structure; ValueError when one runs past the end."""
    def __init__(self, data):
        self.data, self.pos = data, 0
    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated at byte %d of %d" % (self.pos, len(self.data)))
        self.pos += n
        return self.data[self.pos - n:self.pos]
    def int(self, n):
        return int.from_bytes(self.take(n), "big")
    def vec(self, n):  # opaque<..2^(8n)-1>: length prefix, then the bytes
        return self.take(self.int(n))
    def done(self):
        return self.pos == len(self.data)

def name(v):
    # GREASE (RFC 8701 §2): 0x0a0a, 0x1a1a … 0xfafa, a fresh one per connection in some clients.
    return "GREASE" if (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff) else "%04x" % v

def u16s(data):
    r, out = Reader(data), []
    while not r.done():
        out.append(name(r.int(2)))
    return ",".join(out)

def describe_extension(kind, data):
    if name(kind) == "GREASE":
        return "*"
    if kind in (0x0029, 0x002a, 0xfe0d):  # pre_shared_key, early_data, encrypted_client_hello
        return "*"
    if kind == 0x0023:  # session_ticket: empty, or a ticket the server issued before
        return "*" if data else ""
    r = Reader(data)
    if kind in (0x000a, 0x000d):  # supported_groups, signature_algorithms: u16 list
        text = u16s(r.vec(2))
    elif kind == 0x002b:  # supported_versions (RFC 8446 §4.2.1): u8 length, u16 list
        text = u16s(r.vec(1))
    elif kind == 0x0033:  # key_share (RFC 8446 §4.2.8): the groups and key sizes, not the keys
        shares, out = Reader(r.vec(2)), []
        while not shares.done():
            group = shares.int(2)
            out.append("%s/%d*" % (name(group), len(shares.vec(2))))
        text = ",".join(out)
    else:
        return data.hex()
    if not r.done():
        raise ValueError("extension %04x has trailing bytes" % kind)
    return text

def server_name(data):
    r = Reader(data)
    names = Reader(r.vec(2))
    while not names.done():
        kind, host = names.int(1), names.vec(2)
        if kind == 0:  # host_name (RFC 6066 §3)
            text = host.decode("ascii", "backslashreplace")
            return "".join(c if c.isprintable() and not c.isspace() else "?" for c in text) or "-"
    return "-"

def describe_hello(message):
    """(SNI, description) of a ClientHello handshake message (RFC 8446 §4.1.2)."""
    r = Reader(message)
    kind = r.int(1)
    if kind != 1:
        raise ValueError("handshake type %d, not ClientHello" % kind)
    hello = Reader(r.vec(3))
    version = hello.int(2)
    hello.take(32)  # random
    session_id = len(hello.vec(1))
    ciphers = u16s(hello.vec(2))
    compression = hello.vec(1).hex()
    sni, extensions = "-", []
    if not hello.done():  # a TLS 1.0 client may send no extensions at all
        block = Reader(hello.vec(2))
        while not block.done():
            ext, data = block.int(2), block.vec(2)
            extensions.append("%s:%s" % (name(ext), describe_extension(ext, data)))
            if ext == 0x0000 and sni == "-":
                sni = server_name(data)
    if not hello.done():
        raise ValueError("ClientHello has trailing bytes")
    return sni, "version=%04x random=* session_id=%d* ciphers=%s compression=%s extensions=%s" % (
        version, session_id, ciphers, compression, " ".join(extensions) or "-")

def peek_hello(sock):
    """The first handshake message, peeked so that it stays queued for the TLS layer; None
    when the peer closed or stayed silent without sending a byte (a port probe)."""
    # Blocking MSG_PEEK|MSG_WAITALL waits for exactly `need` bytes (Linux), and returns short
    # at EOF or after SO_RCVTIMEO.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("@ll", 30, 0))
    need = 5
    while True:
        try:
            data = sock.recv(need, socket.MSG_PEEK | socket.MSG_WAITALL)
        except BlockingIOError:
            return None
        if not data:
            return None
        if len(data) < need:
            raise ValueError("%d of %d bytes before EOF or timeout" % (len(data), need))
        # Whole records (RFC 8446 §5.1); the ClientHello may span several.
        pos, handshake = 0, b""
        while True:
            if pos + 5 > len(data):  # the next record's header
                need = pos + 5
                break
            if data[pos] != 22:
                raise ValueError("record type %d, not handshake (first bytes %s)"
                                 % (data[pos], data[:8].hex()))
            end = pos + 5 + int.from_bytes(data[pos + 3:pos + 5], "big")
            if end > len(data):  # the rest of this record
                need = end
                break
            handshake += data[pos + 5:end]
            pos = end
            if len(handshake) >= 4:
                size = 4 + int.from_bytes(handshake[1:4], "big")
                if len(handshake) >= size:
                    return handshake[:size]
        if need > 1 << 18:
            raise ValueError("no complete ClientHello in the first %d bytes" % (1 << 18))

def note_hello(sock, src):
    try:
        message = peek_hello(sock)
        if message is None:
            return
        sni, description = describe_hello(message)
        line = "%s %s %s | %s\n" % (src, sni, hashlib.sha256(description.encode()).hexdigest(),
                                     description)
    except (OSError, ValueError) as error:
        line = "%s - invalid | %s\n" % (src, error)
    with lock:
        hello_log.write(line)
        hello_log.flush()

def messages_api(request_body):
    # Just enough of the Anthropic Messages API for the real Claude Code CLI in `-p` mode: one
    # assistant turn whose text is MESSAGES_REPLY, streamed (server-sent events) when asked.
    try:
        request = json.loads(request_body or b"{}")
    except ValueError:
        request = {}
    model = request.get("model", "claude-test")
    usage = {"input_tokens": 1, "output_tokens": 5}
    if not request.get("stream"):
        message = {"id": "msg_phantom", "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": MESSAGES_REPLY}], "stop_reason": "end_turn",
                   "stop_sequence": None, "usage": usage}
        return json.dumps(message).encode(), "application/json"
    events = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_phantom", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": usage}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": MESSAGES_REPLY}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 5}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    text = "".join("event: %s\ndata: %s\n\n" % (name, json.dumps(data)) for name, data in events)
    return text.encode(), "text/event-stream"

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "phantom-upstream"
    # TCP_NODELAY: the head and the body go out in separate writes (and TLS 1.3 sends its
    # session tickets first); with Nagle each small write after the first waits for the
    # client's delayed ACK, ~40 ms per request on Linux, which would swamp latency figures.
    disable_nagle_algorithm = True

    def note(self):
        with lock:
            log.write("%s %s %s %s %s\n" % (self.client_address[0], self.server.scheme,
                                           self.command, self.path, self.headers.get("Host", "-")))
            log.flush()

    def answer(self):
        self.note()
        if self.command == "GET" and self.path.startswith("/bytes/"):
            try:
                n = int(self.path[len("/bytes/"):])
            except ValueError:
                n = -1
            if not 0 <= n <= 1 << 30:
                self.send_error(400)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            # 1 MiB per write, without copying: fewer trips through Python per byte, so that
            # the upstream is not what limits a throughput test.
            chunk = memoryview(bytes(1 << 20))
            while n > 0:
                k = min(n, len(chunk))
                self.wfile.write(chunk[:k])
                n -= k
            return
        if self.command == "GET" and self.path == "/chunked":  # as HTTP/1.1 servers answer
            out = [b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
                   b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                   b"Connection: close\r\n\r\n"]
            out += [b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7)]
            self.wfile.write(b"".join(out) + b"0\r\n\r\n")
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        self.request_body = self.rfile.read(length) if length else b""
        page, kind = body, "text/plain"
        if self.path == "/ip":  # what-is-my-address services: the caller's source address
            page = (self.client_address[0] + "\n").encode()
        elif self.command == "POST" and self.path.split("?")[0] == "/v1/messages":
            page, kind = messages_api(self.request_body)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST = do_PUT = answer

    def log_message(self, *args):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    context = None

    def finish_request(self, request, client_address):
        # TLS handshake in the connection's own thread: a silent or broken client never
        # blocks the accept loop (port probes connect and close without a handshake).
        if self.context is not None:
            note_hello(request, client_address[0])
            try:
                request.settimeout(30)
                request = self.context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass

tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(certdir + "/server.pem", certdir + "/server.key")
https = Server((addr, 443), Handler)
https.scheme, https.context = "https", tls
plain = Server((addr, 80), Handler)
plain.scheme = "http"
threading.Thread(target=plain.serve_forever, daemon=True).start()
print("ready", flush=True)
https.serve_forever()
PY
  fixture_bg "$FX_NS_UP" "$d/server.stderr" python3 "$d/server.py" "$FX_UP_ADDR" "$d" \
    "$FX_UPSTREAM_BODY" "$FX_UPSTREAM_LOG" "$FX_UPSTREAM_HELLO_LOG" "$FX_MESSAGES_REPLY"
  FX_UPSTREAM_PID=$FX_LAST_PID
  if ! fixture_wait_port "$FX_NS_UP" "$FX_UP_ADDR" 443 10 "$FX_UPSTREAM_PID" ||
    ! fixture_wait_port "$FX_NS_UP" "$FX_UP_ADDR" 80 10 "$FX_UPSTREAM_PID"; then
    _fx_log_tail "$d/server.stderr"
    fail "the upstream HTTPS server did not start"
  fi
}

fixture_sshd() {
  require_tool /usr/sbin/sshd ssh-keygen
  local d="$FX_DIR/vps"
  # sshd reads authorized_keys as the tunnel user: it must be able to traverse $T (search
  # permission only, no listing) down to its home. StrictModes checks the home and the file.
  chmod 0711 "$T"
  mkdir -p "$d" "$FX_TUNNEL_HOME"
  chmod 0755 "$FX_DIR" "$d" "$(dirname "$FX_TUNNEL_HOME")"
  chown "root:$FX_TUNNEL_GID" "$FX_TUNNEL_HOME"
  chmod 0750 "$FX_TUNNEL_HOME"
  FX_AUTHORIZED_KEYS="$FX_TUNNEL_HOME/authorized_keys"
  : >"$FX_AUTHORIZED_KEYS"
  chown "root:$FX_TUNNEL_GID" "$FX_AUTHORIZED_KEYS"
  chmod 0640 "$FX_AUTHORIZED_KEYS"
  [ -d /run/sshd ] || mkdir -m 0755 /run/sshd # privilege separation directory

  ssh-keygen -q -t ed25519 -N '' -C "phantom-fixture-$FX_ID" -f "$d/ssh_host_ed25519_key" >/dev/null
  FX_HOSTKEY_PUB=$(cut -d' ' -f1,2 "$d/ssh_host_ed25519_key.pub")
  FX_SSHD_CONFIG="$d/sshd_config"
  FX_SSHD_LOG="$d/sshd.log"
  cat >"$FX_SSHD_CONFIG" <<EOF
# phantom test fixture: a tunnel-only sshd (design §4)
Port $FX_SSH_PORT
AddressFamily inet
ListenAddress $FX_VPS_ADDR
ListenAddress 127.0.0.1
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $FX_AUTHORIZED_KEYS
AuthorizedPrincipalsFile none
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitEmptyPasswords no
PermitRootLogin no
UsePAM no
StrictModes yes
AllowUsers $FX_TUNNEL_USER
AllowTcpForwarding local
AllowStreamLocalForwarding no
GatewayPorts no
PermitTunnel no
PermitTTY no
X11Forwarding no
AllowAgentForwarding no
PermitUserRC no
PermitUserEnvironment no
PrintMotd no
PrintLastLog no
UseDNS no
LoginGraceTime 20
MaxStartups 100:30:200
LogLevel VERBOSE
EOF
  if ! /usr/sbin/sshd -t -f "$FX_SSHD_CONFIG" >"$d/sshd-t.log" 2>&1; then
    _fx_log_tail "$d/sshd-t.log"
    fail "sshd rejects the fixture's config"
  fi
  fixture_bg "$FX_NS_VPS" "$FX_SSHD_LOG" /usr/sbin/sshd -D -f "$FX_SSHD_CONFIG" -e
  FX_SSHD_PID=$FX_LAST_PID
  if ! fixture_wait_port "$FX_NS_VPS" "$FX_VPS_ADDR" "$FX_SSH_PORT" 10 "$FX_SSHD_PID" ||
    ! fixture_wait_port "$FX_NS_VPS" 127.0.0.1 "$FX_SSH_PORT" 10 "$FX_SSHD_PID"; then
    _fx_log_tail "$FX_SSHD_LOG"
    fail "sshd did not start"
  fi
}

fixture_add_key() { # PUBKEY_FILE [dante|direct]
  local file=$1 mode=${2:-dante} opts key hp
  [ -n "${FX_AUTHORIZED_KEYS:-}" ] || fail "fixture_add_key: call fixture_sshd first"
  key=$(awk 'NF >= 2 { print $1, $2; exit }' "$file")
  [ -n "$key" ] || fail "fixture_add_key: no public key in $file"
  case "$mode" in
  dante) opts="restrict,port-forwarding,permitopen=\"$FX_DANTE_ADDR:$FX_DANTE_PORT\"" ;;
  direct)
    opts="restrict,port-forwarding"
    for hp in $FX_DIRECT_PERMITOPEN; do opts+=",permitopen=\"$hp\""; done
    ;;
  *) fail "fixture_add_key: mode must be dante or direct, not [$mode]" ;;
  esac
  opts+=',command="/usr/sbin/nologin"'
  printf '%s %s phantom-fixture-%s\n' "$opts" "$key" "$mode" >>"$FX_AUTHORIZED_KEYS"
}

fixture_known_hosts() { # FILE
  printf '%s %s\n' "$FX_VPS_ADDR" "$FX_HOSTKEY_PUB" >"$1"
  chmod 0600 "$1"
}

fixture_ssh_args() { # IDENTITY KNOWN_HOSTS
  FX_SSH_ARGS=(-F /dev/null -p "$FX_SSH_PORT" -i "$1"
    -o IdentitiesOnly=yes -o BatchMode=yes
    -o UserKnownHostsFile="$2" -o GlobalKnownHostsFile=/dev/null
    -o StrictHostKeyChecking=yes -o UpdateHostKeys=no -o CheckHostIP=no
    -o ExitOnForwardFailure=yes -o ConnectTimeout=5
    -o ServerAliveInterval=5 -o ServerAliveCountMax=3)
  FX_SSH_DEST="$FX_TUNNEL_USER@$FX_VPS_ADDR"
}

_fx_dante_dir() {
  local d="$FX_DIR/dante"
  if [ ! -d "$d" ]; then
    mkdir -p "$d"
    chmod 0755 "$d"
  fi
  FX_DANTE_PWFILE="$d/members.pw"
  if [ ! -f "$FX_DANTE_PWFILE" ]; then
    : >"$FX_DANTE_PWFILE"
    chown "root:$FX_PWFILE_GID" "$FX_DANTE_PWFILE"
    chmod 0640 "$FX_DANTE_PWFILE"
  fi
  FX_DANTE_CONFIG="$d/danted.conf"
  FX_DANTE_LOG="$d/danted.log"
  _fx_dante_pidfile="$d/danted.pid"
}

_fx_dante_render() {
  local m
  {
    cat <<EOF
# phantom test fixture: Dante 1.4.2 (design §4, §7)
logoutput: $FX_DANTE_LOG
internal: $FX_DANTE_ADDR port = $FX_DANTE_PORT
external: $FX_VETH_VPS_UP
clientmethod: none
socksmethod: pam.username
user.privileged: root
user.unprivileged: nobody
timeout.negotiate: 10

client pass {
  from: 127.0.0.0/8 to: 0.0.0.0/0
  log: error
}
client block {
  from: 0.0.0.0/0 to: 0.0.0.0/0
  log: connect error
}

# Never matches; names the PAM service so that SIGHUP reloads keep using it (design §7).
socks block {
  from: 0.0.0.0/32 to: 0.0.0.0/32
  socksmethod: pam.username
  pam.servicename: $FX_DANTE_PAM_SERVICE
}

# phantom's login check (tunnel::k_check_host/k_check_port, as phantom-admin renders it):
# a member whose password PAM accepts may "connect" to port 1 on Dante's own loopback,
# where nothing listens. Dante answers "refused" for a good password and "not allowed" for
# a bad one, and nothing leaves the server.
socks pass {
  from: 127.0.0.0/8 to: 127.0.0.1/32 port = 1
  command: connect
  socksmethod: pam.username
  pam.servicename: $FX_DANTE_PAM_SERVICE
  log: error
}
EOF
    for m in "${_fx_members[@]}"; do
      cat <<EOF

socks pass {
  from: 127.0.0.0/8 to: $FX_UP_NET
  command: connect
  socksmethod: pam.username
  pam.servicename: $FX_DANTE_PAM_SERVICE
  user: $m
  log: connect disconnect error
}
EOF
    done
    cat <<EOF

socks block {
  from: 0.0.0.0/0 to: 0.0.0.0/0
  log: connect error
}
EOF
  } >"$FX_DANTE_CONFIG.new"
  chmod 0644 "$FX_DANTE_CONFIG.new"
  mv -f "$FX_DANTE_CONFIG.new" "$FX_DANTE_CONFIG"
}

fixture_danted() {
  require_tool danted openssl
  [ -e /lib/x86_64-linux-gnu/security/pam_pwdfile.so ] || [ -n "$(find /lib /usr/lib -name pam_pwdfile.so -print -quit 2>/dev/null)" ] ||
    skip "pam_pwdfile.so is missing (libpam-pwdfile; scripts/setup.sh installs it)"
  _fx_dante_dir
  printf 'auth required pam_pwdfile.so pwdfile=%s nodelay\naccount required pam_permit.so\n' \
    "$FX_DANTE_PWFILE" | _fx_etc "$FX_NS_VPS" "pam.d/$FX_DANTE_PAM_SERVICE"
  chmod 0755 "/etc/netns/$FX_NS_VPS/pam.d"
  _fx_dante_render
  : >"$FX_DANTE_LOG"
  fixture_bg "$FX_NS_VPS" "$FX_DIR/dante/danted.stderr" danted -f "$FX_DANTE_CONFIG" -p "$_fx_dante_pidfile"
  FX_DANTED_PID=$FX_LAST_PID
  fixture_wait_port "$FX_NS_VPS" "$FX_DANTE_ADDR" "$FX_DANTE_PORT" 10 "$FX_DANTED_PID" || {
    _fx_log_tail "$FX_DIR/dante/danted.stderr"
    _fx_log_tail "$FX_DANTE_LOG"
    fail "danted did not start"
  }
}

fixture_add_member() { # NAME PASSWORD
  local name=$1 password=$2 hash m new=1
  case "$name" in
  '' | *[!A-Za-z0-9._-]*) fail "fixture_add_member: bad member name [$name]" ;;
  esac
  [ -n "${FX_PWFILE_GID:-}" ] || fail "fixture_add_member: call fixture_topology first"
  _fx_dante_dir
  hash=$(printf '%s' "$password" | openssl passwd -6 -stdin) || fail "openssl passwd failed"
  # Replace an older line for NAME; rename so that a concurrent login never reads half a file.
  (
    umask 077
    { grep -v -e "^$name:" "$FX_DANTE_PWFILE" || true; } >"$FX_DANTE_PWFILE.tmp"
  )
  printf '%s:%s\n' "$name" "$hash" >>"$FX_DANTE_PWFILE.tmp"
  chown "root:$FX_PWFILE_GID" "$FX_DANTE_PWFILE.tmp"
  chmod 0640 "$FX_DANTE_PWFILE.tmp"
  mv -f "$FX_DANTE_PWFILE.tmp" "$FX_DANTE_PWFILE"
  for m in "${_fx_members[@]}"; do [ "$m" = "$name" ] && new=0; done
  [ "$new" = 1 ] || return 0
  _fx_members+=("$name")
  if [ -n "${FX_DANTED_PID:-}" ] && _fx_alive "$FX_DANTED_PID"; then
    _fx_dante_reload
  fi
}

# SIGHUP, then wait (bounded) until the reload is complete: the main process logs
# "config reloaded" and then tells its children, each of which logs "sighup_child()" before
# it re-reads the config in its single-threaded loop, so once every child has logged that line
# no request can meet the old rules any more (children forked later start from the new config).
_fx_dante_reload() {
  _fx_dante_render
  local offset i c children pending new
  offset=$(stat -c %s "$FX_DANTE_LOG")
  kill -HUP "$FX_DANTED_PID"
  for ((i = 0; i < 100; i++)); do
    new=$(tail -c +"$((offset + 1))" "$FX_DANTE_LOG")
    case "$new" in *"config reloaded"*) break ;; esac
    _fx_alive "$FX_DANTED_PID" || break
    sleep 0.05
  done
  case "$new" in
  *"config reloaded"*) ;;
  *)
    _fx_log_tail "$FX_DANTE_LOG"
    fail "danted did not reload its config"
    ;;
  esac
  children=$(ps -o pid= --ppid "$FX_DANTED_PID" | tr -d ' ' | tr '\n' ' ')
  for ((i = 0; i < 100; i++)); do
    new=$(tail -c +"$((offset + 1))" "$FX_DANTE_LOG")
    pending=0
    for c in $children; do
      case "$new" in *"danted[$c]: info: sighup_child()"*) ;; *) _fx_alive "$c" && pending=1 ;; esac
    done
    [ "$pending" = 1 ] || return 0
    sleep 0.05
  done
  _fx_log_tail "$FX_DANTE_LOG"
  fail "danted's children did not reload their config"
}

# fixture_member NAME PASSWORD
#   A phantom member on the client side, as the admin and `phantom init` would set it up:
#   a fresh 0700 home under $T with ~/.ssh/phantom_ed25519, the key authorised for dante
#   mode, NAME/PASSWORD added to Dante, and `phantom init --yes` pointed at the fixture with
#   the host key pinned. Sets FX_MEMBER_HOME. Run phantom for it with fixture_phantom.
fixture_member() { # NAME PASSWORD
  local name=$1 password=$2
  FX_MEMBER_HOME=$(new_home "member-$name")
  mkdir -m 0700 "$FX_MEMBER_HOME/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$FX_MEMBER_HOME/.ssh/phantom_ed25519"
  fixture_add_key "$FX_MEMBER_HOME/.ssh/phantom_ed25519.pub" dante
  fixture_add_member "$name" "$password"
  printf '%s' "$password" | fixture_phantom "$FX_MEMBER_HOME" init --yes --host "$FX_VPS_ADDR" \
    --socks-user "$name" --password-stdin --host-key "$FX_HOSTKEY_PUB" --dante-host "$FX_DANTE_ADDR" \
    --dante-port "$FX_DANTE_PORT" >/dev/null
}

# fixture_phantom HOME ARGS…
#   Runs $PHANTOM_BIN in the client namespace with a clean environment and HOME (plus
#   PHANTOM_AUTOSSH when the caller set it).
fixture_server() {
  fixture_topology
  fixture_upstream_https
  fixture_sshd
  fixture_danted
}

fixture_entrypoint_server() {
  : "${PHANTOM_ADMIN_BIN:?PHANTOM_ADMIN_BIN must point at phantom-admin (CTest sets it)}"
  fixture_topology
  fixture_upstream_https
  FX_DATA="/run/phantom-test-$FX_ID"
  mkdir -m 0755 "$FX_DATA"
  on_exit "rm -rf '$FX_DATA'"
  local pam_service="phantom-$FX_ID"
  # The PAM service danted uses, in the vps namespace's own /etc/pam.d (the image ships it).
  printf 'auth required pam_pwdfile.so pwdfile=%s\naccount required pam_permit.so\n' "$FX_DATA/dante/passwd" |
    _fx_etc "$FX_NS_VPS" "pam.d/$pam_service"
  FX_SERVER_ENV=(
    PHANTOM_DATA_DIR="$FX_DATA" PHANTOM_TEMPLATE_DIR="$PHANTOM_SOURCE_DIR/server" PHANTOM_ADMIN="$PHANTOM_ADMIN_BIN"
    PHANTOM_PUBLIC_HOST="$FX_VPS_ADDR" PHANTOM_SSH_PORT=22 PHANTOM_DANTE_ADDR=127.0.0.1 PHANTOM_DANTE_PORT=1080
    PHANTOM_DANTE_EXTERNAL="$FX_VETH_VPS_UP" PHANTOM_TUNNEL_USER="$FX_TUNNEL_USER" PHANTOM_DANTE_USER=nobody
    PHANTOM_PAM_SERVICE="$pam_service" PHANTOM_ALLOW_TARGETS="$FX_UP_NET"
  )
  fixture_entrypoint dante
  fixture_entrypoint sshd
}

fixture_entrypoint() { # dante|sshd: starts (or starts again) one service as the image does
  local log="$FX_DIR/entrypoint-$1.log"
  fixture_bg "$FX_NS_VPS" "$log" env "${FX_SERVER_ENV[@]}" "$PHANTOM_SOURCE_DIR/server/entrypoint.sh" "$1"
  if [ "$1" = dante ]; then
    FX_ENTRY_DANTE_PID=$FX_LAST_PID
    fixture_wait_port "$FX_NS_VPS" 127.0.0.1 1080 20 "$FX_LAST_PID" || fail "danted did not start: $(cat "$log")"
  else
    FX_ENTRY_SSHD_PID=$FX_LAST_PID
    fixture_wait_port "$FX_NS_VPS" "$FX_VPS_ADDR" 22 20 "$FX_LAST_PID" || fail "sshd did not start: $(cat "$log")"
  fi
}

fixture_admin() { fixture_in "$FX_NS_VPS" env "${FX_SERVER_ENV[@]}" "$PHANTOM_ADMIN_BIN" "$@"; }

fixture_onboard() { # NAME [LOCAL_PORT]
  local name=$1 port=${2:-} home
  home=$(new_home "member-$name")
  mkdir -m 0700 "$home/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C "$name@laptop" -f "$home/.ssh/phantom_ed25519"
  FX_MEMBER_INVITE=$(fixture_admin user add "$name" --ssh-key-file "$home/.ssh/phantom_ed25519.pub") ||
    fail "phantom-admin user add $name failed"
  [ "$(wc -l <<<"$FX_MEMBER_INVITE")" -eq 1 ] ||
    fail "user add printed $(wc -l <<<"$FX_MEMBER_INVITE") lines, not one invite (not shown: it holds a password)"
  printf '%s' "$FX_MEMBER_INVITE" | fixture_phantom "$home" init --invite - --yes >/dev/null ||
    fail "phantom init --invite for $name failed"
  [ -n "$port" ] || port=$(fixture_free_port "$FX_NS_CLIENT")
  sed -i "s/^local_port = .*/local_port = $port/" "$home/.phantom/config"
  FX_MEMBER_HOME=$home
}

fixture_wait_page() { # TENTHS WHAT CMD…: polls CMD until it prints the upstream page
  local t0 i tenths=$1 what=$2
  shift 2
  t0=$(date +%s%N)
  for ((i = 0; i < tenths; i++)); do
    if [ "$("$@" 2>/dev/null)" = "$FX_UPSTREAM_BODY" ]; then
      echo $((($(date +%s%N) - t0) / 1000000))
      return 0
    fi
    sleep 0.1
  done
  fail "$what"
}

fixture_tunnel_pids() { # HOME: autossh/ssh processes with that home's known_hosts in their argv
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "UserKnownHostsFile=$1/.phantom/known_hosts" &&
      echo "${p#/proc/}"
  done
  return 0
}

fixture_state() { # HOME KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' \
    "$1/.phantom/run/state.json" "$2"
}

fixture_phantom() { # HOME ARGS…
  local home=$1
  shift
  fixture_in "$FX_NS_CLIENT" env -i HOME="$home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    ${PHANTOM_AUTOSSH:+PHANTOM_AUTOSSH=$PHANTOM_AUTOSSH} "$PHANTOM_BIN" "$@"
}

fixture_teardown() {
  local i ns pids p seen
  seen="${FX_PIDS[*]} $(for ns in "${_fx_namespaces[@]}"; do ip netns pids "$ns" 2>/dev/null; done | tr '\n' ' ')"
  # 1. What the fixture (and the test, through fixture_bg) started, newest first.
  for ((i = ${#FX_PIDS[@]} - 1; i >= 0; i--)); do
    fixture_kill "${FX_PIDS[$i]}"
  done
  # 2. Whatever still lives in the fixture's own namespaces: descendants of those processes
  #    (sshd per-connection children, dante workers). Nothing else can be in there.
  for ((i = 0; i < 30; i++)); do
    pids=""
    for ns in "${_fx_namespaces[@]}"; do
      pids+=" $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
    done
    [ -n "${pids// /}" ] || break
    for p in $pids; do
      if [ "$i" -lt 20 ]; then kill -TERM "$p" 2>/dev/null || true; else kill -KILL "$p" 2>/dev/null || true; fi
    done
    sleep 0.1
  done
  # Orphans (dante workers outlive their killed parent by a moment) are reaped by PID 1,
  # not by us: give it a bounded moment so that no <defunct> entry lingers after the test.
  for ((i = 0; i < 30; i++)); do
    pids=""
    for p in $seen; do [ -e "/proc/$p" ] && pids+=" $p"; done
    [ -n "$pids" ] || break
    sleep 0.1
  done
  # 3. The namespaces (their veths go with them) and their /etc views.
  for ns in "${_fx_namespaces[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  _fx_namespaces=()
  for p in "${_fx_etc_dirs[@]}"; do
    rm -rf -- "$p"
  done
  _fx_etc_dirs=()
  rmdir /etc/netns 2>/dev/null || true
}
