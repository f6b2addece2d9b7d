#!/bin/bash
# Warren vs RabbitMQ on the shared, neutral scenario matrix. See bench/README.md.
#   bench/scenarios.sh [REPS] [SCENARIOS] [BROKERS]        e.g. bench/scenarios.sh 3 "a b d g"
# Defaults: REPS=3, SCENARIOS="a b d g", BROKERS="warren rabbit" ("auto": every installed broker; alternated per
# repetition: W R W R ..., each broker started fresh for each repetition, one broker at a time).
#
# The scenario definitions, the run/record functions and the RabbitMQ/garagemq start/stop come from the shared
# bench (see bench/lib.sh, which finds it, builds the generator and adds the warren broker); they are read from
# its scenarios.sh at run time, not copied. bench/matrix.sh (npm run bench) runs this on every installed broker.
#
# Output: bench/results/<date>-<scenarios>.md (ratio table, CPU per message, shared summary, per-run table),
#         bench/results/<date>-<scenarios>.jsonl (raw, one JSON line per run) and .run.txt (progress log).
#         With REPORT=matrix: bench/report.mjs's report (every broker vs rabbit and garagemq) and a chart .svg.
# f (backlog) runs classic and lazy queues on Warren and RabbitMQ, classic only on garagemq (which ignores
# x-queue-mode). The brokers' data directories are wiped at the end (a 1M x 1 KB backlog leaves a GB).
# Env (passed to the shared functions): SECS (20), WARM (2), MAX_OTHER (30), TRIES (3), BACKLOG (1000000),
#      REP_START (1); QUIET_PCT (15), QUIET_MAX (240): the quiet-wait before each run (% of one core, seconds);
#      WARREN_BENCH_PORT (5682), RABBIT_PORT (5672), GARAGE_PORT (5680); OUT (work dir, default a new temp dir);
#      RESULTS (bench/results); NAME (result file stem, default <date>-<scenarios joined by '-'>);
#      REPORT (compare | matrix), NOTE (text for the matrix report); BROKERS as the third argument or env.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPS=${1:-3}; SCEN=${2:-"a b d g"}; BROKERS=${3:-${BROKERS:-"warren rabbit"}}   # "auto": every installed one
SECS=${SECS:-20}; WARM=${WARM:-2}; BACKLOG=${BACKLOG:-1000000}; MAX_OTHER=${MAX_OTHER:-30}; TRIES=${TRIES:-3}
{ # the whole script is one compound command, read before it runs: editing this file during a run is safe
RESULTS=${RESULTS:-$ROOT/bench/results}
SET=$(tr -s ' ' '\n' <<<"$SCEN" | grep -v '^$' | paste -sd-)
NAME=${NAME:-$(date +%F)-$SET}
OUT=${OUT:-$(mktemp -d /tmp/warren-bench-run.XXXXXX)}
mkdir -p "$OUT" "$RESULTS"; RES=$OUT/results.jsonl; LOG=$OUT/run.log
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

finish() {
  local suffix="" n=1
  [ -s "$RES" ] || { log "no results"; return 1; }
  while [ -e "$RESULTS/$NAME$suffix.md" ]; do n=$((n + 1)); suffix="-$n"; done
  cp "$RES" "$RESULTS/$NAME$suffix.jsonl"; cp "$LOG" "$RESULTS/$NAME$suffix.run.txt"   # not .log: the repository ignores *.log
  local meta="scenarios='$SCEN' reps=$REPS secs=$SECS warm=$WARM backlog=$BACKLOG max_other=$MAX_OTHER tries=$TRIES"
  if [ "${REPORT:-compare}" = matrix ]; then    # every broker against rabbit and garagemq, chart (bench/matrix.sh)
    machine_info > "$OUT/machine.md"
    node "$ROOT/bench/report.mjs" matrix "$RESULTS/$NAME$suffix.jsonl" --meta "$meta" --note "${NOTE:-}" \
      --builds "$OUT/builds.txt" --machine "$OUT/machine.md" --elapsed "$SECONDS" > "$RESULTS/$NAME$suffix.md"
  else
    python3 "$ROOT/bench/compare.py" "$RESULTS/$NAME$suffix.jsonl" --brokers "$BROKERS" --shared "$SHARED" \
      --meta "$meta" --builds "$OUT/builds.txt" > "$RESULTS/$NAME$suffix.md"
  fi
  log "results: $RESULTS/$NAME$suffix.md (work dir $OUT)"
}

# an interrupted run stops the broker it started
trap 'trap - INT TERM; log "interrupted"; stop_all; wipe_data; exit 130' INT TERM

# a rough duration for a quiet machine (quiet-waits and repeated tries come on top); f: publish + drain at ~25k/s
est=0
for b in $BROKERS; do
  timed=$(tr ' ' '\n' <<<"$SCEN" | grep -c -v -E '^(fp?)?$')
  nf=0; lazy=2; [ "$(base "$b")" = garagemq ] && lazy=1
  grep -qw f <<<"$SCEN" && nf=$((nf + lazy)); grep -qw fp <<<"$SCEN" && nf=$((nf + lazy))
  est=$((est + 20 + timed * (SECS + WARM + 10) + nf * (40 + 2 * BACKLOG / 25000)))
done
log "estimate: ~$((REPS * est / 60)) min for $REPS repetition(s) of '$SCEN' on '$BROKERS' (quiet machine)"

log "start: reps=$REPS scenarios='$SCEN' brokers='$BROKERS' secs=$SECS warm=$WARM shared=$SHARED out=$OUT"
R0=${REP_START:-1}
for r in $(seq "$R0" $((R0 + REPS - 1))); do
  for b in $BROKERS; do
    timed=$(tr ' ' '\n' <<<"$SCEN" | grep -v -E '^(fp?)?$' | tr '\n' ' ')
    if [ -n "${timed// /}" ]; then
      start_broker "$b"
      for s in $timed; do run_timed "$b" "$s" "$r"; done
      stop_broker "$b"
    fi
    if grep -qw f <<<"$SCEN"; then
      run_backlog "$b" "$r" classic
      # garagemq accepts x-queue-mode but ignores it (it always pages past queue.maxMessagesInRam)
      [ "$(base "$b")" != garagemq ] && run_backlog "$b" "$r" lazy
    fi
    if grep -qw fp <<<"$SCEN"; then
      run_backlog "$b" "$r" classic-persistent
      [ "$(base "$b")" != garagemq ] && run_backlog "$b" "$r" lazy-persistent
    fi
  done
done
log "done in $((SECONDS / 60)) min $((SECONDS % 60)) s"
wipe_data
finish
exit
}
