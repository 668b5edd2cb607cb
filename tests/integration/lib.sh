# SPDX-License-Identifier: MIT
# Shared fixtures for phantom's integration tests. Source it from a *_test.sh script:
#   . "$(dirname "$0")/lib.sh"
# It gives: a private temp tree ($T, kept on failure), assertions, skip handling, and a
# per-test HOME for the phantom binary ($PHANTOM_BIN, set by CTest).
set -euo pipefail

: "${PHANTOM_BIN:?PHANTOM_BIN must point at the phantom binary (CTest sets it)}"
PHANTOM_SOURCE_DIR=${PHANTOM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TEST_NAME=$(basename "$0" .sh)

# A 0700 tree outside of /tmp's sticky, world-writable top (sshd's StrictModes refuses keys
# below world-writable directories, design §7).
T=$(mktemp -d "${TMPDIR:-/tmp}/phantom-${TEST_NAME}-XXXXXX")
chmod 0700 "$T"
_phantom_cleanups=()
_phantom_failed=1

# Registers a command to run at exit (last registered runs first).
on_exit() { _phantom_cleanups+=("$*"); }

_phantom_exit() {
  local rc=$?
  local i
  for ((i = ${#_phantom_cleanups[@]} - 1; i >= 0; i--)); do
    eval "${_phantom_cleanups[$i]}" >/dev/null 2>&1 || true
  done
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
    echo "$TEST_NAME: FAILED (exit $rc); files kept in $T" >&2
  else
    rm -rf "$T"
  fi
  exit "$rc"
}
trap _phantom_exit EXIT

# skip REASON: exit 77 (CTest: skipped), or fail when CI requires every test to run.
skip() {
  if [ "${PHANTOM_REQUIRE_E2E:-0}" = "1" ]; then
    echo "$TEST_NAME: cannot run: $* (PHANTOM_REQUIRE_E2E=1 makes this a failure)" >&2
    exit 1
  fi
  echo "$TEST_NAME: SKIPPED: $*" >&2
  exit 77
}

fail() {
  echo "$TEST_NAME: FAIL: $*" >&2
  exit 1
}

step() { echo "--- $*"; }

assert_eq() { # expected actual what
  [ "$1" = "$2" ] || fail "$3: expected [$1], got [$2]"
}

assert_contains() { # haystack needle what
  case "$1" in
  *"$2"*) ;;
  *) fail "$3: [$2] not found in: $1" ;;
  esac
}

assert_not_contains() { # haystack needle what
  case "$1" in
  *"$2"*) fail "$3: [$2] must not appear in: $1" ;;
  *) ;;
  esac
}

# run_capture VAR_PREFIX CMD…: runs CMD, storing stdout, stderr and exit code in
# ${PREFIX}_out, ${PREFIX}_err, ${PREFIX}_rc without tripping `set -e`.
run_capture() {
  local prefix=$1
  shift
  local rc=0
  "$@" >"$T/.out" 2>"$T/.err" || rc=$?
  printf -v "${prefix}_out" '%s' "$(cat "$T/.out")"
  printf -v "${prefix}_err" '%s' "$(cat "$T/.err")"
  printf -v "${prefix}_rc" '%s' "$rc"
}

# can_make_netns: true when this process can really create and enter a network namespace
# (root alone is not enough: root in a container usually cannot).
can_make_netns() {
  local ns="phprobe-$$-$RANDOM" rc=0
  [ "$(id -u)" -eq 0 ] || return 1
  ip netns add "$ns" 2>/dev/null || return 1
  ip netns exec "$ns" true 2>/dev/null || rc=1
  ip netns del "$ns" 2>/dev/null || true
  return "$rc"
}

require_tool() { # name…
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (scripts/setup.sh installs it)"
  done
}

# new_home NAME: a fresh 0700 fake HOME under $T with the environment a real user has.
new_home() {
  local h="$T/$1"
  mkdir -p "$h"
  chmod 0700 "$h"
  printf '%s' "$h"
}

# A throwaway ed25519 host key, as "TYPE BASE64", for init tests that pin a key.
test_host_key() {
  if [ ! -f "$T/hostkey" ]; then
    ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" -C test >/dev/null
  fi
  cut -d' ' -f1,2 "$T/hostkey.pub"
}
