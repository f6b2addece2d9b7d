#!/bin/bash
# Cost curves: throughput and broker CPU per message as one dimension grows, on every installed broker.
#   bench/curves.sh [REPS] [CURVES]          e.g. bench/curves.sh 1 "topic"     (npm run bench:curves)
#   queues  N in 1 10 100 1000   N queues with one consumer (own connection) each, one producer publishing to
#                                the first: the per-message cost must not grow with the idle queues/consumers
#   fanout  N in 1 2 5 10 20 50 100   one producer into a fanout exchange with N bound queues, one consumer
#                                each; CPU is per delivered message (each of the N copies counts)
#   topic   N in 10 100 1000 10000 100000   bindings on the one topic exchange bench.topic: the generator's
#                                "bench.#" plus N-1 added before the run by bench/topic-bindings.mjs (2 matching
#                                patterns to the same queue, the rest non-matching), one producer, one consumer
# All points: 256 B messages, autoack, WARM s warm-up + SECS s measured. Per repetition each broker is started
# fresh for each curve, runs the points in increasing N and is stopped (garagemq also before each topic point,
# as it ignores exchange.delete); brokers take turns (W R G W R G ...).
# Output: bench/results/<date>-curves.md (tables), .jsonl (one JSON line per run, with curve and n), .run.txt,
#         and <date>-curves-<curve>.svg (msg/s and CPU µs/msg against N, log x axis, one line per broker).
# Env: REPS (1), SECS (15), WARM (2), CURVES ("queues fanout topic"), QUEUES_N, FANOUT_N, TOPIC_N (the points),
#      SETUP_MAX (600: seconds allowed for one point's binding setup; past it the try counts as failed),
#      BROKERS (default: every installed one), MAX_OTHER (30), TRIES (3), QUIET_PCT/QUIET_MAX (quiet-wait),
#      NOTE (text for the report), RESULTS, NAME (<date>-curves), OUT (work dir); ports as bench/scenarios.sh.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
REPS=${1:-${REPS:-1}}; CURVES=${2:-${CURVES:-"queues fanout topic"}}; BROKERS=${BROKERS:-auto}
SECS=${SECS:-15}; WARM=${WARM:-2}; MAX_OTHER=${MAX_OTHER:-30}; TRIES=${TRIES:-3}
QUEUES_N=${QUEUES_N:-"1 10 100 1000"}; FANOUT_N=${FANOUT_N:-"1 2 5 10 20 50 100"}
TOPIC_N=${TOPIC_N:-"10 100 1000 10000 100000"}; SETUP_MAX=${SETUP_MAX:-600}
{ # the whole script is one compound command, read before it runs: editing this file during a run is safe
RESULTS=${RESULTS:-$ROOT/bench/results}; NAME=${NAME:-$(date +%F)-curves}
OUT=${OUT:-$(mktemp -d /tmp/warren-bench-curves.XXXXXX)}
mkdir -p "$OUT" "$RESULTS"; RES=$OUT/results.jsonl; LOG=$OUT/run.log
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [ ! -f dist/src/cli/warren-server.js ] || [ -n "$(find src -newer dist/src/cli/warren-server.js -name '*.ts' | head -1)" ]; then
  echo "building dist/ (npx tsc -p .)" >&2
  npx tsc -p . || exit 1
fi
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

points() { case $1 in queues) echo "$QUEUES_N";; fanout) echo "$FANOUT_N";; topic) echo "$TOPIC_N";; esac; }
curve_args() {   # curve n
  case $1 in
    queues) echo "--producers 1 --consumers $2 --queues $2 --size 256 --autoack";;
    fanout) echo "--producers 1 --fanout-queues $2 --size 256 --autoack";;
    topic)  echo "--producers 1 --consumers 1 --exchange-type topic --size 256 --autoack";;
  esac
}

run_point() {  # broker curve n rep
  local b=$1 c=$2 n=$3 r=$4 pid line other q try setup="null"
  pid=$(broker "$b" pid)
  for try in $(seq 1 "$TRIES"); do
    if [ "$c" = topic ]; then
      # garagemq binds in time linear in the bindings it has: 100,000 took over 5 min on the shared machine
      setup=$(timeout "$SETUP_MAX" node "$ROOT/bench/topic-bindings.mjs" "$(uri "$b")" "$n" 2>>"$OUT/stderr.log" | tail -1)
      if [ -z "$setup" ] || ! jq -e . >/dev/null 2>&1 <<<"$setup"; then
        log "$b topic n=$n: binding setup failed"; setup="null"; continue
      fi
    fi
    q=$(wait_quiet)
    line=$("$DIR/run.sh" --uri "$(uri "$b")" --seconds $((SECS + WARM)) --warmup "$WARM" --broker-pid "$pid" \
           --quiet --label "$b/$c-$n/r$r" $(curve_args "$c" "$n") 2>>"$OUT/stderr.log" | tail -1)
    if ! jq -e . >/dev/null 2>&1 <<<"$line"; then log "$b $c n=$n r$r: no result"; continue; fi
    record "$line" "$b" "$c-$n" "$r" "$try" "{\"curve\":\"$c\",\"n\":$n,\"pre\":\"$q\",\"setup\":$setup}"
    other=$(jq '.other_cpu_pct // 0 | floor' <<<"$line")
    log "$b $c n=$n r$r try$try ($q): $(jq -c '{sent_rate,recv_rate,broker_cpu_pct,other_cpu_pct,errors}' <<<"$line") setup=$setup"
    [ "$other" -le "$MAX_OTHER" ] && break
    log "  disturbed (other=${other}%), repeating"
  done
}

finish() {
  local suffix="" n=1
  [ -s "$RES" ] || { log "no results"; return 1; }
  while [ -e "$RESULTS/$NAME$suffix.md" ]; do n=$((n + 1)); suffix="-$n"; done
  cp "$RES" "$RESULTS/$NAME$suffix.jsonl"; cp "$LOG" "$RESULTS/$NAME$suffix.run.txt"
  machine_info > "$OUT/machine.md"
  node "$ROOT/bench/report.mjs" curves "$RESULTS/$NAME$suffix.jsonl" --builds "$OUT/builds.txt" \
    --machine "$OUT/machine.md" --elapsed "$SECONDS" \
    --meta "curves='$CURVES' reps=$REPS secs=$SECS warm=$WARM max_other=$MAX_OTHER tries=$TRIES" --note "${NOTE:-}" \
    > "$RESULTS/$NAME$suffix.md"
  log "results: $RESULTS/$NAME$suffix.md (work dir $OUT)"
}

trap 'trap - INT TERM; log "interrupted"; stop_all; wipe_data; exit 130' INT TERM

# rough duration on a quiet machine: each point's run plus ~10 s of generator start, topology and quiet-wait;
# 1,000 consumer connections and 100,000 bindings take longer to set up (more on RabbitMQ)
est=0
for c in $CURVES; do
  for n in $(points "$c"); do
    est=$((est + SECS + WARM + 10)); [ "$c" = queues ] && est=$((est + n / 50)); [ "$c" = topic ] && est=$((est + n / 2000))
  done
  est=$((est + 20))
done
nb=$(wc -w <<<"$BROKERS")
log "estimate: ~$((REPS * nb * est / 60)) min for $REPS repetition(s) of curves '$CURVES' on '$BROKERS' (quiet machine)"
log "start: reps=$REPS curves='$CURVES' brokers='$BROKERS' secs=$SECS warm=$WARM shared=$SHARED out=$OUT"
for r in $(seq 1 "$REPS"); do
  for b in $BROKERS; do
    for c in $CURVES; do
      start_broker "$b"
      for n in $(points "$c"); do
        # garagemq ignores exchange.delete: the bindings of the previous point would stay on bench.topic
        if [ "$c" = topic ] && [ "$(base "$b")" = garagemq ] && [ "$n" != "$(points "$c" | awk '{print $1}')" ]; then
          stop_broker "$b"; start_broker "$b"
        fi
        run_point "$b" "$c" "$n" "$r"
      done
      stop_broker "$b"
    done
  done
done
log "done in $((SECONDS / 60)) min $((SECONDS % 60)) s"
wipe_data
finish
exit
}
