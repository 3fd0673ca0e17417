# Sourced by openapi/sdk/smoke.sh and openapi/fuzz/run.sh (from the checkout's root).
# demo_server_prepare: builds the server; sets $bin and $work (a temporary folder, removed on exit).
# demo_server_start [VAR=value …]: starts `jobin serve` in demo mode (seeded fake boards, SQLite
# under $work, plain JSON logs in $work/server.log) on a free loopback port with those settings
# added, waits for /v1/health; sets $url and $server_pid (stopped on exit).

demo_server_prepare() {
  cargo build --locked -q -p jobin-app --bin jobin
  bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/jobin"
  work="$(mktemp -d)"
  server_pid=""
  trap demo_server_cleanup EXIT
}

demo_server_cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}

demo_server_start() {
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  url="http://127.0.0.1:$port"
  env -u JOBIN_DATABASE_URL -u JOBIN_REDIS_URL JOBIN_BIND="127.0.0.1:$port" JOBIN_DATA_DIR="$work/data" \
    JOBIN_DEMO=1 JOBIN_DEMO_LATENCY_MS=0 JOBIN_LOG_FORMAT=json RUST_LOG=warn "$@" \
    "$bin" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "$url/v1/health" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; return 1; }
    sleep 0.1
  done
  echo "demo server: no answer at $url/v1/health" >&2
  return 1
}
