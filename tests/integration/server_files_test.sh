#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Docker files of the server, checked statically (issue 5): no Docker engine runs here,
# so this test reads docker-compose.yml as YAML and the Dockerfile as text, and holds them to
# what entrypoint.sh and phantom-admin need at run time (those run for real in server_test).
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"
require_tool python3
python3 -c 'import yaml' 2>/dev/null || skip "python3 has no yaml module (python3-yaml; scripts/setup.sh installs it)"

step "docker-compose.yml, Dockerfile, .env.example and the entrypoint agree"
run_capture r python3 - "$PHANTOM_SOURCE_DIR" <<'PY'
import pathlib, re, sys, yaml

root = pathlib.Path(sys.argv[1])
server = root / "server"
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)

compose = yaml.safe_load((server / "docker-compose.yml").read_text())
services = compose.get("services", {})
need(set(services) == {"dante", "sshd"}, f"services are {sorted(services)}, not dante and sshd")
for name, svc in services.items():
    need(svc.get("command") == name, f"{name}: command is {svc.get('command')!r}")
    need("./data:/data" in svc.get("volumes", []), f"{name}: no ./data:/data volume")
    need(svc.get("restart") == "unless-stopped", f"{name}: restart is {svc.get('restart')!r}")
    opts = svc.get("logging", {}).get("options", {})
    need("max-size" in opts and "max-file" in opts, f"{name}: no log rotation options")
    test = svc.get("healthcheck", {}).get("test", [])
    need(test == ["CMD", "phantom-admin", "check", "--service", name], f"{name}: healthcheck is {test}")
    build = svc.get("build", {})
    need(build.get("dockerfile") == "server/Dockerfile" and build.get("context") == "..",
         f"{name}: does not build server/Dockerfile from the repository root")
    need(svc.get("env_file") == ".env", f"{name}: env_file is not .env")
dante, sshd = services.get("dante", {}), services.get("sshd", {})
need("ports" not in dante, "dante publishes a port: it must be reachable on the compose network only")
need("NET_ADMIN" in dante.get("cap_add", []), "dante lacks cap_add NET_ADMIN (iptables)")
need("cap_add" not in sshd, "sshd has extra capabilities")
ports = sshd.get("ports", [])
need(len(ports) == 1 and re.fullmatch(r"\$\{PHANTOM_SSH_PORT:-2222\}:\$\{PHANTOM_SSH_PORT:-2222\}", str(ports[0])),
     f"sshd publishes {ports}, not exactly the SSH port (default 2222)")

docker = (server / "Dockerfile").read_text()
stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", docker, re.M)
need(len(stages) >= 2, "the Dockerfile is not multi-stage")
need("--target phantom-admin" in docker, "the build stage does not build phantom-admin")
runtime = docker[docker.rfind("\nFROM "):]
installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", " ".join(re.findall(r"apt-get install[^&]*", runtime))))
# What entrypoint.sh and phantom-admin run inside the container, and the package giving it.
for tool, package in {"danted": "dante-server", "sshd": "openssh-server", "ssh-keygen": "openssh-client",
                      "iptables-restore": "iptables", "pam_pwdfile": "libpam-pwdfile", "tini": "tini"}.items():
    need(package in installed, f"the runtime stage does not install {package} (for {tool})")
entry = (server / "entrypoint.sh").read_text()
for tool in ("danted", "/usr/sbin/sshd", "phantom-admin"):
    need(tool in entry, f"entrypoint.sh does not run {tool}")
for src in re.findall(r"^COPY\s+(?!--from)(.+)\s+\S+$", docker, re.M):
    for path in src.split():
        need(path == "." or (root / path).exists(), f"the Dockerfile copies {path}, which does not exist")
need(not re.search(r"(?i)(password|secret|token)\s*=", docker), "the Dockerfile sets something secret-looking")
need("rm -f /etc/ssh/ssh_host_" in docker, "the image keeps Debian's generated host keys")
need(re.search(r"useradd[^\n]*\bphantom\b", docker) and re.search(r"useradd[^\n]*phantom-dante", docker),
     "the image does not create the tunnel and danted accounts")

env_keys = re.findall(r"^(PHANTOM_[A-Z_]+)=", (server / ".env.example").read_text(), re.M)
admin_src = (root / "src/admin/server_config.cpp").read_text()
for key in env_keys:
    need(f'"{key}"' in admin_src or key in entry or key in (server / "docker-compose.yml").read_text(),
         f".env.example sets {key}, which nothing reads")
need("PHANTOM_PUBLIC_HOST" in env_keys and "PHANTOM_SSH_PORT" in env_keys, ".env.example lacks the host or port")

print("\n".join(problems) if problems else "consistent")
PY
assert_eq 0 "$r_rc" "the checker ran ($r_err)"
assert_eq "consistent" "$r_out" "server files"

step "the entrypoint refuses an unknown service with a usage line"
run_capture r env PHANTOM_ADMIN=/bin/true sh "$PHANTOM_SOURCE_DIR/server/entrypoint.sh" frobnicate
assert_eq 64 "$r_rc" "entrypoint with an unknown service"
assert_contains "$r_err" "usage: entrypoint.sh dante|sshd" "its usage line"

echo "$TEST_NAME: all checks passed"
