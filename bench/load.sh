#!/usr/bin/env bash
# Load benchmark (not a test): requests per second and p99 latency of an authenticated request
# (GET /auth/me: key, account and key list, the quota stage) and of a cached job search (GET
# /jobs/search answered from the cache, demo boards) against GET /health (one database ping) on
# the same server in the same run, then the cached search's latency at half the rate wrk reached
# (open loop: `openloop`, each request timed from when it was due). Two set-ups:
#   embedded   — SQLite, in-process meter and lock (the `make run` default)
#   redis      — PostgreSQL + Redis (the several-nodes set-up), one node
# Installs wrk from Debian's packages if missing; builds the release binaries. Loopback only.
#
#   bench/load.sh [seconds per run, default 10] [connections, default 32]
# JOBIN_BENCH_BIN=path      measures that server binary instead of building this checkout.
# JOBIN_BENCH_BEFORE=path   also measures that binary (an earlier commit's build), each set-up
#                           back to back with the other, and prints both in one table.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
CONNS="${2:-32}"
PG_ADMIN="${JOBIN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL="${JOBIN_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
TARGET="${CARGO_TARGET_DIR:-target}"

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release --locked -q -p jobin-benches --bin openloop
OPENLOOP="$TARGET/release/openloop"
if [ -n "${JOBIN_BENCH_BIN:-}" ]; then
  BIN="$JOBIN_BENCH_BIN"
else
  cargo build --release --locked -q -p jobin-app
  BIN="$TARGET/release/jobin"
fi
BEFORE="${JOBIN_BENCH_BEFORE:-}"
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
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "bench: non-2xx answers:" >&2; grep "Non-2xx" <<<"$out" >&2; fi
  echo "$rps $p99"
}

# run_setup NAME BINARY LABEL [env…]: one server; appends "name|endpoint|value|p99" rows to
# $WORK/rows-LABEL. Each binary has its own Redis prefix: no run reads another's cached answers.
run_setup() {
  local name="$1" bin="$2" label="$3"; shift 3
  local rows="$WORK/rows-$label"
  local p; p=$(port)
  rm -rf "$WORK/data-$name"
  env "$@" JOBIN_REDIS_PREFIX="jobin-bench-$$-$label:" JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$WORK/data-$name" JOBIN_CATALOG="$WORK/catalog.toml" \
    JOBIN_LOG_FORMAT=json RUST_LOG=error JOBIN_DEMO=1 "$bin" serve 2>"$WORK/$name-$label.log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.1; done
  local key
  key=$(curl -sf -X POST "http://127.0.0.1:$p/auth/register" -H 'Content-Type: application/json' \
        -d "{\"email\":\"bench-$name-$label@example.com\",\"password\":\"benchmark-pass\"}" | sed -E 's/.*"api_key":"([^"]+)".*/\1/')
  read -r h_rps h_p99 < <(measure "http://127.0.0.1:$p/health")
  read -r m_rps m_p99 < <(measure -H "X-API-Key: $key" "http://127.0.0.1:$p/auth/me")
  local search="http://127.0.0.1:$p/jobs/search?q=engineer&country=gb"
  curl -sf -H "X-API-Key: $key" "$search" >/dev/null   # fill the cache
  read -r s_rps s_p99 < <(measure -H "X-API-Key: $key" "$search")
  local half=$(( s_rps / 2 ))
  # rate sent non2xx errors p50 p90 p99 p99.9 max
  read -r _ o_sent o_non2xx o_err _ _ o_p99 _ o_max < <("$OPENLOOP" "$search" "$half" "$DURATION" "$CONNS" "X-API-Key: $key")
  if [ "$o_non2xx" != 0 ] || [ "$o_err" != 0 ]; then echo "bench: open loop: $o_non2xx non-2xx, $o_err errors" >&2; fi
  {
    echo "$name|GET /health|$h_rps|$h_p99"
    echo "$name|GET /auth/me (API key)|$m_rps|$m_p99"
    echo "$name|ratio /auth/me ÷ /health|$(awk -v a="$m_rps" -v b="$h_rps" 'BEGIN {printf "%.2f", a/b}')|"
    echo "$name|GET /jobs/search, cache HIT|$s_rps|$s_p99"
    echo "$name|ratio search ÷ /health|$(awk -v a="$s_rps" -v b="$h_rps" 'BEGIN {printf "%.2f", a/b}')|"
    echo "$name|search HIT at half its rate (open loop; req/s sent · p99 · max)|$half|$o_p99 · max $o_max"
  } >>"$rows"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
}

both() {
  local name="$1"; shift
  [ -n "$BEFORE" ] && run_setup "$name" "$BEFORE" before "$@"
  run_setup "$name" "$BIN" after "$@"
}

both embedded
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS jobin_bench WITH (FORCE)" >/dev/null 2>&1
psql "$PG_ADMIN" -qc "CREATE DATABASE jobin_bench" >/dev/null
PG_URL="${PG_ADMIN%/*}/jobin_bench"
both redis JOBIN_DATABASE_URL="$PG_URL" JOBIN_REDIS_URL="$REDIS_URL"

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) · $(nproc) cores · wrk -t2 -c$CONNS -d${DURATION}s --latency · release build"
if [ -n "$BEFORE" ]; then
  echo "| set-up | endpoint | before req/s | before p99 ms | after req/s | after p99 ms |"
  echo "|---|---|---|---|---|---|"
  paste -d'|' "$WORK/rows-before" "$WORK/rows-after" | awk -F'|' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $7, $8}'
else
  echo "| set-up | endpoint | requests/s | p99 ms |"
  echo "|---|---|---|---|"
  awk -F'|' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}' "$WORK/rows-after"
fi
