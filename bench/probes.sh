#!/usr/bin/env bash
# The multi-tenant probes of issue 34, re-run against a release build on loopback (not tests: they
# print what the server answered). Each run starts a fresh embedded server (demo boards) with the
# outbound policy strict (JOBIN_WEBHOOK_ALLOW_PRIVATE=false) and metrics on:
#   urls     webhook URLs of every internal class, set by PATCH: the status, code and rule of each
#   test     the test endpoint on a closed port and on an open non-HTTP port of this machine,
#            set through a public-looking URL that cannot be stored: what each answer tells
#   replay   a jobs:read key replaying a full key's key creation under its Idempotency-Key
#   methods  2,000 requests with random methods (3–1,000 bytes) and paths: series and exposition
#            size before and after
# The idempotency flood is `bench/faults.sh kept-answers`; the slow receiver is the API test
# `searches::a_hanging_receiver_delays_only_its_own_accounts_deliveries`.
#
#   bench/probes.sh [urls|test|replay|methods|all]   (JOBIN_BENCH_BIN=path probes that binary)
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT="${1:-all}"
. bench/prologue.sh
TOKEN="probe-metrics-token-0123456789"

p=$(port)
JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$WORK/data" JOBIN_DEMO=1 JOBIN_WEBHOOK_ALLOW_PRIVATE=false \
  JOBIN_METRICS_TOKEN="$TOKEN" RUST_LOG=error "$BIN" serve 2>"$WORK/server.log" &
PID=$!
BASE="http://127.0.0.1:$p"
for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done

KEY=$(curl -s "$BASE/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"probe@example.com","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
ID=$(curl -s "$BASE/v1/searches" -H "x-api-key: $KEY" -H 'content-type: application/json' -d '{"q":"rust"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')

urls() {
  for url in "http://127.0.0.1:2375/containers/x/kill" "https://127.0.0.1:2375/x" "https://localhost/" "https://[::1]/" \
    "https://10.0.0.1/" "https://172.16.0.1/" "https://192.168.1.1/" "https://100.64.0.1/" \
    "https://169.254.169.254/latest/meta-data/" "https://[fe80::1]/" "https://[fd00::1]/" \
    "https://[::ffff:127.0.0.1]/" "https://[::ffff:a9fe:a9fe]/" "https://0x7f000001/" "https://2130706433/" \
    "https://017700000001/" "https://127.1/" "https://0.0.0.0/" "https://user:pw@hooks.example.com/" "https://intranet/"; do
    curl -s -X PATCH "$BASE/v1/searches/$ID" -H "x-api-key: $KEY" -H 'content-type: application/json' \
      -d "{\"webhook_url\":\"$url\"}" -o "$WORK/r" -w '%{http_code}' >"$WORK/code"
    python3 - "$url" "$(cat "$WORK/code")" "$WORK/r" <<'PY'
import json, sys
url, code, path = sys.argv[1], sys.argv[2], sys.argv[3]
body = json.load(open(path))
print(f"urls: {url:45} {code} {body.get('code')} {body.get('details', {}).get('rule')}")
PY
  done
}

test_endpoint() {
  # Nothing internal can be stored, so nothing internal can be tested: both probes are refused
  # when set, and the search keeps no webhook to test.
  local open_port; open_port=$(port)
  python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$open_port)); s.listen(); time.sleep(20)" &
  local listener=$!
  sleep 0.3
  for url in "https://127.0.0.1:9/" "https://127.0.0.1:$open_port/"; do
    local code; code=$(curl -s -X PATCH "$BASE/v1/searches/$ID" -H "x-api-key: $KEY" -H 'content-type: application/json' \
      -d "{\"webhook_url\":\"$url\"}" -o /dev/null -w '%{http_code}')
    local t; t=$(curl -s -X POST "$BASE/v1/searches/$ID/test" -H "x-api-key: $KEY" -w ' %{http_code} %{time_total}s')
    echo "test: set $url → $code; then POST …/test → $t"
  done
  kill "$listener" 2>/dev/null || true
}

replay() {
  local reader; reader=$(curl -s "$BASE/v1/auth/keys" -H "x-api-key: $KEY" -H 'content-type: application/json' \
    -d '{"name":"reader","scopes":["jobs:read"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  local u; u=$(python3 -c 'import uuid; print(uuid.uuid4())')
  local first; first=$(curl -s "$BASE/v1/auth/keys" -H "x-api-key: $KEY" -H "idempotency-key: $u" -H 'content-type: application/json' \
    -d '{"name":"ci"}' -o /dev/null -w '%{http_code}')
  local again; again=$(curl -s "$BASE/v1/auth/keys" -H "x-api-key: $reader" -H "idempotency-key: $u" -H 'content-type: application/json' \
    -d '{"name":"ci"}' -w ' %{http_code}')
  echo "replay: full key creates a key under U → $first; the jobs:read key with U → $again"
}

methods() {
  python3 - "$BASE" "$TOKEN" <<'PY'
import http.client, random, sys
host, port = sys.argv[1].removeprefix("http://").split(":")
token = sys.argv[2]
def scrape():
    c = http.client.HTTPConnection(host, int(port)); c.request("GET", "/metrics", headers={"authorization": f"Bearer {token}"})
    text = c.getresponse().read().decode()
    return text, sum(1 for l in text.splitlines() if l and not l.startswith("#"))
rng = random.Random(20261207)
def junk():
    m = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 1000)))
    p = "/" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 40)))
    return m, p
def send(m, p):
    c = http.client.HTTPConnection(host, int(port), timeout=10); c.request(m, p); c.getresponse().read(); c.close()
send(*junk())
scrape()  # a scrape's own series (route="metrics") exist from the next one on
before, n0 = scrape()
for _ in range(2000):
    send(*junk())
after, n1 = scrape()
import re
methods = sorted(set(re.findall(r'method="([^"]*)"', after)))
print(f"methods: series {n0} → {n1}, exposition {len(before)} → {len(after)} bytes after 2,000 random methods and paths; method labels {methods}")
PY
}

case "$WHAT" in
  urls) urls ;;
  test) test_endpoint ;;
  replay) replay ;;
  methods) methods ;;
  all) urls; test_endpoint; replay; methods ;;
  *) echo "usage: bench/probes.sh [urls|test|replay|methods|all]" >&2; exit 2 ;;
esac
