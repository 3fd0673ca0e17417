#!/usr/bin/env bash
# /docs in a real browser: starts a demo server, renders /docs in headless Chromium (Debian's
# chromium, installed with apt-get when missing), saves a screenshot to target/docs/docs.png and
# checks the rendered page: its title names the API, the first operation is a /v1 one, no
# deprecated (struck-through) operation is shown, every tag lists /v1 operations, and an error
# response's example is its own (the 401 of /v1/jobs/search shows a credentials code, not a
# validation error) with a request id in the real format.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

chromium="$(command -v chromium || true)"
if [ -z "$chromium" ]; then
  echo "docs-check: installing Debian's chromium (apt-get)…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  chromium="$(command -v chromium)"
fi

source openapi/demo-server.sh
demo_server_prepare
demo_server_start
out="$root/target/docs"
mkdir -p "$out"
# No background traffic: only the page's own requests, to loopback.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/chromium"
  --virtual-time-budget=15000 --window-size=1280,2400)
"$chromium" "${flags[@]}" --screenshot="$out/docs.png" "$url/docs#/Jobs/search_jobs" >/dev/null 2>&1
"$chromium" "${flags[@]}" --dump-dom "$url/docs#/Jobs/search_jobs" 2>/dev/null >"$out/docs.html"
python3 openapi/docs_check.py "$out/docs.html" "$out/docs.png"
