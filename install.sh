#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds phantom from this source tree and installs it: ./install.sh && phantom init
#   ./install.sh [--prefix DIR] [--admin] [--no-deps] [--build-dir DIR] [--no-build]
#   ./install.sh --uninstall [--prefix DIR]
# --prefix   where to install (default /usr/local; sudo is used when it is not writable)
# --admin    also phantom-admin and the server's files (for the team server)
# --no-deps  do not install build dependencies with brew or apt
# --build-dir DIR  build there (default build-install); an existing build keeps its settings
# --no-build       install what DIR already holds
# Running it again updates in place. --uninstall removes exactly what it installed (the list
# is kept in PREFIX/share/phantom/install-manifest.txt); ~/.phantom is yours and stays.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")" && pwd)
prefix=/usr/local
admin=0 deps=1 uninstall=0 build=1 build_dir=$source_dir/build-install
usage() { sed -n '3,12p' "$source_dir/install.sh" | sed 's/^# \{0,1\}//'; }
value() { # OPTION VALUE: VALUE, or a usage error when it is missing
  [ -n "${2:-}" ] || { echo "install.sh: $1 needs a value" >&2; exit 64; }
  printf '%s' "$2"
}
while [ $# -gt 0 ]; do
  case "$1" in
  --prefix) prefix=$(value "$1" "${2:-}"); shift ;;
  --prefix=*) prefix=${1#--prefix=} ;;
  --admin) admin=1 ;;
  --no-deps) deps=0 ;;
  --no-build) build=0 ;;
  --build-dir) build_dir=$(value "$1" "${2:-}"); shift ;;
  --uninstall) uninstall=1 ;;
  -h | --help) usage; exit 0 ;;
  *) echo "install.sh: unknown argument $1" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
case "$build_dir" in /*) ;; *) build_dir=$PWD/$build_dir ;; esac
cd "$source_dir"
case "$prefix" in
/*) ;;
*) echo "install.sh: --prefix must be an absolute path, not $prefix" >&2; exit 64 ;;
esac
manifest="$prefix/share/phantom/install-manifest.txt"

# sudo only where the prefix is not ours to write (with the full path of the program:
# sudo's secure_path may not hold cmake).
as_owner() {
  local probe=$prefix
  while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
  if [ -w "$probe" ]; then "$@"; else sudo "$(command -v "$1")" "${@:2}"; fi
}

if [ "$uninstall" = 1 ]; then
  [ -f "$manifest" ] || { echo "install.sh: nothing to uninstall: $manifest does not exist" >&2; exit 1; }
  for unit in "${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/phantom.service" \
    "$HOME/Library/LaunchAgents/dev.phantom.connect.plist"; do
    if [ -e "$unit" ]; then # without phantom, nothing could remove it any more
      echo "install.sh: $unit still starts phantom at login; run \`phantom connect --uninstall-service\` first" >&2
      exit 1
    fi
  done
  while IFS= read -r file; do
    case "$file" in "$prefix"/*) ;; *) echo "install.sh: skipping $file (outside $prefix)" >&2; continue ;; esac
    if [ -e "$file" ] || [ -L "$file" ]; then
      as_owner rm -f "$file"
      echo "removed $file"
    fi
  done <"$manifest"
  as_owner rm -f "$manifest"
  # phantom's own directories; shared ones (share/man/man1, zsh/site-functions …) stay.
  for dir in "$prefix/share/phantom/pam.d" "$prefix/share/phantom" "$prefix/share/doc/phantom-admin"; do
    if [ -d "$dir" ] && [ -z "$(ls -A "$dir")" ]; then as_owner rmdir "$dir"; fi
  done
  echo "phantom uninstalled from $prefix (your ~/.phantom is left as it is)"
  exit 0
fi

if [ "$deps" = 1 ]; then
  if [ "$(uname -s)" = Darwin ]; then
    command -v brew >/dev/null 2>&1 || { echo "install.sh: Homebrew is needed: https://brew.sh" >&2; exit 69; }
    want=(cmake ninja pkgconf boost fmt tomlplusplus libxcrypt autossh scdoc)
    todo=()
    for p in "${want[@]}"; do brew list --versions "$p" >/dev/null 2>&1 || todo+=("$p"); done
    [ ${#todo[@]} -eq 0 ] || brew install "${todo[@]}"
  elif command -v apt-get >/dev/null 2>&1; then
    want=(build-essential cmake ninja-build pkg-config libboost1.81-dev libboost-program-options1.81-dev
      libboost-filesystem1.81-dev libboost-json1.81-dev libboost-url1.81-dev libtomlplusplus-dev libfmt-dev
      libcrypt-dev scdoc openssh-client autossh)
    todo=()
    for p in "${want[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || todo+=("$p")
    done
    if [ ${#todo[@]} -gt 0 ]; then
      sudo=""
      [ "$(id -u)" -eq 0 ] || sudo=sudo
      $sudo apt-get update -qq
      $sudo apt-get install -y -qq --no-install-recommends "${todo[@]}"
    fi
  else
    echo "install.sh: install the build dependencies by hand (see scripts/setup.sh), then run with --no-deps" >&2
    exit 69
  fi
fi

if [ "$build" = 1 ]; then
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPHANTOM_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$build_dir"
elif [ ! -f "$build_dir/CMakeCache.txt" ]; then
  echo "install.sh: --no-build, but $build_dir holds no build" >&2
  exit 64
fi

components=(client)
if [ "$admin" = 1 ]; then components+=(admin); fi
# What an earlier run installed stays listed (a client-only update keeps phantom-admin's
# files on the list), so --uninstall always removes everything.
list="$build_dir/install-manifest.txt"
cat "$manifest" >"$list" 2>/dev/null || : >"$list"
as_owner mkdir -p "$(dirname "$manifest")"
for c in "${components[@]}"; do
  as_owner cmake --install "$build_dir" --prefix "$prefix" --component "$c" >/dev/null
  # cmake writes this list into the build tree, as root under sudo: read it, then remove it.
  cat "$build_dir/install_manifest_$c.txt" >>"$list"
  echo >>"$list"
  as_owner rm -f "$build_dir/install_manifest_$c.txt"
  # After each component, so that a failure in the next leaves these on the list.
  sort -u "$list" | sed '/^$/d' >"$list.sorted" && mv "$list.sorted" "$list"
  as_owner cp "$list" "$manifest"
done
echo "installed into $prefix:"
sed 's/^/  /' "$manifest"
echo "  $manifest (for ./install.sh --uninstall)"
case ":$PATH:" in
*":$prefix/bin:"*) ;;
*) echo "note: $prefix/bin is not on your PATH" ;;
esac
echo "next: phantom init --invite -    (paste the invite from your admin)"
