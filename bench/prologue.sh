# Sourced by the bench scripts (from the checkout's root): the release binary to measure ($BIN:
# JOBIN_BENCH_BIN, e.g. an earlier commit's build, or this tree's, built here), a work folder
# ($WORK) and a server pid ($PID) cleaned up on exit, and port() for a free loopback port.
if [ -n "${JOBIN_BENCH_BIN:-}" ]; then
  BIN="$JOBIN_BENCH_BIN"
else
  cargo build --release --locked -q -p jobin-app
  BIN=target/release/jobin
fi
WORK=$(mktemp -d)
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
