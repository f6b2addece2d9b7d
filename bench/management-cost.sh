#!/bin/bash
# What the management API costs AMQP throughput: scenario a (1 producer, 1 consumer, 16 B, autoack) against one
# Warren node, alternating two modes REPS times (a fresh node per run, started by bench/broker-warren.sh):
#   on   statistics sampled every 5 s (collect_statistics_interval) and a client polling the API every 5 s
#        (overview, queues, connections, channels, exchanges, nodes: what an open web UI reads)
#   off  statistics off (WARREN_STATS_INTERVAL_MS=0), the management listener up, nobody polling
# One JSON line per run (mode, rep, load, AmqpBench's result) appended to $OUT; a summary at the end.
# Env: REPS (3), SECS (15), OUT (/tmp/warren-mgmt-cost.jsonl), WARREN_BENCH_PORT (5702; management on +10000).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
REPS=${REPS:-3}; SECS=${SECS:-15}; OUT=${OUT:-/tmp/warren-mgmt-cost.jsonl}
export WARREN_BENCH_PORT=${WARREN_BENCH_PORT:-5702}
export WARREN_BENCH_STATE=${WARREN_BENCH_STATE:-/tmp/warren-mgmt-cost-$WARREN_BENCH_PORT}
RUN=${BENCH_BUILD:-/tmp/warren-bench-java}/run.sh
API=http://127.0.0.1:$((WARREN_BENCH_PORT + 10000))/api
poll() { while true; do for p in overview queues connections channels exchanges nodes; do curl -s -u guest:guest "$API/$p" >/dev/null; done; sleep 5; done; }
quiet() { for _ in $(seq 1 60); do awk '{exit !($1 < 1.0)}' /proc/loadavg && return; sleep 5; done; }
for rep in $(seq 1 "$REPS"); do
  for mode in on off; do
    quiet
    if [ "$mode" = on ]; then export WARREN_STATS_INTERVAL_MS=5000; else export WARREN_STATS_INTERVAL_MS=0; fi
    bench/broker-warren.sh start || exit 1
    POLLER=
    if [ "$mode" = on ]; then poll & POLLER=$!; fi
    line=$("$RUN" --uri "amqp://guest:guest@127.0.0.1:$WARREN_BENCH_PORT/" --seconds "$SECS" --warmup 2 --size 16 \
      --autoack --producers 1 --consumers 1 --broker-pid "$(bench/broker-warren.sh pid)" --quiet 2>/dev/null)
    [ -n "$POLLER" ] && kill "$POLLER"
    bench/broker-warren.sh stop
    echo "{\"mode\":\"$mode\",\"rep\":$rep,\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"result\":$line}" | tee -a "$OUT"
  done
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = {}
for mode in ('on', 'off'):
    r = [x['result'] for x in rows if x['mode'] == mode]
    recv = [x['recv_rate'] for x in r]
    cpu = [x['broker_cpu_pct'] / 100 / x['recv_rate'] * 1e6 for x in r]
    med[mode] = statistics.median(recv)
    print(f"{mode:3} n={len(r)} recv msg/s median {med[mode]:.0f} [{min(recv):.0f}-{max(recv):.0f}]  "
          f"broker CPU us/msg median {statistics.median(cpu):.3f}")
print(f"on/off recv ratio {med['on'] / med['off']:.3f}")
PY
