#!/bin/bash
# warren-perf against the neutral Java generator (/work/shared/bench AmqpBench), back to back on the same broker:
# scenario a (1 producer, 1 consumer, 16 B, autoack) and c (confirm window 1000, persistent, 1 KB, prefetch 1000),
# alternating generators in every repetition so machine noise hits both alike. One JSON line per run.
#   bench/warren-perf-vs-java.sh URI [REPS] [SECS] [OUT]     e.g. bench/warren-perf-vs-java.sh amqp://guest:guest@127.0.0.1:5682/ 3 10
# Env: JAVA_BENCH (/tmp/warren-bench-java/run.sh), WORKERS (2: also run warren-perf --workers $WORKERS for a).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
URI=$1; REPS=${2:-3}; SECS=${3:-10}; OUT=${4:-/tmp/warren-perf-vs-java.jsonl}
JAVA=${JAVA_BENCH:-/tmp/warren-bench-java/run.sh}; WORKERS=${WORKERS:-2}
PERF="node $ROOT/dist/src/cli/warren-perf.js"
: > "$OUT"
line() { # generator scenario json
  node -e 'const [g, s, j] = process.argv.slice(1); const r = JSON.parse(j);
    const o = r.sendRate !== undefined
      ? { sent: r.sendRate, recv: r.receiveRate, p50: r.latencyUs.p50, p99: r.latencyUs.p99, cpu: r.cpuPercent }
      : { sent: r.sent_rate, recv: r.recv_rate, p50: r.lat_p50_us, p99: r.lat_p99_us, cpu: r.gen_cpu_pct };
    console.log(JSON.stringify({ generator: g, scenario: s, ...o }));' "$1" "$2" "$3" | tee -a "$OUT"
}
for rep in $(seq "$REPS"); do
  q=perfcmp-$rep-$$
  line java a "$($JAVA --uri "$URI" --producers 1 --consumers 1 --size 16 --autoack --seconds "$SECS" --warmup 2 --quiet 2>/dev/null | tail -1)"
  line warren-perf a "$($PERF -h "$URI" -x 1 -y 1 -s 16 -a -z "$SECS" --json)"
  [ "$WORKERS" -gt 0 ] && line "warren-perf-w$WORKERS" a "$($PERF -h "$URI" -x 1 -y 1 -s 16 -a -z "$SECS" --workers "$WORKERS" --json)"
  line java c "$($JAVA --uri "$URI" --producers 1 --consumers 1 --size 1024 --confirm --confirm-window 1000 --persistent --prefetch 1000 --seconds "$SECS" --warmup 2 --queue "$q-j" --quiet 2>/dev/null | tail -1)"
  line warren-perf c "$($PERF -h "$URI" -x 1 -y 1 -s 1024 -c 1000 --persistent -q 1000 -u "$q-w" -z "$SECS" --json)"
done
