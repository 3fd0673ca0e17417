#!/usr/bin/env bash
# Generated clients against a live server: generates both SDKs from the committed document
# (openapi/sdk/generate.sh, zero warnings), starts a demo server (seeded fake boards, SQLite in a
# temporary folder, the smoke catalog below) and runs the Python and the TypeScript smoke tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
openapi/sdk/generate.sh >/dev/null

source openapi/demo-server.sh
demo_server_prepare
# The document's plans, with an AI limit of 2 per hour on Scale so that the smoke tests meet a 429.
cat >"$work/catalog.toml" <<'TOML'
[plans.scale]
ai_per_hour = 2
TOML
demo_server_start JOBIN_CATALOG="$work/catalog.toml"
export JOBIN_DATA_DIR="$work/data"  # for `jobin accounts set-plan`
unset JOBIN_DATABASE_URL JOBIN_REDIS_URL
export JOBIN_URL="$url" JOBIN_SET_PLAN="$bin accounts set-plan"

status=0
PYTHONPATH="$root/target/sdk/python" "$root/target/tools/venv/bin/python" openapi/sdk/smoke.py || status=1
openapi/sdk/smoke-ts.sh || status=1
if [ "$status" -ne 0 ]; then
  echo "sdk smoke: the server's log:"; tail -n 40 "$work/server.log"
fi
exit "$status"
