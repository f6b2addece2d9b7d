#!/bin/bash
# Start/stop a Warren node for benchmarks, isolated from any other Warren or RabbitMQ on the machine
# (same conventions as the shared bench's broker.sh for RabbitMQ).
#   bench/broker-warren.sh start|stop|pid|status|log|snapshot DIR
# Node warren-bench@$(hostname -s), AMQP 127.0.0.1:${WARREN_BENCH_PORT:-5682}, management +10000, Prometheus +11000,
# control +20000 (never the defaults 15672/15692/25672, which other nodes on this machine hold), state (data dir, log,
# pid file and a snapshot of the build) under ${WARREN_BENCH_STATE:-/tmp/warren-bench-$PORT}, wiped on start.
# The node runs from a snapshot of the repository's dist/ taken at start (dist/ is built with `npx tsc -p .` if
# it is missing), so a rebuild of dist/ during a long benchmark does not change the code being measured;
# $STATE/build.txt records the commit and the number of locally changed files under src/ when the snapshot was
# taken, and a hash of the snapshot. `snapshot DIR` only makes such a snapshot (for WARREN_BENCH_APP).
# The pid file holds the pid of the node process itself (what AmqpBench --broker-pid must sample), not a shell.
# Env: WARREN_NODE_ARGS   extra node options, e.g. "--cpu-prof --cpu-prof-dir=/tmp/warren-prof"
#      WARREN_BENCH_LOG_LEVEL   (warning)       WARREN_BENCH_SNAPSHOT=0   run from the repository's dist/ directly
#      WARREN_BENCH_APP=DIR     run DIR/dist/src/cli/warren-server.js (a snapshot shared by several starts)
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${WARREN_BENCH_PORT:-5682}
STATE=${WARREN_BENCH_STATE:-/tmp/warren-bench-$PORT}
PIDFILE=$STATE/pid
NODE=warren-bench@$(hostname -s)

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

build_if_missing() {
  [ -f "$ROOT/dist/src/cli/warren-server.js" ] && return
  echo "dist/ missing, building: npx tsc -p ." >&2
  (cd "$ROOT" && npx tsc -p .) >&2
}
describe() {  # APP: which code runs, as of now
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "src_changes=$(git -C "$ROOT" status --porcelain -- src 2>/dev/null | wc -l)"
  echo "dist_sha=$(cd "$1/dist/src" && find . -name '*.js' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)"
  echo "dist_mtime=$(date -r "$1/dist/src/cli/warren-server.js" +%FT%T)"
  echo "node=$(node --version)"
}
snapshot() {  # DIR: copy dist/src and package.json (warren-server.js reads ../../../package.json; no runtime deps)
  build_if_missing
  rm -rf "$1"; mkdir -p "$1/dist"
  cp -rp "$ROOT/dist/src" "$1/dist/src"; cp "$ROOT/package.json" "$1/"
  ln -s "$ROOT/node_modules" "$1/node_modules"   # runtime dependencies (hono)
  describe "$1" > "$1/build.txt"
}

case "$1" in
  start)
    running && { echo "bench Warren already running (pid $(cat "$PIDFILE"))" >&2; exit 1; }
    build_if_missing
    rm -rf "$STATE"; mkdir -p "$STATE/data"
    if [ -n "${WARREN_BENCH_APP:-}" ]; then      # a snapshot made once for a whole benchmark (bench/scenarios.sh)
      APP=$WARREN_BENCH_APP
      [ -f "$APP/build.txt" ] || describe "$APP" > "$APP/build.txt"
      cp "$APP/build.txt" "$STATE/build.txt"
    elif [ "${WARREN_BENCH_SNAPSHOT:-1}" = 1 ]; then
      APP=$STATE/app; snapshot "$APP"; cp "$APP/build.txt" "$STATE/build.txt"
    else
      APP=$ROOT; describe "$APP" > "$STATE/build.txt"
    fi
    cd "$STATE"
    # exec'd by nohup in the background job, so $! is the node process itself
    WARREN_NODENAME=$NODE WARREN_NODE_IP_ADDRESS=127.0.0.1 WARREN_NODE_PORT=$PORT \
    WARREN_MANAGEMENT_PORT=$((PORT + 10000)) WARREN_PROMETHEUS_PORT=$((PORT + 11000)) WARREN_DATA_DIR=$STATE/data \
    WARREN_LOG_LEVEL=${WARREN_BENCH_LOG_LEVEL:-warning} \
      nohup node ${WARREN_NODE_ARGS:-} "$APP/dist/src/cli/warren-server.js" > "$STATE/log" 2>&1 &
    PID=$!
    echo "$PID" > "$PIDFILE"
    for i in $(seq 1 300); do
      if ! kill -0 "$PID" 2>/dev/null; then
        echo "Warren exited during start:" >&2; cat "$STATE/log" >&2; rm -f "$PIDFILE"; exit 1
      fi
      if grep -q "accepting AMQP connections" "$STATE/log" && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        [ "$(cat "/proc/$PID/comm")" = node ] || { echo "pid $PID is $(cat "/proc/$PID/comm"), not node" >&2; exit 1; }
        exit 0
      fi
      sleep 0.1
    done
    echo "Warren did not start within 30 s:" >&2; cat "$STATE/log" >&2; kill "$PID" 2>/dev/null; exit 1 ;;
  stop)
    running || { echo "bench Warren not running" >&2; rm -f "$PIDFILE"; exit 0; }
    PID=$(cat "$PIDFILE"); kill -TERM "$PID"
    # a clean exit also lets --cpu-prof write its profile
    for i in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || { rm -f "$PIDFILE"; exit 0; }; sleep 0.1; done
    echo "Warren did not stop within 30 s, killing" >&2; kill -9 "$PID"; rm -f "$PIDFILE" ;;
  pid)
    running || { echo "bench Warren not running" >&2; exit 1; }
    cat "$PIDFILE" ;;
  status)
    if running; then echo "running pid $(cat "$PIDFILE") amqp://guest:guest@127.0.0.1:$PORT/ ($(tr '\n' ' ' < "$STATE/build.txt"))"
    else echo "not running"; exit 1; fi ;;
  log)
    cat "$STATE/log" ;;
  snapshot)
    [ -n "${2:-}" ] || { echo "usage: $0 snapshot DIR" >&2; exit 1; }
    snapshot "$2" ;;
  *) echo "usage: $0 start|stop|pid|status|log|snapshot DIR" >&2; exit 1 ;;
esac
