#!/usr/bin/env bash
# Contract fuzzing: schemathesis generates schema-valid requests for every operation of the
# committed document and sends them to a live demo server whose catalog lifts every limit (per-IP
# limits included, `[public]`). Fails on any server error, response that breaks the document
# (schema, status, headers, content type) or schema-valid request refused; then checks, from the
# server's own /metrics, that every documented operation answered at least one 2xx.
# FUZZ_EXAMPLES (default 100) cases per operation and pass; FUZZ_SEED fixes the seed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
tools="$root/target/tools"
if [ ! -x "$tools/venv/bin/st" ]; then
  [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
source openapi/demo-server.sh
demo_server_prepare

# Every limit lifted for the run: the fuzzer sends thousands of requests from one address.
{
  echo "[public]"
  echo "register_per_minute = 1000000"
  echo "login_per_minute = 1000000"
  echo "refresh_per_minute = 1000000"
  echo "feed_per_minute = 1000000"
  for plan in free starter pro scale; do
    echo "[plans.$plan]"
    echo "monthly_requests = 1000000000"
    echo "per_minute = 1000000"
    echo "account_per_minute = 1000000"
    echo "tracker_per_minute = 1000000"
    echo "ai_per_hour = 1000000"
    echo "saved_searches = 1000000"
  done
} >"$work/catalog.toml"

metrics_token="fuzz-metrics-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
export JOBIN_FUZZ_WEBHOOK_SECRET="whsec_fuzz_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
demo_server_start JOBIN_CATALOG="$work/catalog.toml" JOBIN_METRICS_TOKEN="$metrics_token" \
  JOBIN_STRIPE_WEBHOOK_SECRET="$JOBIN_FUZZ_WEBHOOK_SECRET"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -fsS -X POST "$url$1" -H 'content-type: application/json' "${@:3}" -d "$2"; }

# An account on Scale (every board and model), jobs in the store, and resources to address.
account() { # email password → its API key
  local key
  key="$(post /v1/auth/register "{\"email\":\"$1\",\"password\":\"$2\"}" | json '["api_key"]')"
  env -u JOBIN_DATABASE_URL JOBIN_DATA_DIR="$work/data" "$bin" accounts set-plan "$1" scale >/dev/null
  echo "$key"
}
export JOBIN_FUZZ_URL="$url" JOBIN_FUZZ_PASSWORD="correct horse battery staple"
export JOBIN_FUZZ_EMAIL="fuzz-main@example.com"
key="$(account "$JOBIN_FUZZ_EMAIL" "$JOBIN_FUZZ_PASSWORD")"
auth=(-H "Authorization: Bearer $key")
# Saved searches, one with a webhook to this server (a 404 sink), saved before the search below
# lands postings, so that it matches them and has deliveries.
export JOBIN_FUZZ_SEARCH_ID="$(post /v1/searches '{"q":"developer","country":"gb"}' "${auth[@]}" | json '["data"]["id"]')"
export JOBIN_FUZZ_SEARCH_DELETE_ID="$(post /v1/searches '{"q":"to delete"}' "${auth[@]}" | json '["data"]["id"]')"
export JOBIN_FUZZ_HOOK_SEARCH_ID="$(post /v1/searches "{\"q\":\"developer\",\"webhook_url\":\"$url/fuzz-webhook-sink\"}" "${auth[@]}" | json '["data"]["id"]')"
job="$(curl -fsS "$url/v1/jobs/search?q=developer" "${auth[@]}" | json '["jobs"][0]["id"]')"
export JOBIN_FUZZ_JOB_ID="$job"
export JOBIN_FUZZ_APP_ID="$(post /v1/applications "{\"job_id\":\"$job\"}" "${auth[@]}" | json '["data"]["id"]')"
export JOBIN_FUZZ_DELETE_ID="$(post /v1/applications '{"job_title":"To delete","company_name":"Acme"}' "${auth[@]}" | json '["data"]["id"]')"
export JOBIN_FUZZ_KEY_PREFIX="$(post /v1/auth/keys '{"name":"to revoke"}' "${auth[@]}" | json '["prefix"]')"
export JOBIN_FUZZ_KEY_PREFIX_OLD="$(post /v1/auth/keys '{"name":"to revoke"}' "${auth[@]}" | json '["prefix"]')"
for _ in $(seq 60); do # matching runs every few seconds
  JOBIN_FUZZ_DELIVERY_ID="$(curl -fsS "$url/v1/searches/$JOBIN_FUZZ_HOOK_SEARCH_ID/deliveries?limit=1" "${auth[@]}" |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(d[0]["id"] if d else "")')"
  [ -n "$JOBIN_FUZZ_DELIVERY_ID" ] && break
  sleep 0.5
done
[ -n "$JOBIN_FUZZ_DELIVERY_ID" ] || { echo "fuzz: the webhook search never had a delivery"; exit 1; }
export JOBIN_FUZZ_DELIVERY_ID
export JOBIN_FUZZ_FEED_TOKEN="$(post "/v1/searches/$JOBIN_FUZZ_HOOK_SEARCH_ID/feed-token" '' "${auth[@]}" | json '["data"]["token"]')"
export JOBIN_FUZZ_SINCE="$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)"

st_base=("$tools/venv/bin/st" --no-color --config-file "$root/openapi/fuzz/schemathesis.toml" run "$root/openapi/openapi.json"
  --url "$url" -n "${FUZZ_EXAMPLES:-100}" --output-truncate false)
[ -n "${FUZZ_SEED:-}" ] && st_base+=(--seed "$FUZZ_SEED")
st=("${st_base[@]}" --mode positive --phases examples,coverage,fuzzing
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,positive_data_acceptance)
export SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/openapi/fuzz"
status=0

# 1. Every operation but those that end the caller's own credentials, with the main key.
"${st[@]}" "${auth[@]}" \
  --exclude-operation-id-regex '^(logout|logout_all|rotate_api_keys|change_password|create_checkout|create_portal_session)' ||
  status=1

# 2. Billing from the states it is for: a checkout from a Free account, the portal for an account
#    that subscribed (through the local checkout stand-in).
free="$(post /v1/auth/register '{"email":"fuzz-free@example.com","password":"correct horse battery staple"}' | json '["api_key"]')"
"${st[@]}" -H "Authorization: Bearer $free" --include-operation-id-regex '^create_checkout' || status=1
payer="$(post /v1/auth/register '{"email":"fuzz-payer@example.com","password":"correct horse battery staple"}' | json '["api_key"]')"
checkout="$(post /v1/billing/checkout '{"plan":"pro","success_url":"https://example.com/ok","cancel_url":"https://example.com/no"}' \
  -H "Authorization: Bearer $payer" | json '["url"]')"
curl -fsS -o /dev/null -X POST "$checkout/complete"
"${st[@]}" -H "Authorization: Bearer $payer" --include-operation-id-regex '^create_portal_session' || status=1

# 3. Those that end the caller's credentials, each with an account of its own (they revoke what they are called with); the logins
#    with a session token (an API key is not a login).
n=0
for op in logout logout_all change_password rotate_api_keys; do
  for id in "$op" "${op}_unversioned"; do
    n=$((n + 1))
    email="fuzz-$n@example.com"
    own="$(account "$email" "$JOBIN_FUZZ_PASSWORD")"
    bearer="$own"
    if [ "$op" != rotate_api_keys ]; then
      bearer="$(post /v1/auth/login "{\"email\":\"$email\",\"password\":\"$JOBIN_FUZZ_PASSWORD\"}" | json '["access_token"]')"
    fi
    JOBIN_FUZZ_EMAIL="$email" "${st[@]}" -H "Authorization: Bearer $bearer" --include-operation-id "$id" || status=1
  done
done

# 4. Invalid requests (negative mode): never a server error, and every refusal in the error
#    envelope the document describes. (Left out: operations with nothing to send wrong — no
#    parameter, or only one pinned above.)
"${st_base[@]}" "${auth[@]}" --mode negative --phases coverage,fuzzing --suppress-health-check filter_too_much \
  --checks not_a_server_error,content_type_conformance,response_schema_conformance \
  --exclude-operation-id-regex '^(logout|logout_all|rotate_api_keys|change_password|get_account|ai_providers|get_job|get_application|list_application_events|get_saved_search)' ||
  status=1

# 5. Every documented operation answered 2xx at least once (the server's own count, by operation).
curl -fsS "$url/metrics" -H "Authorization: Bearer $metrics_token" >"$work/metrics.txt"
python3 - "$root/openapi/openapi.json" "$work/metrics.txt" <<'PY' || status=1
import json, re, sys
doc = json.load(open(sys.argv[1]))
ops = {op["operationId"] for item in doc["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op}
ok = set()
for line in open(sys.argv[2]):
    m = re.match(r'jobin_http_requests_total\{(.*)\} (\S+)', line)
    if m and re.search(r'status="2\d\d"', m.group(1)) and float(m.group(2)) > 0:
        route = re.search(r'route="([^"]+)"', m.group(1))
        ok.add(route.group(1))
missing = sorted(ops - ok)
print(f"fuzz: {len(ops) - len(missing)} of {len(ops)} documented operations answered 2xx")
if missing:
    print("fuzz: never a 2xx: " + ", ".join(missing))
    sys.exit(1)
PY
if [ "$status" -ne 0 ]; then
  echo "fuzz: the server's log (last lines):"; tail -n 30 "$work/server.log"
fi
exit "$status"
