# Sourced by bench/scenarios.sh and bench/curves.sh: the load generator build, the Warren snapshot, the functions
# read from the shared scenarios.sh, and the broker dispatch (warren, rabbit, garagemq and their variants).
# Expects ROOT, OUT, LOG and BROKERS ("auto" = every installed broker) to be set; sets SHARED, the shared bench:
# $BENCH_DIR, else ../shared/bench next to the repository (or next to the worktree directory holding it).
# Nothing here writes to the shared bench directory.

for SHARED in "${BENCH_DIR:-}" "$ROOT/../shared/bench" "$ROOT/../../shared/bench"; do
  [ -n "$SHARED" ] && [ -f "$SHARED/scenarios.sh" ] && break
done
[ -f "$SHARED/scenarios.sh" ] || { echo "shared bench not found (set BENCH_DIR)" >&2; exit 1; }
SHARED=$(cd "$SHARED" && pwd)

WARREN_BENCH_PORT=${WARREN_BENCH_PORT:-5682}; RABBIT_PORT=${RABBIT_PORT:-5672}; GARAGE_PORT=${GARAGE_PORT:-5680}
export WARREN_BENCH_PORT RABBIT_PORT GARAGE_PORT
BENCH_STATE=${BENCH_STATE:-/tmp/bench-brokers}; export BENCH_STATE   # the shared broker.sh's state dir

# Which brokers are installed: Warren always, the others when their Debian package is.
installed_brokers() {
  local b=warren
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && b="$b rabbit"
  [ -x /usr/bin/garagemq ] && b="$b garagemq"
  echo "$b"
}
[ "$BROKERS" = auto ] && BROKERS=$(installed_brokers)

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
for f in log base variant_env uri args_for busy_pct stop_broker record run_timed run_backlog; do
  eval "$(shared_fn "$f")"
  declare -F "$f" >/dev/null || { echo "function $f not found in $SHARED/scenarios.sh" >&2; exit 1; }
done

# The shared wait_quiet with its two constants as settings: a shared machine can stay busy for long, and the
# lead's quiet-machine runs want the 240 s default while a smoke pass does not.
QUIET_PCT=${QUIET_PCT:-15}; QUIET_MAX=${QUIET_MAX:-240}
wait_quiet() {
  local start=$SECONDS b
  while :; do
    b=$(busy_pct 2)
    [ "$b" -le "$QUIET_PCT" ] && break
    [ $((SECONDS - start)) -ge "$QUIET_MAX" ] && break
  done
  echo "busy=${b}% waited=$((SECONDS - start))s"
}

# --- broker dispatch and ports (the shared ones only know rabbit and garagemq)
broker() {
  case $(base "$1") in
    warren) "$ROOT/bench/broker-warren.sh" "${@:2}";;
    *) env "$(variant_env "$1")" "$SHARED/broker.sh" "$(base "$1")" "${@:2}";;
  esac
}
port() { case $(base "$1") in warren) echo "$WARREN_BENCH_PORT";; rabbit) echo "$RABBIT_PORT";; garagemq) echo "$GARAGE_PORT";; esac; }

# A start that fails (a port still in TIME_WAIT, a slow Erlang boot) is retried once after a stop.
start_broker() {
  local try
  for try in 1 2; do
    if broker "$1" start >>"$LOG" 2>&1; then break; fi
    log "cannot start $1 (try $try)"
    broker "$1" stop >>"$LOG" 2>&1; sleep 5
    [ "$try" = 2 ] && exit 1
  done
  case $(base "$1") in   # which build / version was measured
    warren) echo "$1: $(tr '\n' ' ' < "${WARREN_BENCH_STATE:-/tmp/warren-bench-$WARREN_BENCH_PORT}/build.txt")" >>"$OUT/builds.txt";;
    rabbit) echo "$1: rabbitmq-server $(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null)," \
                 "erlang $(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null)" >>"$OUT/builds.txt";;
    garagemq) echo "$1: garagemq $(dpkg-query -W -f '${Version}' garagemq 2>/dev/null)" >>"$OUT/builds.txt";;
  esac
  sleep 3
}

broker_running() {
  case $(base "$1") in
    warren) broker "$1" pid >/dev/null 2>&1;;
    rabbit) [ -f "$BENCH_STATE/rabbit/pid" ] && kill -0 "$(cat "$BENCH_STATE/rabbit/pid")" 2>/dev/null;;
    garagemq) [ -f "$BENCH_STATE/garagemq/pid" ] && kill -0 "$(cat "$BENCH_STATE/garagemq/pid")" 2>/dev/null;;
  esac
}

# Stop whatever of ours still runs (after an interrupt, or left over by an earlier interrupted run).
stop_all() {
  local b
  for b in $BROKERS; do broker_running "$b" && { log "stopping $b"; broker "$b" stop >>"$LOG" 2>&1; }; done
  return 0
}

# The brokers' data (a 1M x 1 KB backlog leaves a GB behind) once the run is over; logs stay.
wipe_data() {
  rm -rf "${WARREN_BENCH_STATE:-/tmp/warren-bench-$WARREN_BENCH_PORT}/data" "$BENCH_STATE/rabbit/mnesia" \
         "$BENCH_STATE/garagemq/db"
}

# machine the figures came from, as Markdown bullet lines
machine_info() {
  echo "- CPU: $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(nproc) cores"
  echo "- RAM: $(awk '/^MemTotal/{printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); kernel $(uname -sr)"
  echo "- node $(node --version); erlang $(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null || echo n/a);" \
       "java $(java -version 2>&1 | awk -F'"' '/version/{print $2; exit}')"
  echo "- load average at start/end: ${LOAD_START:-?} / $(cut -d' ' -f1-3 /proc/loadavg)"
}
