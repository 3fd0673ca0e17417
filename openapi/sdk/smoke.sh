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

# The Python client installed the way the README says (`pip install target/sdk/python`), into a
# virtualenv of its own: its declared dependencies, not the generator's, must be enough.
rm -rf "$root/target/tools/sdk-venv"
python3 -m venv "$root/target/tools/sdk-venv"
"$root/target/tools/sdk-venv/bin/pip" install --quiet --disable-pip-version-check "$root/target/sdk/python" "feedparser==6.0.11"
status=0
(cd "$work" && "$root/target/tools/sdk-venv/bin/python" "$root/openapi/sdk/smoke.py") || status=1
openapi/sdk/smoke-ts.sh || status=1
if [ "$status" -ne 0 ]; then
  echo "sdk smoke: the server's log:"; tail -n 40 "$work/server.log"
fi
exit "$status"
