#!/usr/bin/env bash
# Generates the client SDKs from the committed document into target/sdk (git-ignored):
#   target/sdk/python      a Python package (openapi-python-client), importable as `jobin_api_client`
#   target/sdk/typescript  TypeScript types (openapi-typescript), used through openapi-fetch
# Installs the generators under target/tools on first use (pinned versions). Any generator
# warning fails the run: a warning means part of the API is missing from a generated client.
set -euo pipefail
cd "$(dirname "$0")/../.."
doc="$PWD/openapi/openapi.json"
tools="$PWD/target/tools"
out="$PWD/target/sdk"
mkdir -p "$tools" "$out"

# feedparser reads the saved searches' Atom feeds in the smoke test (a real feed parser).
if [ ! -x "$tools/venv/bin/openapi-python-client" ] || ! "$tools/venv/bin/python" -c "import feedparser" 2>/dev/null; then
  echo "sdk: first run: installing the Python generator (pinned) into target/tools/venv (about 15 s)…"
  [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check \
    "openapi-python-client==0.29.1" "httpx>=0.23,<0.29" "attrs>=22.2" "python-dateutil>=2.8" "feedparser==6.0.11"
fi
if [ ! -x "$tools/ts/node_modules/.bin/openapi-typescript" ] || [ ! -d "$tools/ts/node_modules/@types/node" ]; then
  echo "sdk: first run: installing the TypeScript generator (pinned) into target/tools/ts…"
  mkdir -p "$tools/ts"
  (cd "$tools/ts" && npm install --silent --no-audit --no-fund \
    "openapi-typescript@7.13.0" "openapi-fetch@0.17.0" "typescript@5.9.3" "@types/node@20" >/dev/null)
fi

# Python: no post-hooks (ruff is not a dependency); the package name is fixed by the config.
rm -rf "$out/python"
cfg="$(mktemp)"
trap 'rm -f "$cfg"' EXIT
# The saved searches' Atom feed is for feed readers; the Python client hands over its bytes.
printf 'project_name_override: jobin-api-client\npackage_name_override: jobin_api_client\npost_hooks: []\ncontent_type_overrides:\n  application/atom+xml: application/octet-stream\n' >"$cfg"
log="$("$tools/venv/bin/openapi-python-client" generate --path "$doc" --output-path "$out/python" --config "$cfg" 2>&1)"
echo "$log"
if grep -qiE 'warning|error|skipping|cannot' <<<"$log"; then
  echo "sdk: openapi-python-client reported warnings (above): the generated client would miss part of the API" >&2
  exit 1
fi

# TypeScript: the paths and schemas as types; openapi-fetch is the runtime.
rm -rf "$out/typescript"
mkdir -p "$out/typescript"
log="$("$tools/ts/node_modules/.bin/openapi-typescript" "$doc" -o "$out/typescript/api.d.ts" 2>&1)"
echo "$log"
if grep -qiE 'warn|error' <<<"$log"; then
  echo "sdk: openapi-typescript reported warnings (above)" >&2
  exit 1
fi
echo "sdk: generated $out/python (pip install target/sdk/python; import jobin_api_client) and $out/typescript/api.d.ts"
