#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `phantom connect --install-service` / `--uninstall-service` on Linux (issue 8): the systemd
# user unit it writes passes `systemd-analyze verify`, names this phantom, and goes away again;
# a service manager that refuses leaves nothing behind. This machine runs no user systemd
# manager, so `systemctl` is a stand-in on PATH that records its arguments (and refuses when
# told to): a mock of what cannot run here, not of phantom.
. "$(dirname "$0")/lib.sh"
require_tool ssh-keygen

H=$(new_home home)
BIN_DIR="$T/bin"
mkdir -p "$BIN_DIR"
cat >"$BIN_DIR/systemctl" <<EOF
#!/bin/sh
# stand-in for systemctl --user (no user manager runs here)
echo "\$*" >>"$T/systemctl.log"
if [ -e "$T/refuse" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
EOF
chmod +x "$BIN_DIR/systemctl"
ph() { env -i HOME="$H" PATH="$BIN_DIR:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 "$PHANTOM_BIN" "$@"; }
UNIT="$H/.config/systemd/user/phantom.service"

step "without a config there is nothing to start: refused with the fix, nothing written"
run_capture r ph connect --install-service
assert_eq 78 "$r_rc" "exit code"
assert_contains "$r_err" "phantom init" "the fix"
[ ! -e "$H/.config" ] || fail "a refused install wrote under ~/.config"

printf 'pw' | ph init --yes --host vps.example.com --socks-user alice --password-stdin \
  --host-key "$(test_host_key)" >/dev/null || fail "init failed"

step "install: the unit runs this phantom's connect --foreground, enabled and started"
run_capture r ph connect --install-service
assert_eq 0 "$r_rc" "exit code ($r_err)"
assert_contains "$r_out" "installed $UNIT" "what it installed"
assert_eq "--user daemon-reload
--user enable --now phantom.service" "$(cat "$T/systemctl.log")" "systemctl calls"
assert_contains "$(cat "$UNIT")" "ExecStart=\"$PHANTOM_BIN\" connect --foreground" "ExecStart"
assert_eq 644 "$(stat -c %a "$UNIT")" "unit mode"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Documentation=man:phantom(1) is looked up with man(1): the page as the build renders it.
  man_dir="$T/man/man1"
  mkdir -p "$man_dir"
  if command -v scdoc >/dev/null 2>&1 && [ -f "$PHANTOM_SOURCE_DIR/docs/man/phantom.1.scd" ]; then
    scdoc <"$PHANTOM_SOURCE_DIR/docs/man/phantom.1.scd" >"$man_dir/phantom.1"
  fi
  run_capture v env MANPATH="$T/man:" systemd-analyze verify "$UNIT"
  if [ ! -s "$man_dir/phantom.1" ]; then # no page to find: only that may be reported
    v_err=$(grep -v "man phantom(1)" <<<"$v_err" || true)
    v_rc=0
  fi
  assert_eq 0 "$v_rc" "systemd-analyze verify exit code ($v_err)"
  assert_eq "" "$v_err$v_out" "systemd-analyze verify findings"
else
  echo "    (systemd-analyze not installed: the unit's syntax is not verified)"
fi

step "install again: the same unit, no duplicate"
before=$(cat "$UNIT")
run_capture r ph connect --install-service
assert_eq 0 "$r_rc" "second install ($r_err)"
assert_eq "$before" "$(cat "$UNIT")" "unit unchanged"
assert_eq 1 "$(find "$H/.config/systemd/user" -type f | wc -l)" "files in the unit directory"

step "uninstall: stopped, disabled, removed; again is a no-op"
: >"$T/systemctl.log"
run_capture r ph connect --uninstall-service
assert_eq 0 "$r_rc" "exit code ($r_err)"
[ ! -e "$UNIT" ] || fail "the unit is still there"
assert_eq "--user disable --now phantom.service
--user daemon-reload" "$(cat "$T/systemctl.log")" "systemctl calls"
run_capture r ph connect --uninstall-service
assert_eq 0 "$r_rc" "second uninstall"
assert_contains "$r_out" "no service installed" "says there is none"

step "a service manager that refuses: exit 69 with its words, nothing left behind"
touch "$T/refuse"
run_capture r ph connect --install-service
assert_eq 69 "$r_rc" "exit code"
assert_contains "$r_err" "Failed to connect to bus" "systemctl's words"
assert_contains "$r_err" "loginctl enable-linger" "the fix"
[ ! -e "$UNIT" ] || fail "a refused install left the unit"

step "PHANTOM_CONFIG reaches the service; bad combinations are refused"
rm -f "$T/refuse"
mv "$H/.phantom/config" "$T/elsewhere.toml"
run_capture r env -i HOME="$H" PATH="$BIN_DIR:/usr/bin:/bin" PHANTOM_CONFIG="$T/elsewhere.toml" \
  "$PHANTOM_BIN" connect --install-service
assert_eq 0 "$r_rc" "install with PHANTOM_CONFIG ($r_err)"
assert_contains "$(cat "$UNIT")" "Environment=\"PHANTOM_CONFIG=$T/elsewhere.toml\"" "config path in the unit"
run_capture r ph connect --install-service --uninstall-service
assert_eq 64 "$r_rc" "both at once"
run_capture r ph connect --install-service --foreground
assert_eq 64 "$r_rc" "with --foreground"

echo "$TEST_NAME: all checks passed"
