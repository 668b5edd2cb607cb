#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `phantom init` on a real terminal (a pty): prompts with defaults, re-prompts on bad input,
# reads the password without echo, offers the alias, and a re-run keeps every value.
. "$(dirname "$0")/lib.sh"
require_tool python3 ssh-keygen

H=$(new_home home)
HOSTKEY=$(test_host_key)

# drive.py SCRIPT: runs phantom init in a pty and answers each prompt (a regex) in order.
cat >"$T/drive.py" <<'PY'
import os, pty, re, sys, json, select, time

answers = json.loads(sys.argv[1])
env = dict(os.environ)
pid, fd = pty.fork()
if pid == 0:
    os.execve(env["PHANTOM_BIN"], ["phantom", "init"], env)
transcript = b""
deadline = time.time() + 20
def read_until(pattern):
    global transcript
    while not re.search(pattern.encode(), transcript):
        if time.time() > deadline:
            sys.exit("timeout waiting for %r; got:\n%s" % (pattern, transcript.decode(errors="replace")))
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                sys.exit("phantom exited early; got:\n%s" % transcript.decode(errors="replace"))
            transcript += chunk
for prompt, answer in answers:
    read_until(prompt)
    transcript += b"\n<<" + prompt.encode() + b">>\n"
    os.write(fd, answer.encode() + b"\r")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    transcript += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(transcript.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY

drive() { env -i HOME="$H" PATH=/usr/bin:/bin SHELL=/bin/bash TERM=dumb PHANTOM_BIN="$PHANTOM_BIN" python3 "$T/drive.py" "$1"; }

step "first run: prompts, re-prompts on bad input, no password echo"
answers=$(python3 -c 'import json,sys; print(json.dumps([
  ["Team server", "bad host!"],
  ["Team server", "vps.example.com"],
  ["SSH port \\[22\\]", "99999"],
  ["SSH port \\[22\\]", "2222"],
  ["Your member name", "Alice"],
  ["Your member name", "alice"],
  ["Mode \\(dante or direct\\) \\[dante\\]", ""],
  ["Server host key", "ssh-ed25519 notbase64!"],
  ["Server host key", sys.argv[1]],
  ["Member password: ", "typed-secret-42"],
  ["Add `alias claude=", "y"],
]))' "$HOSTKEY")
out=$(drive "$answers") || fail "interactive init failed: $out"
assert_contains "$out" "enter a port number from 1 to 65535" "port re-prompt"
assert_not_contains "$out" "typed-secret-42" "password echoed on the terminal"
CFG=$(cat "$H/.phantom/config")
assert_contains "$CFG" 'host = "vps.example.com"' "host"
assert_contains "$CFG" 'port = 2222' "port"
assert_contains "$CFG" 'socks_user = "alice"' "member"
assert_contains "$CFG" 'password = "typed-secret-42"' "password stored (no keychain here)"
assert_eq "[vps.example.com]:2222 $HOSTKEY" "$(cat "$H/.phantom/known_hosts")" "host key pinned"
assert_contains "$(cat "$H/.bashrc")" "alias claude='phantom claude'" "alias added on consent"

step "second run: every default is the current value, nothing changes"
before=$(sha256sum "$H/.phantom/config" "$H/.phantom/known_hosts" "$H/.bashrc")
answers='[["Team server .*\\[vps.example.com\\]", ""], ["SSH port \\[2222\\]", ""], ["Your member name \\[alice\\]", ""],
  ["Mode", ""], ["Server host key .*\\[ssh-ed25519", ""], ["Member password \\[keep current\\]", ""],
  ["Add `alias", "y"]]'
out=$(drive "$answers") || fail "second interactive init failed: $out"
assert_contains "$out" "The alias is already in" "alias not duplicated"
assert_eq "$before" "$(sha256sum "$H/.phantom/config" "$H/.phantom/known_hosts" "$H/.bashrc")" "files unchanged"
assert_eq 1 "$(grep -c "alias claude=" "$H/.bashrc")" "one alias line"

step "declining the alias writes no rc file"
H=$(new_home home2)
answers=$(python3 -c 'import json,sys; print(json.dumps([
  ["Team server", "10.1.2.3"], ["SSH port", ""], ["Your member name", "bob"], ["Mode", "direct"],
  ["Server host key", sys.argv[1]], ["Add `alias", "n"]]))' "$HOSTKEY")
out=$(drive "$answers") || fail "direct-mode init failed: $out"
[ ! -e "$H/.bashrc" ] || fail "declined alias still wrote ~/.bashrc"
assert_contains "$(cat "$H/.phantom/config")" 'mode = "direct"' "direct mode"
assert_not_contains "$(cat "$H/.phantom/config")" "password" "no password in direct mode"

echo "$TEST_NAME: all checks passed"
