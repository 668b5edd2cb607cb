#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Process level: `phantom init` (flags, invite, errors), then `phantom run` / `phantom CMD`,
# `phantom env` and the shadow home, checked from the child's point of view.
. "$(dirname "$0")/lib.sh"
require_tool git npm ssh ssh-keygen sha256sum

H=$(new_home home)
# No keychain tool on PATH, so the password goes to the 0600 config (the fallback path).
BIN_DIR="$T/bin"
mkdir -p "$BIN_DIR"
ln -s "$PHANTOM_BIN" "$BIN_DIR/phantom"
BASE_PATH="$BIN_DIR:/usr/local/bin:/usr/bin:/bin"
ph() { env -i HOME="$H" PATH="$BASE_PATH" SHELL=/bin/bash LANG=C.UTF-8 KEEP_ME=kept "$@"; }

HOSTKEY=$(test_host_key)

step "init with hostile input changes nothing"
run_capture r ph phantom init --yes --host '-oProxyCommand=touch /tmp/pwned' --socks-user alice
assert_eq 64 "$r_rc" "hostile --host exit code"
assert_contains "$r_err" "--host" "hostile --host message"
[ ! -e "$H/.phantom/config" ] || fail "a refused init wrote a config"
run_capture r ph phantom init --yes --invite 'phantom://alice:pw@vps:22/?hostkey=ssh-ed25519%20AAAA%0Aevil'
assert_eq 64 "$r_rc" "hostile invite exit code"
assert_contains "$r_err" "invite:" "hostile invite message"
assert_not_contains "$r_err" ":pw@" "password echoed in error"
[ ! -e "$H/.phantom" ] || fail "a refused invite created ~/.phantom"
run_capture r ph phantom init --yes --host vps.example.com
assert_eq 64 "$r_rc" "missing member name"
assert_contains "$r_err" "--socks-user" "missing member name names the flag"

step "init --invite pins the host key, stores the password, makes a key"
ENC_KEY=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$HOSTKEY")
INVITE="phantom://alice:p%40ss%3Aw0rd@vps.example.com:2222/?mode=dante&socks_port=1080&tunnel_user=phantom&hostkey=$ENC_KEY"
run_capture r ph phantom init --yes --invite "$INVITE"
assert_eq 0 "$r_rc" "init --invite exit code ($r_err)"
assert_eq 700 "$(stat -c %a "$H/.phantom")" "~/.phantom mode"
assert_eq 600 "$(stat -c %a "$H/.phantom/config")" "config mode"
assert_eq "[vps.example.com]:2222 $HOSTKEY" "$(cat "$H/.phantom/known_hosts")" "pinned host key"
assert_contains "$(cat "$H/.phantom/config")" 'password = "p@ss:w0rd"' "password in config without keychain"
[ -f "$H/.ssh/phantom_ed25519" ] || fail "no generated key"
PUB=$(cat "$H/.ssh/phantom_ed25519.pub")
assert_contains "$r_out" "phantom-admin user add alice --ssh-key '$PUB'" "admin line"
assert_contains "$r_out" "config file" "says where the password went"
assert_not_contains "$r_out$r_err" "p@ss:w0rd" "password printed"

step "an invite on the command line is hidden from ps while init runs"
mkfifo "$T/pw.fifo"
env -i HOME="$H" PATH="$BASE_PATH" phantom init --yes --invite "$INVITE" --password-stdin <"$T/pw.fifo" >/dev/null 2>&1 &
init_pid=$!
# init blocks reading the password from the fifo: its argv is settled by then.
exec 3>"$T/pw.fifo"
for _ in $(seq 1 50); do
  cmdline=$(tr '\0' ' ' <"/proc/$init_pid/cmdline" 2>/dev/null || true)
  case "$cmdline" in *xxxx*) break ;; esac
  sleep 0.1
done
assert_contains "$cmdline" "--invite xxxx" "invite overwritten in argv"
assert_not_contains "$cmdline" "p%40ss" "invite password visible in /proc/PID/cmdline"
printf 'p@ss:w0rd' >&3
exec 3>&-
wait "$init_pid" || fail "init with --password-stdin after an invite failed"

step "re-running init keeps what is not changed"
run_capture r ph phantom init --yes --port 2200
assert_eq 0 "$r_rc" "re-run init ($r_err)"
CFG=$(cat "$H/.phantom/config")
assert_contains "$CFG" 'host = "vps.example.com"' "host kept"
assert_contains "$CFG" 'port = 2200' "port changed"
assert_contains "$CFG" 'password = "p@ss:w0rd"' "password kept"
assert_eq "$PUB" "$(cat "$H/.ssh/phantom_ed25519.pub")" "key not regenerated"

step "with a keychain (MOCK secret-tool: the Secret Service D-Bus API cannot run here)"
KH=$(new_home keychain-home)
mkdir -p "$T/keychain"
kc() { env -i HOME="$KH" PATH="$PHANTOM_SOURCE_DIR/tests/unit/fakes:$BASE_PATH" PHANTOM_FAKE_SECRET_TOOL_DIR="$T/keychain" "$@"; }
run_capture r kc phantom init --yes --host vps.example.com --socks-user carol --password-stdin --host-key "$HOSTKEY" <<<"kc-secret"
assert_eq 0 "$r_rc" "init with a keychain ($r_err)"
assert_contains "$r_out" "Secret Service" "says the keychain holds it"
assert_eq "kc-secret" "$(cat "$T/keychain/stdin")" "password handed over on stdin"
assert_not_contains "$(cat "$T/keychain/argv")" "kc-secret" "password in secret-tool argv"
assert_not_contains "$(cat "$KH/.phantom/config")" "password" "password kept out of the config"
# A re-run finds it in the keychain and does not ask for it again.
printf 'kc-secret' >"$T/keychain/lookup"
run_capture r kc phantom init --yes --port 2201
assert_eq 0 "$r_rc" "re-run with the password in the keychain ($r_err)"

step "fail closed: no tunnel and auto_connect off is a clear 69"
sed -i 's/^auto_connect = true/auto_connect = false/' "$H/.phantom/config"
run_capture r ph phantom sh -c 'echo ran'
assert_eq 69 "$r_rc" "no tunnel, auto_connect off"
assert_not_contains "$r_out" "ran" "command ran without a tunnel"
assert_contains "$r_err" "phantom connect" "fix names phantom connect"
sed -i 's/^auto_connect = false/auto_connect = true/' "$H/.phantom/config"

step "a stand-in for a connected daemon (lock, state.json, token)"
# This test is about the session (environment, shadow home, exec); the tunnel and the bridge
# have their own tests.
. "$(dirname "$0")/stand_in_daemon.sh"
TOKEN=StandInToken0123456789ab
stand_in_daemon "$H" 45678 "$TOKEN"
on_exit "kill $STAND_IN_PID"

step "local environment of the real home"
printf '[user]\n\tname = Test Person\n\temail = t@example.com\n' >"$H/.gitconfig"
printf 'registry=http://registry.example.invalid/\n' >"$H/.npmrc"
mkdir -p "$H/.ssh" && chmod 700 "$H/.ssh"
printf 'Host testhost\n  User configured-user\n  Port 2345\n' >"$H/.ssh/config"
printf '{"real": true}\n' >"$H/.claude.json"
mkdir -p "$H/.claude" && echo real >"$H/.claude/settings.json"
for i in $(seq 1 20); do touch "$H/file$i"; done
REAL_SUM=$(sha256sum "$H/.claude.json" "$H/.claude/settings.json")

step "phantom run -- sh -c: the child's view"
run_capture r ph phantom run -- sh -c 'echo "HOME=$HOME"; env'
assert_eq 0 "$r_rc" "phantom run exit ($r_err)"
SHADOW="$H/.phantom_env"
assert_contains "$r_out" "HOME=$SHADOW" "HOME is the shadow home"
for v in HTTP_PROXY HTTPS_PROXY http_proxy https_proxy; do
  assert_contains "$r_out" "$v=http://phantom:$TOKEN@127.0.0.1:45678" "$v"
done
for v in ALL_PROXY all_proxy; do
  assert_contains "$r_out" "$v=socks5h://phantom:$TOKEN@127.0.0.1:45678" "$v"
done
assert_contains "$r_out" "NODE_USE_ENV_PROXY=1" "Node told to honour the proxy variables"
assert_contains "$r_out" "NO_PROXY=localhost,127.0.0.1,::1" "NO_PROXY"
assert_contains "$r_out" "PHANTOM_ACTIVE=1" "marker"
assert_contains "$r_out" "KEEP_ME=kept" "other variables kept"
assert_not_contains "$r_out" "p@ss" "member password leaked into the child"
assert_eq 700 "$(stat -c %a "$SHADOW")" "shadow home mode"
[ -L "$SHADOW/.gitconfig" ] || fail ".gitconfig not mirrored"
[ ! -e "$SHADOW/.claude.json" ] || fail ".claude.json must not be mirrored"
[ ! -L "$SHADOW/.claude" ] || fail ".claude must not be a link"

step "git, npm and ssh answer the same inside and outside"
out_git=$(ph git config --get user.name)
in_git=$(ph phantom git config --get user.name)
assert_eq "Test Person" "$in_git" "git user.name inside"
assert_eq "$out_git" "$in_git" "git inside vs outside"
out_npm=$(cd "$T" && ph npm config get registry)
in_npm=$(cd "$T" && ph phantom npm config get registry)
assert_eq "http://registry.example.invalid/" "$in_npm" "npm registry inside"
assert_eq "$out_npm" "$in_npm" "npm inside vs outside"
# ssh reads ~/.ssh through the passwd entry, so name the file through $HOME explicitly:
# inside phantom $HOME is the shadow home, whose .ssh is the real one.
out_ssh=$(ph sh -c 'ssh -F "$HOME/.ssh/config" -G testhost 2>/dev/null' | grep -E '^(user|port) ')
in_ssh=$(ph phantom sh -c 'ssh -F "$HOME/.ssh/config" -G testhost 2>/dev/null' | grep -E '^(user|port) ')
assert_contains "$in_ssh" "user configured-user" "ssh config inside"
assert_eq "$out_ssh" "$in_ssh" "ssh -G inside vs outside"

step "the real ~/.claude* is untouched while the shadow one is written"
ph phantom sh -c 'echo "{\"shadow\": 1}" > "$HOME/.claude.json"; mkdir -p "$HOME/.claude"; echo s > "$HOME/.claude/x"'
assert_eq "$REAL_SUM" "$(sha256sum "$H/.claude.json" "$H/.claude/settings.json")" "real .claude files"
[ ! -e "$H/.claude/x" ] || fail "write went into the real ~/.claude"
assert_eq '{"shadow": 1}' "$(cat "$SHADOW/.claude.json")" "shadow .claude.json"

step "new entries of the real home are mirrored, removed ones unlinked"
touch "$H/newfile"
rm "$H/file1"
ph phantom true
[ -L "$SHADOW/newfile" ] || fail "new entry not mirrored"
[ ! -L "$SHADOW/file1" ] || fail "removed entry still linked"

step "exit codes, signals, not found"
run_capture r ph phantom sh -c 'exit 42'
assert_eq 42 "$r_rc" "child exit code"
run_capture r ph phantom sh -c 'kill -TERM $$'
assert_eq 143 "$r_rc" "child killed by SIGTERM"
run_capture r ph phantom no-such-command-xyz --flag
assert_eq 127 "$r_rc" "command not found"
assert_contains "$r_err" "no-such-command-xyz: command not found" "not found message"
run_capture r ph phantom "$T"
assert_eq 126 "$r_rc" "a directory is not executable"
run_capture r ph phantom run --
assert_eq 64 "$r_rc" "run without a command"
run_capture r ph phantom --bogus
assert_eq 64 "$r_rc" "unknown option"

step "phantom inside phantom does not nest"
nested=$(ph phantom phantom run -- sh -c 'echo "$HOME"')
assert_eq "$SHADOW" "$nested" "nested HOME"

step "phantom env prints the same environment"
exported=$(ph sh -c 'eval "$(phantom env --shell sh)"; echo "$HOME|$HTTPS_PROXY|$PHANTOM_ACTIVE"')
assert_eq "$SHADOW|http://phantom:$TOKEN@127.0.0.1:45678|1" "$exported" "eval phantom env"
fish_lines=$(ph phantom env --shell fish)
assert_contains "$fish_lines" "set -gx HOME '$SHADOW';" "fish syntax"
run_capture r ph phantom env --shell tcsh
assert_eq 64 "$r_rc" "unknown shell"

step "phantom shell starts \$SHELL inside the session"
shell_home=$(printf 'echo "$HOME:$PHANTOM_ACTIVE"\n' | ph phantom shell)
assert_eq "$SHADOW:1" "$shell_home" "phantom shell environment"

step "config errors name file, line and column"
cp "$H/.phantom/config" "$T/config.good"
printf '[server]\nhost=1.2.3.4\n' >"$H/.phantom/config"
run_capture r ph phantom true
assert_eq 78 "$r_rc" "bad config exit code"
assert_contains "$r_err" "$H/.phantom/config:2:" "error position"
assert_contains "$r_err" 'host = "1.2.3.4"' "quoted form shown"
cp "$T/config.good" "$H/.phantom/config"
chmod 644 "$H/.phantom/config"
run_capture r ph phantom true
assert_eq 78 "$r_rc" "open config permissions"
assert_contains "$r_err" "chmod 600" "chmod hint"
chmod 600 "$H/.phantom/config"

step "PHANTOM_CONFIG points elsewhere"
cp "$H/.phantom/config" "$T/other.toml"
sed -i 's|^home = .*|home = "~/.other_env"|' "$T/other.toml"
alt=$(ph env PHANTOM_CONFIG="$T/other.toml" phantom sh -c 'echo "$HOME"')
assert_eq "$H/.other_env" "$alt" "PHANTOM_CONFIG honoured"

step "unsafe shadow home is refused"
rm -rf "$H/.other_env"
ln -s "$H" "$H/.other_env"
run_capture r ph env PHANTOM_CONFIG="$T/other.toml" phantom true
assert_eq 78 "$r_rc" "symlinked shadow home"
assert_contains "$r_err" ".other_env" "refusal names the path"
rm "$H/.other_env"

step "nothing else was written in the real home"
extra=$(cd "$H" && ls -A | grep -vxE '\.phantom|\.phantom_env|\.ssh|\.gitconfig|\.npmrc|\.claude|\.claude\.json|file[0-9]+|newfile|\.npm' || true)
assert_eq "" "$extra" "unexpected files in the real home"

echo "$TEST_NAME: all checks passed"
