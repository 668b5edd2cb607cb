#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install every build and test dependency of phantom (apt on Debian/Ubuntu, brew on macOS).
# Idempotent: when nothing is missing it only checks and returns in well under a second.
set -euo pipefail

debian_packages=(
  # build
  build-essential cmake ninja-build pkg-config git clang clang-format
  libboost1.81-dev libboost-program-options1.81-dev libboost-filesystem1.81-dev
  libboost-json1.81-dev libboost-url1.81-dev
  libtomlplusplus-dev libfmt-dev catch2 libcrypt-dev
  # runtime tools phantom orchestrates, and the real daemons the tests start (design §5)
  openssh-client openssh-server autossh dante-server libpam-pwdfile iptables iproute2
  curl openssl procps hyperfine python3 python3-yaml bash-completion
  # packaging (issue 8): man pages, the shells whose completions are checked, the formula's
  # syntax check, the .deb's tools
  scdoc zsh fish ruby dpkg-dev
)

brew_packages=(cmake ninja pkgconf boost fmt tomlplusplus libxcrypt catch2 autossh hyperfine openssl node scdoc)

missing_debian() {
  local p
  for p in "${debian_packages[@]}"; do
    # dpkg-query is ~1 ms per package; `apt list` would be 100x slower.
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != "installed" ]; then
      printf '%s\n' "$p"
    fi
  done
}

case "$(uname -s)" in
Linux)
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "setup.sh: only Debian/Ubuntu (apt) and macOS (brew) are automated; install the packages listed in scripts/setup.sh by hand" >&2
    exit 69
  fi
  mapfile -t todo < <(missing_debian)
  # Node.js may come from another apt source (e.g. nodesource, whose nodejs conflicts with
  # Debian's npm): only ask for Debian's when no node/npm is on PATH at all.
  command -v node >/dev/null 2>&1 || todo+=(nodejs)
  command -v npm >/dev/null 2>&1 || todo+=(npm)
  if [ "${#todo[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || {
        echo "setup.sh: need root to install: ${todo[*]}" >&2
        exit 77
      }
      sudo="sudo"
    fi
    echo "setup.sh: installing ${todo[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # An old package list cannot find 1.81 boost; refresh once, quietly.
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${todo[@]}" >/dev/null
  fi
  ;;
Darwin)
  command -v brew >/dev/null 2>&1 || {
    echo "setup.sh: Homebrew is required on macOS: https://brew.sh" >&2
    exit 69
  }
  todo=()
  for p in "${brew_packages[@]}"; do
    brew list --versions "$p" >/dev/null 2>&1 || todo+=("$p")
  done
  if [ "${#todo[@]}" -gt 0 ]; then
    echo "setup.sh: brew install ${todo[*]}"
    brew install "${todo[@]}"
  fi
  ;;
*)
  echo "setup.sh: unsupported system $(uname -s)" >&2
  exit 69
  ;;
esac

# Node.js clients of the integration tests (tests/node): the versions package-lock.json pins,
# installed beside them (git-ignored), only when missing or when the lock file changed.
node_tests=$(cd "$(dirname "$0")/../tests/node" && pwd)
if [ ! -f "$node_tests/node_modules/.package-lock.json" ] ||
  [ "$node_tests/package-lock.json" -nt "$node_tests/node_modules/.package-lock.json" ]; then
  echo "setup.sh: npm ci in tests/node"
  (cd "$node_tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
