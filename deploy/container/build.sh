#!/usr/bin/env bash
# Builds JobIn's container image (deploy/container/Containerfile) with buildah: the release binary
# (built when missing, or BIN=path), the shared libraries `ldd` says it links, the CA bundle and
# a passwd entry for the user it runs as (65532), in a context of their own. No registry is
# touched: FROM scratch. IMAGE names the result (default localhost/jobin:latest).
set -euo pipefail
cd "$(dirname "$0")/../.."
image="${IMAGE:-localhost/jobin:latest}"
bin="${BIN:-${CARGO_TARGET_DIR:-target}/release/jobin}"
if [ ! -x "$bin" ]; then
  cargo build --release --locked -p jobin-app --bin jobin
fi
command -v buildah >/dev/null || { echo "build.sh: buildah is not installed (apt-get install buildah)" >&2; exit 1; }

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$ctx/data"
chmod 1777 "$root/tmp"
# Stripped of its symbols (a panic's message still names its file and line).
if command -v strip >/dev/null; then
  strip -o "$root/usr/local/bin/jobin" "$bin"
  chmod 0755 "$root/usr/local/bin/jobin"
else
  install -m 0755 "$bin" "$root/usr/local/bin/jobin"
fi
# The dynamic loader and every library the binary links, at the paths it looks for them.
for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
printf 'root:x:0:0:root:/root:/nonexistent\njobin:x:65532:65532:JobIn:/var/lib/jobin:/nonexistent\n' >"$root/etc/passwd"
printf 'root:x:0:\njobin:x:65532:\n' >"$root/etc/group"

buildah ${BUILDAH_FLAGS:-} build --quiet --format docker --pull=never -f deploy/container/Containerfile -t "$image" "$ctx"
echo "build.sh: built $image"
