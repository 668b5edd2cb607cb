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
# The service is per user and refused as root: phantom runs as an unprivileged account here.
RUN_AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
chmod 0711 "$T"
chown -R nobody:nogroup "$H"
: >"$T/systemctl.log"
chmod 0666 "$T/systemctl.log"
# A copy nobody can run (the build tree may sit in a private directory, as CI's clone does).
install -m 0755 "$PHANTOM_BIN" "$BIN_DIR/phantom"
PHANTOM_BIN="$BIN_DIR/phantom"
ph() { "${RUN_AS[@]}" env -i HOME="$H" PATH="$BIN_DIR:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 "$PHANTOM_BIN" "$@"; }
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
--user enable phantom.service
--user restart phantom.service" "$(cat "$T/systemctl.log")" "systemctl calls"
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

step "install again: the same unit, no duplicate, restarted"
before=$(cat "$UNIT")
: >"$T/systemctl.log"
run_capture r ph connect --install-service
assert_eq 0 "$r_rc" "second install ($r_err)"
assert_eq "$before" "$(cat "$UNIT")" "unit unchanged"
assert_contains "$(cat "$T/systemctl.log")" "--user restart phantom.service" "a reinstall restarts it"
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
rm -rf "$H/.config" # a home where the install would create ~/.config/systemd/user
run_capture r ph connect --install-service
assert_eq 69 "$r_rc" "exit code"
assert_contains "$r_err" "Failed to connect to bus" "systemctl's words"
assert_contains "$r_err" "loginctl enable-linger" "the fix"
[ ! -e "$H/.config" ] || fail "a refused install left $(find "$H/.config")"
rm -f "$T/refuse"
ph connect --install-service >/dev/null || fail "install"
touch "$T/refuse"
sed -i 's/^RestartSec=.*/RestartSec=11/' "$UNIT" # an earlier unit, as the user left it
earlier=$(cat "$UNIT")
run_capture r ph connect --install-service
assert_eq 69 "$r_rc" "refused reinstall"
assert_eq "$earlier" "$(cat "$UNIT")" "the earlier unit is back"
rm -f "$T/refuse"
ph connect --uninstall-service >/dev/null || fail "uninstall"
run_capture r env -i HOME="$H" PATH="$BIN_DIR:/usr/bin:/bin" "$PHANTOM_BIN" connect --install-service
assert_eq 64 "$r_rc" "as root"
assert_contains "$r_err" "not as root" "why"

step "PHANTOM_CONFIG reaches the service; bad combinations are refused"
mv "$H/.phantom/config" "$H/elsewhere.toml"
run_capture r "${RUN_AS[@]}" env -i HOME="$H" PATH="$BIN_DIR:/usr/bin:/bin" PHANTOM_CONFIG="$H/elsewhere.toml" \
  "$PHANTOM_BIN" connect --install-service
assert_eq 0 "$r_rc" "install with PHANTOM_CONFIG ($r_err)"
assert_contains "$(cat "$UNIT")" "Environment=\"PHANTOM_CONFIG=$H/elsewhere.toml\"" "config path in the unit"
run_capture r ph connect --install-service --uninstall-service
assert_eq 64 "$r_rc" "both at once"
run_capture r ph connect --install-service --foreground
assert_eq 64 "$r_rc" "with --foreground"

echo "$TEST_NAME: all checks passed"
