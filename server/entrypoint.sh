#!/bin/sh
# SPDX-License-Identifier: MIT
# phantom server entrypoint: `entrypoint.sh dante` or `entrypoint.sh sshd`.
# Prepares the data directory with phantom-admin (first start: host key and server.toml;
# every start: render the daemons' files), then execs the daemon in the foreground. The same
# script runs on a bare Debian host: point PHANTOM_DATA_DIR, PHANTOM_TEMPLATE_DIR and the
# address variables (server/README.md) at the host's paths.
set -eu

service=${1:-}
admin=${PHANTOM_ADMIN:-phantom-admin}
data=${PHANTOM_DATA_DIR:-/data}
export PHANTOM_DATA_DIR="$data"

die() {
  echo "entrypoint: $*" >&2
  exit 69
}

command -v "$admin" >/dev/null 2>&1 || die "phantom-admin not found (PHANTOM_ADMIN=$admin)"

case "$service" in
dante)
  command -v danted >/dev/null 2>&1 || die "danted not found: install dante-server"
  "$admin" render
  # The team's egress rate, in this service's own network namespace (NET_ADMIN).
  if [ "${PHANTOM_RATELIMIT:-on}" != off ]; then
    "$admin" ratelimit apply
  fi
  exec danted -f "$data/dante/danted.conf" -p "$data/dante/danted.pid"
  ;;
sshd)
  [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd not found: install openssh-server"
  "$admin" render
  # sshd's privilege separation directory.
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
  exec /usr/sbin/sshd -D -e -f "$data/ssh/sshd_config"
  ;;
*)
  echo "usage: entrypoint.sh dante|sshd" >&2
  exit 64
  ;;
esac
