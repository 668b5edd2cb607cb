#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmarks, measured side by side in one run (design §6). Prints tables and writes JSON.
#   scripts/bench.sh [--runs N] [--out FILE] [--only wrapper|tunnel|bridge|doctor]
#   scripts/bench.sh --team N [--duration S] [--spread S] [--out FILE]
# wrapper: `phantom run -- true` against `/bin/true` and a bash version of the same steps, in
#          a fake HOME with 100 entries (target: phantom adds < 1 ms).
# tunnel:  dead-link detection and recovery after the link returns (scripts/bench_tunnel.sh;
#          needs root and network namespaces, target: < 10 s).
# bridge:  throughput of a 1 GiB HTTPS download and time to first byte through the bridge
#          against a plain `ssh -D`, a direct download and dante mode (scripts/bench_bridge.sh;
#          needs root and network namespaces, targets: < 5 % and < 0.2 ms per connection).
# doctor:  wall time of `phantom doctor` healthy, with the server silent and with SSH stalled
#          (scripts/bench_doctor.sh; root and namespaces; target: < 5 s).
# --team:  N members running agentic sessions for S seconds (default 300, starts spread over
#          60 s) against the server's default limits (scripts/bench_team.sh; root and
#          namespaces; target: 0 failures at N = 15). Runs on its own, ~S + 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=500
out=build-release/bench.json
only=""
team=""
duration=300
spread=60
while [ $# -gt 0 ]; do
  case "$1" in
  --runs) runs=$2; shift ;;
  --out) out=$2; shift ;;
  --only) only=$2; shift ;;
  --team) team=$2; shift ;;
  --duration) duration=$2; shift ;;
  --spread) spread=$2; shift ;;
  -h | --help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench.sh: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
case "$only" in
'' | wrapper | tunnel | bridge | doctor) ;;
*) echo "bench.sh: --only takes wrapper, tunnel, bridge or doctor, not $only" >&2; exit 64 ;;
esac

if [ -n "$team" ]; then
  case "$team" in '' | *[!0-9]*) team=x ;; esac
  [ "$team" != x ] && [ "$((10#$team))" -gt 0 ] || { echo "bench.sh: --team takes a number of members (1 or more)" >&2; exit 64; }
  bash scripts/setup.sh
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPHANTOM_BUILD_TESTS=OFF >/dev/null
  cmake --build build-release --target phantom phantom-admin >/dev/null
  [ "$out" != build-release/bench.json ] || out=build-release/bench-team-$team.json
  PHANTOM_BIN=$PWD/build-release/src/phantom PHANTOM_ADMIN_BIN=$PWD/build-release/src/phantom-admin \
    exec bash scripts/bench_team.sh "$out" "$team" "$duration" "$spread"
fi

bash scripts/setup.sh
command -v hyperfine >/dev/null || { echo "bench.sh: hyperfine is required (scripts/setup.sh installs it)" >&2; exit 69; }

# Benchmarks measure the build users get: Release, no tests.
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPHANTOM_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target phantom >/dev/null
phantom=$PWD/build-release/src/phantom

work=$(mktemp -d "${TMPDIR:-/tmp}/phantom-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
echo '{}' >"$work/wrapper.json"
echo '{}' >"$work/tunnel.json"
echo '{}' >"$work/bridge.json"
echo '{}' >"$work/doctor.json"

if [ -z "$only" ] || [ "$only" = wrapper ]; then
home=$work/home
mkdir -m 0700 "$home"
# A realistic home: 100 entries, dotfiles and directories, plus the isolated ones.
for i in $(seq 1 60); do echo "$i" >"$home/file$i"; done
for i in $(seq 1 36); do mkdir "$home/.dir$i"; done
touch "$home/.gitconfig" "$home/.npmrc" "$home/.claude.json"
mkdir "$home/.claude"
HOME=$home "$phantom" init --yes --host vps.example.com --socks-user bench --password-stdin <<<"bench-password" >/dev/null
entries=$(ls -A "$home" | wc -l)
# Connected state: what `phantom CMD` reads before it execs (the daemon's lock, state.json
# and token) is published by a stand-in; the tunnel's and the bridge's own costs are measured
# in their sections.
. tests/integration/stand_in_daemon.sh
stand_in_daemon "$home" 45678 StandInToken0123456789ab
lock_pid=$STAND_IN_PID
trap 'kill "$lock_pid" 2>/dev/null; rm -rf "$work"' EXIT

# The same steps in bash, for scale: read the config, mirror the home, export, exec.
cat >"$work/wrapper.sh" <<'SH'
#!/usr/bin/env bash
set -eu
run="$HOME/.phantom/run"
state=$(<"$run/state.json")
port=${state#*\"bridge_port\": }
port=${port%%[!0-9]*}
read -r token <"$run/token"
shadow="$HOME/.phantom_env"
mkdir -p -m 0700 "$shadow"
for entry in "$HOME"/.[!.]* "$HOME"/*; do
  name=${entry##*/}
  case "$name" in .claude | .claude.json | .phantom_env) continue ;; esac
  # -ef is a builtin test (same device and inode): no readlink process per entry.
  [ -L "$shadow/$name" ] && [ "$shadow/$name" -ef "$entry" ] || ln -sfn "$entry" "$shadow/$name"
done
export HTTP_PROXY=http://phantom:$token@127.0.0.1:$port HTTPS_PROXY=http://phantom:$token@127.0.0.1:$port
export ALL_PROXY=socks5h://phantom:$token@127.0.0.1:$port NODE_USE_ENV_PROXY=1
export http_proxy=$HTTP_PROXY https_proxy=$HTTP_PROXY all_proxy=$ALL_PROXY
export NO_PROXY=localhost,127.0.0.1,::1 no_proxy=localhost,127.0.0.1,::1 HOME=$shadow PHANTOM_ACTIVE=1
exec "$@"
SH
chmod +x "$work/wrapper.sh"

# true and phantom alternate in one hyperfine run; the bash version is ~100x slower and only
# there for scale, so it gets fewer runs.
# Steady state: the first run creates ~/.phantom_env (which changes the home), and a home
# changed less than 2 s ago is always fully re-mirrored; a user's home is older than that.
HOME=$home "$phantom" run -- /bin/true
sleep 2.5
HOME=$home "$phantom" run -- /bin/true

# The floor: any wrapper must exec the command, so a C program that does nothing else shows
# what one more exec costs on this machine (on a VM, glibc start-up alone is ~0.5 ms).
printf '#include <unistd.h>\nint main(int c, char** v) { (void)c; execv(v[1], v + 1); return 127; }\n' >"$work/floor.c"
cc -O2 -o "$work/floor" "$work/floor.c"
HOME=$home hyperfine -N --warmup 50 --runs "$runs" --export-json "$work/hf.json" \
  -n true '/bin/true' \
  -n floor "$work/floor /bin/true" \
  -n phantom "$phantom run -- /bin/true" >/dev/null
HOME=$home hyperfine -N --warmup 3 --runs 30 --export-json "$work/hf-bash.json" \
  -n bash-wrapper "$work/wrapper.sh /bin/true" >/dev/null
python3 - "$work/hf.json" "$work/hf-bash.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a["results"] += b["results"]
json.dump(a, open(sys.argv[1], "w"))
PY

python3 - "$work/hf.json" "$work/wrapper.json" "$entries" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
by = {r["command"]: r for r in data["results"]}
def ms(name, key="median"):
    return by[name][key] * 1000
base, ph, sh, floor = ms("true"), ms("phantom"), ms("bash-wrapper"), ms("floor")
added = ph - base
result = {
    "home_entries": int(sys.argv[3]),
    "true_median_ms": round(base, 3),
    "phantom_median_ms": round(ph, 3),
    "bash_wrapper_median_ms": round(sh, 3),
    "phantom_added_ms": round(added, 3),
    "exec_floor_added_ms": round(floor - base, 3),
    "phantom_own_ms": round(ph - floor, 3),
    "bash_added_ms": round(sh - base, 3),
    "phantom_vs_bash_speedup": round((sh - base) / added, 1) if added > 0 else None,
    "target_added_ms": 1.0,
    "meets_target": added < 1.0,
}
json.dump(result, open(sys.argv[2], "w"), indent=2)
print(f"wrapper overhead ({result['home_entries']}-entry home, medians of hyperfine runs)")
print(f"  {'command':<28}{'median ms':>10}{'added ms':>10}")
print(f"  {'/bin/true':<28}{base:>10.3f}{'':>10}")
print(f"  {'C exec-only wrapper (floor)':<28}{floor:>10.3f}{floor - base:>10.3f}")
print(f"  {'phantom run -- /bin/true':<28}{ph:>10.3f}{added:>10.3f}")
print(f"  {'bash wrapper, same steps':<28}{sh:>10.3f}{sh - base:>10.3f}")
print(f"  phantom adds {added:.3f} ms (target < 1 ms: {'met' if added < 1.0 else 'NOT met'}), "
      f"of which {floor - base:.3f} ms is the exec floor and {ph - floor:.3f} ms phantom's own work; "
      f"{result['phantom_vs_bash_speedup']}x less than the bash version")
PY
fi

can_netns() { [ "$(id -u)" -eq 0 ] && ip netns list >/dev/null 2>&1; }
if [ -z "$only" ] || [ "$only" = tunnel ]; then
  if can_netns; then
    PHANTOM_BIN=$phantom bash scripts/bench_tunnel.sh "$work/tunnel.json" 5 8
  else
    echo "tunnel recovery: not measured (needs root and ip netns)"
  fi
fi

if [ -z "$only" ] || [ "$only" = bridge ]; then
  if can_netns; then
    PHANTOM_BIN=$phantom bash scripts/bench_bridge.sh "$work/bridge.json" 3 100
  else
    echo "bridge overhead: not measured (needs root and ip netns)"
  fi
fi

if [ -z "$only" ] || [ "$only" = doctor ]; then
  if can_netns; then
    PHANTOM_BIN=$phantom bash scripts/bench_doctor.sh "$work/doctor.json" 10
  else
    echo "doctor: not measured (needs root and ip netns)"
  fi
fi

python3 - "$work/wrapper.json" "$work/tunnel.json" "$work/bridge.json" "$work/doctor.json" "$out" <<'PY'
import json, sys
json.dump({"wrapper": json.load(open(sys.argv[1])), "tunnel": json.load(open(sys.argv[2])),
           "bridge": json.load(open(sys.argv[3])), "doctor": json.load(open(sys.argv[4]))},
          open(sys.argv[5], "w"), indent=2)
print(f"JSON: {sys.argv[4]}")
PY
