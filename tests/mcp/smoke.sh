#!/usr/bin/env bash
# The MCP endpoint with a real MCP client: the official Python SDK (`mcp` from PyPI, installed
# under target/tools/mcp on first use, pinned) opens a session to /mcp on a live demo server
# (seeded fake boards, SQLite in a temporary folder), lists the tools, calls each one and checks
# it against the REST answer, and meets a missing scope. Run by `make mcp-test` and by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="$PWD/target/tools/mcp"
if ! "$venv/bin/python" -c "import mcp, httpx2" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==2.3.0"
fi

source openapi/demo-server.sh
demo_server_prepare
demo_server_start
export JOBIN_DATA_DIR="$work/data"  # for `jobin accounts set-plan`
unset JOBIN_DATABASE_URL JOBIN_REDIS_URL
export JOBIN_URL="$url" JOBIN_SET_PLAN="$bin accounts set-plan"
if ! "$venv/bin/python" tests/mcp/smoke.py; then
  echo "mcp smoke: the server's log:"; tail -n 40 "$work/server.log"
  exit 1
fi
