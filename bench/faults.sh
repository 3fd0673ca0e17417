#!/usr/bin/env bash
# Fault benchmarks (not tests; loopback only; release build), each on a fresh embedded server:
#   login-burst  RSS of the server before, at the end of, and 5/30/60 s after 400 failed logins
#                sent 32 at a time (distinct X-Forwarded-For, so the per-IP limit is not what answers)
#   connections  RSS with 1,000 open keep-alive connections (each has made one request), and whether
#                the server still answers a new client while they are open
#   idle         1,100 idle sockets from one client against a server whose open-files limit is 1,024:
#                does the node keep answering other clients, and how much CPU does it burn meanwhile
#
#   kept-answers 40 accounts each send 250 writes with fresh Idempotency-Keys and ~9 KB answers
#                (10,000 requests, ~95 MB of answers): RSS before and after, and how many answers were
#                kept, with JOBIN_IDEMPOTENCY_MAX_MB at 16 and at its default (256)
#
#   bench/faults.sh [login-burst|connections|idle|kept-answers|all]   (default all; JOBIN_BENCH_BIN=path measures that binary)
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT="${1:-all}"
. bench/prologue.sh

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$PID/status"; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$PID/stat"; }

# start [extra env…]: a fresh embedded server on a free port; sets PID and BASE.
start() {
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  local p; p=$(port)
  rm -rf "$WORK/data"
  env "$@" JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$WORK/data" JOBIN_TRUSTED_PROXIES=127.0.0.1 \
    JOBIN_LOG_FORMAT=json RUST_LOG=error JOBIN_DEMO=1 "$BIN" serve 2>"$WORK/server.log" &
  PID=$!
  BASE="http://127.0.0.1:$p"
  for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
}

# hold_sockets COUNT request|idle SECONDS: opens COUNT connections to $BASE (each making one request,
# or sending nothing), writes how many opened to $WORK/ready, and holds them SECONDS.
hold_sockets() {
  python3 - "$BASE" "$WORK/ready" "$1" "$2" "$3" <<'PY'
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
host, port = sys.argv[1].removeprefix("http://").split(":")
count, mode, hold = int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
socks = []
for i in range(count):
    try:
        s = socket.create_connection((host, int(port)), timeout=2)
        if mode == "request":
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(4096)
        socks.append(s)
    except OSError:
        pass
open(sys.argv[2], "w").write(str(len(socks)))
time.sleep(hold)
PY
}

login_burst() {
  start
  curl -sf -X POST "$BASE/v1/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"burst@example.com","password":"correct horse"}' >/dev/null
  local before; before=$(rss_mb)
  local t0; t0=$(date +%s.%N)
  seq 1 400 | xargs -P 32 -I{} sh -c \
    'curl -s -o /dev/null -X POST "$0/v1/auth/login" -H "Content-Type: application/json" \
       -H "X-Forwarded-For: 10.9.$(({} / 250)).$(({} % 250))" \
       -d "{\"email\":\"burst@example.com\",\"password\":\"wrong password {}\"}"' "$BASE"
  local t1; t1=$(date +%s.%N)
  local peak; peak=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$PID/status")
  local end; end=$(rss_mb)
  sleep 5; local s5; s5=$(rss_mb)
  sleep 25; local s30; s30=$(rss_mb)
  sleep 30; local s60; s60=$(rss_mb)
  printf 'login-burst: 400 failed logins, 32 at a time, in %.1f s\n' "$(echo "$t1 - $t0" | bc)"
  echo "login-burst RSS MB: before=$before peak=$peak end=$end +5s=$s5 +30s=$s30 +60s=$s60"
}

connections() {
  start JOBIN_HEADER_READ_TIMEOUT_SECS=300 JOBIN_IDLE_TIMEOUT_SECS=300
  local before; before=$(rss_mb)
  hold_sockets 1000 request 20 &
  local client=$!
  for _ in $(seq 1 300); do [ -f "$WORK/ready" ] && break; sleep 0.1; done
  sleep 1
  local open; open=$(cat "$WORK/ready")
  local during; during=$(rss_mb)
  local code; code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health")
  echo "connections: $open keep-alive connections open; RSS MB before=$before with-them=$during; a new client got $code"
  kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
}

idle() {
  # The report's set-up: an open-files limit of 1,024 (systemd's default soft and hard).
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }
  local p; p=$(port)
  rm -rf "$WORK/data"
  (ulimit -n 1024; exec env JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$WORK/data" JOBIN_LOG_FORMAT=json \
    RUST_LOG=warn JOBIN_DEMO=1 "$BIN" serve 2>"$WORK/server.log") &
  PID=$!
  BASE="http://127.0.0.1:$p"
  for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
  hold_sockets 1100 idle 15 &
  local client=$!
  for _ in $(seq 1 300); do [ -f "$WORK/ready" ] && break; sleep 0.1; done
  local c0; c0=$(cpu_ticks)
  local w0; w0=$(date +%s.%N)
  local codes=""
  for _ in $(seq 1 5); do
    codes="$codes $(curl -s -m 3 -o /dev/null -w '%{http_code}' "$BASE/health" || true)"
    sleep 1
  done
  local c1; c1=$(cpu_ticks)
  local w1; w1=$(date +%s.%N)
  local hz; hz=$(getconf CLK_TCK)
  # 000: no answer (closed, or nothing within 3 s).
  printf 'idle: %s idle sockets open; /health answered:%s; server CPU %.0f%% of one core over those %.1f s\n' \
    "$(cat "$WORK/ready")" "$codes" "$(echo "($c1 - $c0) * 100 / $hz / ($w1 - $w0)" | bc -l)" "$(echo "$w1 - $w0" | bc -l)"
  kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
  sleep 1
  echo "idle: a second after the idle sockets closed, /health answered $(curl -s -m 3 -o /dev/null -w '%{http_code}' "$BASE/health" || true)"
}

kept_answers() {
  cat > "$WORK/catalog.toml" <<'TOML'
[plans.free]
tracker_per_minute = 1000000000
account_per_minute = 1000000000
TOML
  for cap in 16 256; do
    start JOBIN_IDEMPOTENCY_MAX_MB="$cap" JOBIN_CATALOG="$WORK/catalog.toml"
    local before; before=$(rss_mb)
    local out
    out=$(python3 - "$BASE" <<'PY'
import http.client, json, sys, uuid
from concurrent.futures import ThreadPoolExecutor
host, port = sys.argv[1].removeprefix("http://").split(":")
def call(method, path, body=None, headers=None, ip="10.9.0.1"):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    h = {"content-type": "application/json", "x-forwarded-for": ip, **(headers or {})}
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read()
    return r.status, r.getheader("idempotent-replayable"), data
def account(i):
    s, _, d = call("POST", "/v1/auth/register", {"email": f"flood{i}@example.com", "password": "correct horse battery"}, ip=f"10.9.{i}.1")
    key = json.loads(d)["api_key"]
    s, _, d = call("POST", "/v1/applications", {"company_name": "Acme", "job_title": "SRE"}, {"x-api-key": key})
    return key, json.loads(d)["data"]["id"]
accounts = [account(i) for i in range(40)]
notes = "n" * 9000
def flood(args):
    key, app = args
    kept = dropped = 0
    for _ in range(250):
        s, replayable, _ = call("PATCH", f"/v1/applications/{app}", {"notes": notes}, {"x-api-key": key, "idempotency-key": str(uuid.uuid4())})
        assert s == 200, s
        kept += replayable == "true"
        dropped += replayable == "false"
    return kept, dropped
with ThreadPoolExecutor(8) as pool:
    results = list(pool.map(flood, accounts))
print(sum(k for k, _ in results), sum(d for _, d in results))
PY
)
    local after; after=$(rss_mb)
    read -r kept dropped <<<"$out"
    echo "kept-answers: JOBIN_IDEMPOTENCY_MAX_MB=$cap: RSS ${before} MB before, ${after} MB after 10,000 writes with ~9 KB answers; answers kept $kept, not kept $dropped"
  done
}

case "$WHAT" in
  login-burst) login_burst ;;
  connections) connections ;;
  idle) idle ;;
  kept-answers) kept_answers ;;
  all) login_burst; connections; idle; kept_answers ;;
  *) echo "usage: bench/faults.sh [login-burst|connections|idle|kept-answers|all]" >&2; exit 2 ;;
esac
