#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/demo.sh (the second quick-start command) keeps working: with the binaries under
# test, in network namespaces (as root, where they can be made) and on loopback (any user);
# each run prints the egress address the API saw and leaves nothing running.
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"
require_tool ssh ssh-keygen /usr/sbin/sshd curl python3 openssl
: "${PHANTOM_ADMIN_BIN:?PHANTOM_ADMIN_BIN must point at phantom-admin (CTest sets it)}"
demo() { env PHANTOM_BIN="$PHANTOM_BIN" PHANTOM_ADMIN_BIN="$PHANTOM_ADMIN_BIN" "$@" bash "$PHANTOM_SOURCE_DIR/scripts/demo.sh"; }
# What a demo starts runs from its own temporary tree (/tmp/phantom-demo-XXXXXX), or in
# namespaces from /run/phantom-test-ID, in its command line or (the phantom daemon, whose
# argv is only `phantom connect …`) in its HOME: nothing with either may remain.
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" != $$ ] || continue
    if tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -qE "phantom-demo-|/run/phantom-test-${1:-none}" ||
      tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -q "^HOME=.*phantom-demo-"; then
      echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
    fi
  done
}
if can_make_netns; then
  step "namespaces: the API sees the vps address"
  run_capture r demo
  assert_eq 0 "$r_rc" "demo ($r_err)"
  echo "$r_out"
  assert_contains "$r_out" "the API saw the request from 10.231." "egress line"
  assert_contains "$r_out" "(the vps's address; the laptop is 10.231." "the laptop's address for comparison"
  assert_contains "$r_out" "fails as it should" "plain curl without phantom"
  id=$(sed -n 's|.*data in /run/phantom-test-\([0-9a-f]*\).*|\1|p' <<<"$r_out")
  [ -n "$id" ] || fail "the demo did not say where its data was"
  assert_eq "" "$(ip netns list | grep "^ph$id-" || true)" "the demo's namespaces after it ended"
  [ ! -e "/run/phantom-test-$id" ] || fail "/run/phantom-test-$id left behind"
  assert_eq "" "$(leftovers "$id")" "processes left by the namespaced demo"
elif [ "${PHANTOM_REQUIRE_E2E:-0}" = 1 ]; then
  fail "network namespaces cannot be made here, so the namespaced demo cannot run (PHANTOM_REQUIRE_E2E=1)"
else
  echo "$TEST_NAME: namespaced demo not run: not root, or network namespaces cannot be made here"
fi

step "loopback: the same through your own sshd in direct mode, with a note"
run_capture r demo PHANTOM_DEMO_LOOPBACK=1
assert_eq 0 "$r_rc" "loopback demo ($r_err)"
echo "$r_out"
assert_contains "$r_out" "note: PHANTOM_DEMO_LOOPBACK=1, so the demo runs on loopback" "the note"
assert_contains "$r_out" "the API saw the request from 127.0.0.1, forwarded by your sshd" "egress line"
assert_eq "" "$(leftovers)" "processes left by the loopback demo"
echo "$TEST_NAME: all checks passed"
