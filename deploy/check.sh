#!/usr/bin/env bash
# `make deploy-check`: what deploy/ gives an operator holds up on this machine.
#  1. The systemd unit passes `systemd-analyze verify` (in a scratch root holding the binary and
#     the environment file where the unit names them; any warning fails) and its exposure score
#     is printed.
#  2. The container image builds (buildah, FROM scratch; installed with apt-get when missing), its
#     configuration runs `jobin serve` as a non-root user with a HEALTHCHECK, and its exported
#     filesystem runs: the binary starts from the exported tree (chroot, as the image's user, on
#     loopback), answers /health, and `jobin health` (the HEALTHCHECK) says so.
#  3. The compose file and the Prometheus files are well formed and name only JOBIN_* settings
#     .env.example documents. (Every metric the dashboard and alerts name is checked against a live
#     server's /metrics by the `deploy_files_name_only_exported_metrics` test.)
# Containers are not run here (this kind of machine cannot); the exported tree stands in.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/release/jobin"
# The release binary, as an operator builds it (a no-op when it is up to date).
cargo build --release --locked -q -p jobin-app --bin jobin

# 1. systemd
sysroot="$work/sysroot"
mkdir -p "$sysroot/usr/local/bin" "$sysroot/etc/systemd/system" "$sysroot/etc/jobin" "$sysroot/usr/lib/systemd"
cp "$bin" "$sysroot/usr/local/bin/jobin"
cp deploy/systemd/jobin.service "$sysroot/etc/systemd/system/"
cp deploy/systemd/jobin.env "$sysroot/etc/jobin/jobin.env"
cp -r /usr/lib/systemd/system "$sysroot/usr/lib/systemd/"
out="$(systemd-analyze verify --root="$sysroot" jobin.service 2>&1)"
if [ -n "$out" ]; then echo "deploy-check: systemd-analyze verify:"; echo "$out"; exit 1; fi
score="$(systemd-analyze security --offline=yes --root="$sysroot" "$sysroot/etc/systemd/system/jobin.service" 2>/dev/null | grep 'Overall exposure level' || true)"
echo "deploy-check: systemd unit verified; ${score:-exposure not reported}"

# 2. the image
if ! command -v buildah >/dev/null; then
  echo "deploy-check: installing Debian's buildah (apt-get)…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah >/dev/null
fi
image="localhost/jobin:deploy-check-$$"
BIN="$bin" IMAGE="$image" deploy/container/build.sh >/dev/null
trap 'buildah rmi -f "$image" >/dev/null 2>&1 || true; cleanup' EXIT
buildah inspect --type image "$image" >"$work/image.json"
python3 - "$work/image.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["Docker"]["config"]
problems = []
if c.get("User", "").split(":")[0] in ("", "0", "root"):
    problems.append(f"runs as root: {c.get('User')!r}")
if (c.get("Healthcheck") or {}).get("Test") != ["CMD", "/usr/local/bin/jobin", "health"]:
    problems.append(f"HEALTHCHECK: {c.get('Healthcheck')}")
if c.get("Entrypoint") != ["/usr/local/bin/jobin"] or c.get("Cmd") != ["serve"]:
    problems.append(f"entrypoint {c.get('Entrypoint')} {c.get('Cmd')}")
env = dict(e.split("=", 1) for e in c.get("Env", []))
if env.get("JOBIN_DATA_DIR") != "/var/lib/jobin" or "8080/tcp" not in (c.get("ExposedPorts") or {}):
    problems.append(f"env {env}, ports {c.get('ExposedPorts')}")
if problems:
    sys.exit("deploy-check: the image's configuration: " + "; ".join(problems))
print(f"deploy-check: image configuration: user {c['User']}, HEALTHCHECK jobin health, port 8080")
PY

# Export the image and unpack its layers, in order, into a tree.
buildah push -q "$image" "oci:$work/oci" >/dev/null
tree="$work/tree"
mkdir -p "$tree"
python3 - "$work/oci" "$tree" <<'PY'
import json, sys, tarfile, os
oci, tree = sys.argv[1], sys.argv[2]
blob = lambda d: os.path.join(oci, "blobs", *d.split(":"))
index = json.load(open(os.path.join(oci, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
for layer in manifest["layers"]:
    with tarfile.open(blob(layer["digest"])) as t:
        t.extractall(tree, filter="fully_trusted")
PY
for f in usr/local/bin/jobin etc/passwd etc/ssl/certs/ca-certificates.crt var/lib/jobin tmp; do
  [ -e "$tree/$f" ] || { echo "deploy-check: the image has no /$f"; exit 1; }
done
[ "$(stat -c %u "$tree/var/lib/jobin")" = 65532 ] || { echo "deploy-check: /var/lib/jobin is not the user's"; exit 1; }
du_mb="$(du -sm "$tree" | cut -f1)"

# Run the binary from the exported tree as the image's user, on loopback only.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
chroot="$(command -v chroot)"
"$chroot" --userspec=65532:65532 "$tree" /usr/local/bin/jobin --version
env -i JOBIN_BIND="127.0.0.1:$port" JOBIN_DATA_DIR=/var/lib/jobin JOBIN_DEMO=1 RUST_LOG=warn \
  "$chroot" --userspec=65532:65532 "$tree" /usr/local/bin/jobin serve >"$work/serve.log" 2>&1 &
pid=$!
healthy=""
for _ in $(seq 1 100); do
  if env -i JOBIN_BIND="0.0.0.0:$port" "$chroot" --userspec=65532:65532 "$tree" /usr/local/bin/jobin health >/dev/null 2>&1; then
    healthy=1
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$healthy" ]; then echo "deploy-check: the exported image did not serve:"; cat "$work/serve.log"; exit 1; fi
env -i JOBIN_BIND="0.0.0.0:$port" "$chroot" --userspec=65532:65532 "$tree" /usr/local/bin/jobin health
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""
[ -s "$tree/var/lib/jobin/jobin.db" ] || { echo "deploy-check: the served node wrote no database"; exit 1; }
echo "deploy-check: the image's filesystem (${du_mb} MB) serves as user 65532; jobin health answers 200"

# 3. compose and Prometheus files
python3 - <<'PY'
import re, sys, yaml
documented = set(re.findall(r"\bJOBIN_[A-Z0-9_]+", open(".env.example").read()))
compose = yaml.safe_load(open("deploy/compose.yaml"))
services = compose["services"]
for name in ("postgres", "redis", "jobin-a", "jobin-b"):
    assert name in services, f"compose: no {name} service"
for name, s in services.items():
    env = s.get("environment", {})
    unknown = [k for k in env if k.startswith("JOBIN_") and k not in documented]
    assert not unknown, f"compose: {name} sets undocumented {unknown}"
    assert "healthcheck" in s or name.startswith("jobin"), f"compose: {name} has no healthcheck"
for node in ("jobin-a", "jobin-b"):
    deps = services[node]["depends_on"]
    assert all(deps[d]["condition"] == "service_healthy" for d in ("postgres", "redis")), f"{node}: {deps}"
rules = yaml.safe_load(open("deploy/prometheus/alerts.yml"))
for group in rules["groups"]:
    for r in group["rules"]:
        assert {"alert", "expr", "labels", "annotations"} <= set(r), f"alert rule {r}"
prom = yaml.safe_load(open("deploy/prometheus/prometheus.yml"))
assert prom["rule_files"] and prom["scrape_configs"][0]["metrics_path"] == "/metrics"
print(f"deploy-check: compose ({len(services)} services) and Prometheus files are well formed")
PY
