#!/bin/bash
# Warren vs RabbitMQ on the shared, neutral scenario matrix. See bench/README.md.
#   bench/scenarios.sh [REPS] [SCENARIOS] [BROKERS]        e.g. bench/scenarios.sh 3 "a b d g"
# Defaults: REPS=3, SCENARIOS="a b d g", BROKERS="warren rabbit" (alternated per repetition: W R W R ...,
# each broker started fresh for each repetition, one broker at a time).
#
# The scenario definitions, the quiet-wait and retry logic, the run/record functions and the RabbitMQ start/stop
# all come from the shared bench at ${BENCH_DIR:-../shared/bench} (relative to the repository root); they are
# read from its scenarios.sh at run time, not copied. Only the broker dispatch (warren -> bench/broker-warren.sh)
# and the ports are defined here. AmqpBench.java (with the shared build.sh/run.sh) is copied to and built in
# ${BENCH_BUILD:-/tmp/warren-bench-java}, so the shared dir is only read.
#
# Output: bench/results/<date>-<scenarios>.md (ratio table, CPU per message, shared summary, per-run table),
#         bench/results/<date>-<scenarios>.jsonl (raw, one JSON line per run) and .run.txt (progress log).
# Env (passed to the shared functions): SECS (20), WARM (2), MAX_OTHER (30), TRIES (3), BACKLOG (1000000),
#      REP_START (1); WARREN_BENCH_PORT (5682), RABBIT_PORT (5672); OUT (work dir, default a new temp dir);
#      RESULTS (bench/results); NAME (result file stem, default <date>-<scenarios joined by '-'>).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$ROOT" && cd "${BENCH_DIR:-../shared/bench}" && pwd) || { echo "shared bench not found" >&2; exit 1; }
REPS=${1:-3}; SCEN=${2:-"a b d g"}; BROKERS=${3:-"warren rabbit"}
SECS=${SECS:-20}; WARM=${WARM:-2}; BACKLOG=${BACKLOG:-1000000}; MAX_OTHER=${MAX_OTHER:-30}; TRIES=${TRIES:-3}
WARREN_BENCH_PORT=${WARREN_BENCH_PORT:-5682}; RABBIT_PORT=${RABBIT_PORT:-5672}
export WARREN_BENCH_PORT RABBIT_PORT
RESULTS=${RESULTS:-$ROOT/bench/results}
SET=$(tr -s ' ' '\n' <<<"$SCEN" | grep -v '^$' | paste -sd-)
NAME=${NAME:-$(date +%F)-$SET}
OUT=${OUT:-$(mktemp -d /tmp/warren-bench-run.XXXXXX)}
mkdir -p "$OUT" "$RESULTS"; RES=$OUT/results.jsonl; LOG=$OUT/run.log

# --- the load generator: built from the shared AmqpBench.java in a temp dir (the shared dir is never written)
DIR=${BENCH_BUILD:-/tmp/warren-bench-java}
if ! cmp -s "$SHARED/AmqpBench.java" "$DIR/AmqpBench.java" || [ ! -f "$DIR/classes/AmqpBench.class" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  cp "$SHARED/AmqpBench.java" "$SHARED/build.sh" "$SHARED/run.sh" "$DIR/"
  "$DIR/build.sh" >&2 || { echo "cannot build AmqpBench in $DIR" >&2; exit 1; }
fi

# --- Warren: one snapshot of dist/ for the whole run, so a rebuild meanwhile does not change what is measured
if grep -qw warren <<<"${BROKERS//+/ }"; then
  "$ROOT/bench/broker-warren.sh" snapshot "$OUT/warren-app" || exit 1
  export WARREN_BENCH_APP=$OUT/warren-app
fi

# --- functions from the shared scenarios.sh (a one-line definition, or up to the first "}" in column 0)
shared_fn() {
  awk -v n="$1" '
    !on && $0 ~ "^" n "\\(\\) *\\{" { on = 1; print; if ($0 ~ /\}[ \t]*$/) exit; next }
    on { print; if ($0 ~ /^\}/) exit }' "$SHARED/scenarios.sh"
}
for f in log base variant_env uri args_for busy_pct wait_quiet stop_broker record run_timed run_backlog; do
  eval "$(shared_fn "$f")"
  declare -F "$f" >/dev/null || { echo "function $f not found in $SHARED/scenarios.sh" >&2; exit 1; }
done

# --- broker dispatch and ports (the shared ones only know rabbit and garagemq)
broker() {
  case $(base "$1") in
    warren) "$ROOT/bench/broker-warren.sh" "${@:2}";;
    *) env "$(variant_env "$1")" "$SHARED/broker.sh" "$(base "$1")" "${@:2}";;
  esac
}
port() { case $(base "$1") in warren) echo "$WARREN_BENCH_PORT";; rabbit) echo "$RABBIT_PORT";; garagemq) echo 5680;; esac; }
start_broker() {
  broker "$1" start >>"$LOG" 2>&1 || { log "cannot start $1"; exit 1; }
  case $(base "$1") in   # which build / version was measured
    warren) echo "$1: $(tr '\n' ' ' < "${WARREN_BENCH_STATE:-/tmp/warren-bench-$WARREN_BENCH_PORT}/build.txt")" >>"$OUT/builds.txt";;
    rabbit) echo "$1: rabbitmq-server $(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null)," \
                 "erlang $(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null)" >>"$OUT/builds.txt";;
  esac
  sleep 3
}

finish() {
  local suffix="" n=1
  [ -s "$RES" ] || { log "no results"; return 1; }
  while [ -e "$RESULTS/$NAME$suffix.md" ]; do n=$((n + 1)); suffix="-$n"; done
  cp "$RES" "$RESULTS/$NAME$suffix.jsonl"; cp "$LOG" "$RESULTS/$NAME$suffix.run.txt"   # not .log: the repository ignores *.log
  python3 "$ROOT/bench/compare.py" "$RESULTS/$NAME$suffix.jsonl" --brokers "$BROKERS" --shared "$SHARED" \
    --meta "scenarios='$SCEN' reps=$REPS secs=$SECS warm=$WARM max_other=$MAX_OTHER tries=$TRIES" \
    --builds "$OUT/builds.txt" > "$RESULTS/$NAME$suffix.md"
  log "results: $RESULTS/$NAME$suffix.md (work dir $OUT)"
}

# an interrupted run stops the broker it started
trap 'trap - INT TERM; log "interrupted"; for b in $BROKERS; do broker "$b" pid >/dev/null 2>&1 && broker "$b" stop >>"$LOG" 2>&1; done; exit 130' INT TERM

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
      [ "$(base "$b")" = rabbit ] && run_backlog "$b" "$r" lazy
    fi
    if grep -qw fp <<<"$SCEN"; then
      run_backlog "$b" "$r" classic-persistent
      [ "$(base "$b")" = rabbit ] && run_backlog "$b" "$r" lazy-persistent
    fi
  done
done
log "done"
finish
