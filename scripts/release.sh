#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Makes a release: the source tarball of HEAD (git archive) and the Homebrew formula with its
# URL and sha256 filled in, both in OUT (default build-release/dist).
#   scripts/release.sh --url-base URL --homepage URL [--out DIR]
# URL is where the tarball will be published (the formula's url is URL/phantom-VERSION.tar.gz),
# e.g. https://github.com/OWNER/phantom/releases/download/v0.1.0.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
url_base="" homepage="" out=build-release/dist
value() { # OPTION VALUE: VALUE, or a usage error when it is missing
  [ -n "${2:-}" ] || { echo "release.sh: $1 needs a value" >&2; exit 64; }
  printf '%s' "$2"
}
while [ $# -gt 0 ]; do
  case "$1" in
  --url-base) url_base=$(value "$1" "${2:-}"); shift ;;
  --homepage) homepage=$(value "$1" "${2:-}"); shift ;;
  --out) out=$(value "$1" "${2:-}"); shift ;;
  -h | --help) sed -n '3,7p' "$source_dir/scripts/release.sh" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "release.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
[ -n "$url_base" ] || { echo "release.sh: --url-base URL is required (where the tarball will be published)" >&2; exit 64; }
[ -n "$homepage" ] || { echo "release.sh: --homepage URL is required (the project's page, for brew info)" >&2; exit 64; }
# Both go into sed and into Ruby strings: plain URLs only, checked before anything is written.
for url in "$url_base" "$homepage"; do
  case "$url" in
  http://* | https://*) ;;
  *) echo "release.sh: $url is not an http(s) URL" >&2; exit 64 ;;
  esac
  if [ "$(printf '%s' "$url" | tr -d '|&\\"#$ \n\t')" != "$url" ]; then
    echo "release.sh: unsupported character in $url (| & \\ \" # \$ or blanks)" >&2
    exit 64
  fi
done
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
cd "$source_dir"
version=$(sed -n 's/^project(phantom VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "release.sh: no version in CMakeLists.txt's project()" >&2; exit 70; }
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "release.sh: note: uncommitted changes are not in the tarball (it is made from HEAD)" >&2
fi
mkdir -p "$out"
tarball="$out/phantom-$version.tar.gz"
git archive --format=tar.gz --prefix="phantom-$version/" -o "$tarball" HEAD
sha=$(sha256sum "$tarball" | cut -d' ' -f1)
# | as the sed delimiter: URLs hold slashes (| was refused above).
sed -e "s|@URL@|$url_base/phantom-$version.tar.gz|" -e "s|@SHA256@|$sha|" -e "s|@HOMEPAGE@|$homepage|" \
  packaging/homebrew/phantom.rb >"$out/phantom.rb"
if command -v ruby >/dev/null 2>&1; then
  ruby -c "$out/phantom.rb" >/dev/null
fi
echo "tarball: $tarball"
echo "sha256:  $sha"
echo "formula: $out/phantom.rb (copy it to your tap's Formula/)"
