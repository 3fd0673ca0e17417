#!/usr/bin/env bash
# Validates openapi/openapi.json as OpenAPI 3.0 (openapi-spec-validator) and lints it with Redocly's
# recommended rules: any error fails (warnings are printed). Installs both tools under
# target/tools on first use (PyPI and npm; pinned versions).
set -euo pipefail
cd "$(dirname "$0")/.."
doc=openapi/openapi.json
tools=target/tools
mkdir -p "$tools"

if [ ! -x "$tools/venv/bin/openapi-spec-validator" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==0.9.0"
fi
"$tools/venv/bin/openapi-spec-validator" "$doc"

if [ ! -x "$tools/redocly/node_modules/.bin/redocly" ]; then
  mkdir -p "$tools/redocly"
  (cd "$tools/redocly" && npm install --silent --no-audit --no-fund "@redocly/cli@2.77.0" >/dev/null)
fi
"$tools/redocly/node_modules/.bin/redocly" lint --format=summary "$doc" 2>&1 | grep -v '^ *║\|^ *╔\|^ *╚' 
# redocly exits non-zero on any error; with pipefail that fails this script.
