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
#   disk-full    the data dir on a 24 MB tmpfs (root) filled mid-run: 201s and 503s and /health while
#                full; 201s once freed; then how many confirmed applications a restart lists
#   read-only    the database file and data dir made read-only (the server runs as nobody) and the node
#                restarted: what writes and /health answer; then writable again
#   truncated-db a stopped node's jobin.db cut to half, to 0 bytes, removed: does the next start refuse
#   redis-flush  a 300-request month spent by 16 clients on a node with Redis, Redis emptied at once:
#                how many more requests are admitted (needs Redis on 127.0.0.1:6379)
#   slow-bodies  800 connections from 127.0.0.3 trickling a body byte every 5 s: what /health answers
#                another address (127.0.0.2) meanwhile
#
#   bench/faults.sh [login-burst|connections|idle|kept-answers|disk-full|read-only|truncated-db|redis-flush|slow-bodies|all]
#   (default all; JOBIN_BENCH_BIN=path measures that binary)
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

# apps KEY N: creates N applications as KEY; prints "<201s> <503s> <others>".
apps() {
  local ok=0 busy=0 other=0 code
  for i in $(seq 1 "$2"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/applications" -H "x-api-key: $1" \
      -H 'Content-Type: application/json' -d "{\"company_name\":\"Acme\",\"job_title\":\"SRE $i\",\"notes\":\"$(head -c 2000 /dev/zero | tr '\0' x)\"}")
    case "$code" in 201) ok=$((ok + 1)) ;; 503) busy=$((busy + 1)) ;; *) other=$((other + 1)) ;; esac
  done
  echo "$ok $busy $other"
}
listed() { curl -s "$BASE/v1/applications?per_page=100&page=$2" -H "x-api-key: $1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))'; }
listed_all() { local n=0 p=1 got; while :; do got=$(listed "$1" "$p"); n=$((n + got)); [ "$got" -lt 100 ] && break; p=$((p + 1)); done; echo "$n"; }
register_key() {
  curl -s -X POST "$BASE/v1/auth/register" -H 'Content-Type: application/json' -H "X-Forwarded-For: 10.8.0.$2" \
    -d "{\"email\":\"$1\",\"password\":\"correct horse\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])'
}
health() { curl -s -o /dev/null -w '%{http_code}' "$BASE/health"; }
# restart_on DIR [env…]: stops the server gracefully and starts it again on the same data dir
# (limits roomy enough that only the fault answers).
roomy() { printf '[plans.free]\ntracker_per_minute = 1000000000\naccount_per_minute = 1000000000\n' > "$WORK/roomy.toml"; chmod a+r "$WORK/roomy.toml"; }
restart_on() {
  local dir=$1; shift
  kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true
  local p; p=$(port)
  roomy
  env "$@" JOBIN_CATALOG="$WORK/roomy.toml" JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$dir" JOBIN_TRUSTED_PROXIES=127.0.0.1 \
    JOBIN_LOG_FORMAT=json RUST_LOG=error "$BIN" serve 2>>"$WORK/server.log" &
  PID=$!
  BASE="http://127.0.0.1:$p"
  for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
}

disk_full() {
  local disk="$WORK/disk"; mkdir -p "$disk"
  mount -t tmpfs -o size=24m tmpfs "$disk" || { echo "disk-full: needs root (a tmpfs mount); skipped"; return; }
  restart_on "$disk/data"
  local key; key=$(register_key full@example.com 1)
  read -r ok0 _ _ <<<"$(apps "$key" 20)"
  dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null || true
  read -r ok1 busy1 other1 <<<"$(apps "$key" 60)"
  sleep 1.1 # past the health probe's one-second memory
  local h1; h1=$(health)
  [ -n "${FAULTS_DEBUG:-}" ] && { df -k "$disk"; curl -s "$BASE/health"; echo; }
  rm -f "$disk/filler"
  sleep 1.2
  local h2; h2=$(health)
  read -r ok2 busy2 other2 <<<"$(apps "$key" 60)"
  restart_on "$disk/data"
  local n; n=$(listed_all "$key")
  echo "disk-full: before 20 -> $ok0 201; while full 60 -> $ok1 201, $busy1 503, $other1 other, /health $h1; freed: /health $h2, 60 -> $ok2 201, $busy2 503, $other2 other"
  echo "disk-full: after a restart $n applications listed of $((ok0 + ok1 + ok2)) answered 201"
  kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""
  umount -l "$disk"
}

read_only() {
  local dir="$WORK/ro"; mkdir -p "$dir"; chown nobody "$dir" 2>/dev/null || { echo "read-only: needs root; skipped"; return; }
  chmod 0777 "$WORK"
  local p; p=$(port)
  ro_start() {
    kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true
    p=$(port)
    roomy
    runuser -u nobody -- env JOBIN_CATALOG="$WORK/roomy.toml" JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$dir/data" JOBIN_TRUSTED_PROXIES=127.0.0.1 \
      JOBIN_LOG_FORMAT=json RUST_LOG=error "$BIN" serve 2>>"$WORK/server.log" &
    PID=$!
    BASE="http://127.0.0.1:$p"
    for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  }
  chmod o+rx "$BIN" "$(dirname "$BIN")" 2>/dev/null || true
  ro_start
  local key; key=$(register_key ro@example.com 2)
  read -r ok0 _ _ <<<"$(apps "$key" 10)"
  kill "$PID"; wait "$PID" 2>/dev/null || true
  chmod a-w "$dir/data" "$dir/data/jobin.db"*
  ro_start
  if kill -0 "$PID" 2>/dev/null; then
    read -r ok1 busy1 other1 <<<"$(apps "$key" 20)"
    echo "read-only: node serving on read-only files: 20 writes -> $ok1 201, $busy1 503, $other1 other; /health $(health)"
  else
    echo "read-only: the start on read-only files was refused: $(tail -1 "$WORK/server.log")"
  fi
  chmod u+w "$dir/data" "$dir/data/jobin.db"*
  ro_start
  read -r ok2 _ _ <<<"$(apps "$key" 10)"
  echo "read-only: writable again: 10 writes -> $ok2 201; $(listed_all "$key") applications listed of $((ok0 + ${ok1:-0} + ok2)) answered 201"
  kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""
}

truncated_db() {
  local dir="$WORK/trunc"
  for how in half zero removed; do
    rm -rf "$dir"; restart_on "$dir"
    register_key "t-$how@example.com" 3 >/dev/null
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    case "$how" in
      half) truncate -s $(( $(stat -c %s "$dir/jobin.db") / 2 )) "$dir/jobin.db" ;;
      zero) : > "$dir/jobin.db" ;;
      removed) rm -f "$dir/jobin.db"* ;;
    esac
    local p; p=$(port) rc=0
    timeout 30 env JOBIN_BIND="127.0.0.1:$p" JOBIN_DATA_DIR="$dir" RUST_LOG=error "$BIN" serve >/dev/null 2>"$WORK/start.err" || rc=$?
    echo "truncated-db ($how): start exit $rc: $(grep -o 'error: .*' "$WORK/start.err" | head -c 220)"
  done
}

redis_flush() {
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "redis-flush: no Redis on 127.0.0.1:6379; skipped"; return; }
  printf '[plans.free]\nmonthly_requests = 300\nper_minute = 100000\n' > "$WORK/quota.toml"
  local prefix="jobin-bench-$$:"
  start JOBIN_REDIS_URL=redis://127.0.0.1:6379 JOBIN_REDIS_PREFIX="$prefix" JOBIN_CATALOG="$WORK/quota.toml"
  local key; key=$(register_key flush@example.com 4)
  spend() { seq 1 "$1" | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' "$BASE/v1/jobs/providers" -H "x-api-key: $key" | grep -c '^200$' || true; }
  local first; first=$(spend 400)
  redis-cli -h 127.0.0.1 -p 6379 --scan --pattern "${prefix}*" | xargs -r redis-cli -h 127.0.0.1 -p 6379 del >/dev/null
  local more; more=$(spend 400)
  echo "redis-flush: 300-request month: $first admitted of 400 asked; Redis emptied at once; then $more more admitted of 400 asked"
}

slow_bodies() {
  start JOBIN_BODY_READ_TIMEOUT_SECS=30
  python3 - "$BASE" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].removeprefix("http://").split(":")
socks = []
for _ in range(800):
    try:
        s = socket.socket(); s.bind(("127.0.0.3", 0)); s.settimeout(2); s.connect((host, int(port)))
        s.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        socks.append(s)
    except OSError:
        pass
for _ in range(12):
    time.sleep(5)
    for s in socks:
        try: s.sendall(b" ")
        except OSError: pass
PY
  local client=$!
  sleep 3
  local codes="" slow=0
  for _ in $(seq 1 20); do
    local out; out=$(curl -s -m 5 --interface 127.0.0.2 -o /dev/null -w '%{http_code} %{time_total}' "$BASE/health" || echo "000 5")
    codes="$codes ${out%% *}"
    sleep 1
  done
  echo "slow-bodies: 800 trickling connections from 127.0.0.3; /health from 127.0.0.2 answered:$codes"
  sleep 20
  echo "slow-bodies: 40 s in (past the 30 s body timeout), /health from 127.0.0.3 answered $(curl -s -m 5 --interface 127.0.0.3 -o /dev/null -w '%{http_code}' "$BASE/health" || true)"
  kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
}

case "$WHAT" in
  login-burst) login_burst ;;
  connections) connections ;;
  idle) idle ;;
  kept-answers) kept_answers ;;
  disk-full) disk_full ;;
  read-only) read_only ;;
  truncated-db) truncated_db ;;
  redis-flush) redis_flush ;;
  slow-bodies) slow_bodies ;;
  all) login_burst; connections; idle; kept_answers; disk_full; read_only; truncated_db; redis_flush; slow_bodies ;;
  *) echo "usage: bench/faults.sh [login-burst|connections|idle|kept-answers|disk-full|read-only|truncated-db|redis-flush|slow-bodies|all]" >&2; exit 2 ;;
esac
