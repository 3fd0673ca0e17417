#!/usr/bin/env bash
# Generated clients against a live server: generates both SDKs from the committed document
# (openapi/sdk/generate.sh, zero warnings), starts a demo server (seeded fake boards, SQLite in a
# temporary folder, the smoke catalog below) and runs the Python and the TypeScript smoke tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
openapi/sdk/generate.sh >/dev/null

cargo build --locked -q -p jobin-app --bin jobin
bin="${CARGO_TARGET_DIR:-$root/target}/debug/jobin"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The document's plans, with an AI limit of 2 per hour on Scale so that the smoke tests meet a 429.
cat >"$work/catalog.toml" <<'TOML'
[plans.scale]
ai_per_hour = 2
TOML
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export JOBIN_BIND="127.0.0.1:$port" JOBIN_DATA_DIR="$work/data" JOBIN_CATALOG="$work/catalog.toml" \
  JOBIN_DEMO=1 JOBIN_DEMO_LATENCY_MS=0 JOBIN_LOG_FORMAT=json RUST_LOG=warn
unset JOBIN_DATABASE_URL JOBIN_REDIS_URL
"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done
export JOBIN_URL="http://127.0.0.1:$port" JOBIN_SET_PLAN="$bin accounts set-plan"

status=0
PYTHONPATH="$root/target/sdk/python" "$root/target/tools/venv/bin/python" openapi/sdk/smoke.py || status=1
openapi/sdk/smoke-ts.sh || status=1
if [ "$status" -ne 0 ]; then
  echo "sdk smoke: the server's log:"; tail -n 40 "$work/server.log"
fi
exit "$status"
