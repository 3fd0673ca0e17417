#!/usr/bin/env bash
# Load benchmark (not a test): authenticated requests per second and p99 latency on a cheap
# authenticated endpoint (GET /auth/me: key lookup, quota stage, key list) against GET /health
# (one database ping) on the same server in the same run, and a cached job search
# (GET /jobs/search answered from the search cache, fake boards), in two set-ups:
#   embedded   — SQLite, in-process meter and lock (the `make run` default)
#   redis      — PostgreSQL + Redis (the several-nodes set-up), one node
# Installs wrk from Debian's packages if missing; builds the release binary. Loopback only.
#
#   bench/load.sh [seconds per run, default 10] [connections, default 32]
# JOBIN_BENCH_BIN=path measures that binary instead of building this checkout (before/after runs).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
CONNS="${2:-32}"
PG_ADMIN="${JOBIN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL="${JOBIN_TEST_REDIS_URL:-redis://127.0.0.1:6379}"

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
if [ -n "${JOBIN_BENCH_BIN:-}" ]; then
  BIN="$JOBIN_BENCH_BIN"
else
  cargo build --release --locked -q -p jobin-app
  BIN="${CARGO_TARGET_DIR:-target}/release/jobin"
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS jobin_bench WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Per-minute limits out of the way: this measures throughput, not the limiter's refusals.
cat > "$WORK/catalog.toml" <<'TOML'
[plans.free]
per_minute = 1000000000
account_per_minute = 1000000000
monthly_requests = 1000000000
TOML

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wrk → "requests_per_sec p99_ms"
measure() {
  local out rps p99
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "bench: non-2xx answers:" >&2; grep "Non-2xx" <<<"$out" >&2; fi
  echo "$rps $p99"
}

run_setup() {
  local name="$1"; shift
  local p; p=$(port)
  env "$@" JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$WORK/data-$name" JOBIN_CATALOG="$WORK/catalog.toml" \
    JOBIN_LOG_FORMAT=json RUST_LOG=error JOBIN_DEMO=1 "$BIN" serve 2>"$WORK/$name.log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.1; done
  local key
  key=$(curl -sf -X POST "http://127.0.0.1:$p/auth/register" -H 'Content-Type: application/json' \
        -d "{\"email\":\"bench-$name@example.com\",\"password\":\"benchmark-pass\"}" | sed -E 's/.*"api_key":"([^"]+)".*/\1/')
  read -r h_rps h_p99 < <(measure "http://127.0.0.1:$p/health")
  read -r m_rps m_p99 < <(measure -H "X-API-Key: $key" "http://127.0.0.1:$p/auth/me")
  local search="http://127.0.0.1:$p/jobs/search?q=engineer&country=gb"
  curl -sf -H "X-API-Key: $key" "$search" >/dev/null   # fill the cache
  read -r s_rps s_p99 < <(measure -H "X-API-Key: $key" "$search")
  local ratio; ratio=$(awk -v a="$m_rps" -v b="$h_rps" 'BEGIN {printf "%.2f", a/b}')
  local sratio; sratio=$(awk -v a="$s_rps" -v b="$h_rps" 'BEGIN {printf "%.2f", a/b}')
  printf '| %s | GET /health | %s | %s |\n| %s | GET /auth/me (authenticated) | %s | %s |\n| %s | ratio authenticated / health | %s | |\n' \
    "$name" "$h_rps" "$h_p99" "$name" "$m_rps" "$m_p99" "$name" "$ratio"
  printf '| %s | GET /jobs/search (cache HIT) | %s | %s |\n| %s | ratio cached search / health | %s | |\n' \
    "$name" "$s_rps" "$s_p99" "$name" "$sratio"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) · $(nproc) cores · wrk -t2 -c$CONNS -d${DURATION}s · release build"
echo "| set-up | endpoint | requests/s | p99 ms |"
echo "|---|---|---|---|"
run_setup embedded
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS jobin_bench WITH (FORCE)" >/dev/null 2>&1
psql "$PG_ADMIN" -qc "CREATE DATABASE jobin_bench" >/dev/null
PG_URL="${PG_ADMIN%/*}/jobin_bench"
run_setup redis JOBIN_DATABASE_URL="$PG_URL" JOBIN_REDIS_URL="$REDIS_URL" JOBIN_REDIS_PREFIX="jobin-bench-$$:"
