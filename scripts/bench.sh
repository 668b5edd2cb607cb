#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmarks, measured side by side in one run (design §6). Prints a table and writes JSON.
#   scripts/bench.sh [--runs N] [--out FILE]
# Wrapper overhead: `phantom run -- true` against `/bin/true` and against a bash version of
# the same steps, in a fake HOME with 100 entries. Target: phantom adds < 1 ms.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=500
out=build-release/bench.json
while [ $# -gt 0 ]; do
  case "$1" in
  --runs) runs=$2; shift ;;
  --out) out=$2; shift ;;
  -h | --help) sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench.sh: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done

bash scripts/setup.sh
command -v hyperfine >/dev/null || { echo "bench.sh: hyperfine is required (scripts/setup.sh installs it)" >&2; exit 69; }

# Benchmarks measure the build users get: Release, no tests.
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPHANTOM_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target phantom >/dev/null
phantom=$PWD/build-release/src/phantom

work=$(mktemp -d "${TMPDIR:-/tmp}/phantom-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
home=$work/home
mkdir -m 0700 "$home"
# A realistic home: 100 entries, dotfiles and directories, plus the isolated ones.
for i in $(seq 1 60); do echo "$i" >"$home/file$i"; done
for i in $(seq 1 36); do mkdir "$home/.dir$i"; done
touch "$home/.gitconfig" "$home/.npmrc" "$home/.claude.json"
mkdir "$home/.claude"
HOME=$home "$phantom" init --yes --host vps.example.com --socks-user bench --password-stdin <<<"bench-password" >/dev/null
entries=$(ls -A "$home" | wc -l)

# The same steps in bash, for scale: read the config, mirror the home, export, exec.
cat >"$work/wrapper.sh" <<'SH'
#!/usr/bin/env bash
set -eu
cfg="$HOME/.phantom/config"
port=$(sed -n 's/^local_port = \([0-9]*\).*/\1/p' "$cfg")
shadow="$HOME/.phantom_env"
mkdir -p -m 0700 "$shadow"
for entry in "$HOME"/.[!.]* "$HOME"/*; do
  name=${entry##*/}
  case "$name" in .claude | .claude.json | .phantom_env) continue ;; esac
  [ "$(readlink "$shadow/$name" 2>/dev/null)" = "$entry" ] || ln -sfn "$entry" "$shadow/$name"
done
export HTTP_PROXY=socks5h://127.0.0.1:$port HTTPS_PROXY=socks5h://127.0.0.1:$port ALL_PROXY=socks5h://127.0.0.1:$port
export http_proxy=$HTTP_PROXY https_proxy=$HTTP_PROXY all_proxy=$HTTP_PROXY
export NO_PROXY=localhost,127.0.0.1,::1 no_proxy=localhost,127.0.0.1,::1 HOME=$shadow PHANTOM_ACTIVE=1
exec "$@"
SH
chmod +x "$work/wrapper.sh"

mkdir -p "$(dirname "$out")"
HOME=$home hyperfine -N --warmup 50 --runs "$runs" --export-json "$work/hf.json" \
  -n true '/bin/true' \
  -n phantom "$phantom run -- /bin/true" \
  -n bash-wrapper "$work/wrapper.sh /bin/true" >/dev/null

python3 - "$work/hf.json" "$out" "$entries" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
by = {r["command"]: r for r in data["results"]}
def ms(name, key="median"):
    return by[name][key] * 1000
base, ph, sh = ms("true"), ms("phantom"), ms("bash-wrapper")
added = ph - base
result = {
    "home_entries": int(sys.argv[3]),
    "true_median_ms": round(base, 3),
    "phantom_median_ms": round(ph, 3),
    "bash_wrapper_median_ms": round(sh, 3),
    "phantom_added_ms": round(added, 3),
    "bash_added_ms": round(sh - base, 3),
    "phantom_vs_bash_speedup": round((sh - base) / added, 1) if added > 0 else None,
    "target_added_ms": 1.0,
    "meets_target": added < 1.0,
}
json.dump(result, open(sys.argv[2], "w"), indent=2)
print(f"wrapper overhead ({result['home_entries']}-entry home, medians of hyperfine runs)")
print(f"  {'command':<28}{'median ms':>10}{'added ms':>10}")
print(f"  {'/bin/true':<28}{base:>10.3f}{'':>10}")
print(f"  {'phantom run -- /bin/true':<28}{ph:>10.3f}{added:>10.3f}")
print(f"  {'bash wrapper, same steps':<28}{sh:>10.3f}{sh - base:>10.3f}")
print(f"  phantom adds {added:.3f} ms (target < 1 ms: {'met' if added < 1.0 else 'NOT met'}); "
      f"{result['phantom_vs_bash_speedup']}x less than the bash version")
print(f"  JSON: {sys.argv[2]}")
PY
