#!/bin/bash
# Start/stop a private RabbitMQ 3.10.8 (Debian's rabbitmq-server) for differential tests, isolated from any
# system broker: node warren-ref@host, AMQP 127.0.0.1:${RABBIT_PORT:-5673}, management on RABBIT_PORT+10000
# (15673) when the plugin is enabled, state under ${RABBIT_STATE:-/tmp/warren-ref-rabbit} (wiped on start).
#   test/rabbitmq.sh start|stop|status|ctl ARGS...
set -e
PORT=${RABBIT_PORT:-5673}
STATE=${RABBIT_STATE:-/tmp/warren-ref-rabbit}
NODE=warren-ref@$(hostname -s)
RBIN=/usr/lib/rabbitmq/bin

env_for() {
  export HOME=$STATE/home
  export RABBITMQ_NODENAME=$NODE RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$PORT
  export RABBITMQ_DIST_PORT=$((PORT + 20000))
  export RABBITMQ_MNESIA_BASE=$STATE/mnesia RABBITMQ_LOG_BASE=$STATE/log
  export RABBITMQ_PID_FILE=$STATE/pid RABBITMQ_CONFIG_FILE=$STATE/rabbitmq.conf
  export RABBITMQ_ENABLED_PLUGINS_FILE=$STATE/enabled_plugins
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}
env_for
case "$1" in
  start)
    if [ -f "$RABBITMQ_PID_FILE" ] && kill -0 "$(cat "$RABBITMQ_PID_FILE")" 2>/dev/null; then
      echo "reference RabbitMQ already running on $PORT"; exit 0
    fi
    rm -rf "$STATE"; mkdir -p "$HOME" "$STATE/log"
    head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$HOME/.erlang.cookie"; chmod 400 "$HOME/.erlang.cookie"
    echo "[${RABBIT_PLUGINS:-}]." > "$RABBITMQ_ENABLED_PLUGINS_FILE"
    {
      printf 'listeners.tcp.default = 127.0.0.1:%s\n' "$PORT"
      printf 'management.tcp.port = %s\n' $((PORT + 10000))
      printf 'loopback_users = none\n'
    } > "$RABBITMQ_CONFIG_FILE"
    "$RBIN/rabbitmq-server" -detached
    "$RBIN/rabbitmqctl" -n "$NODE" -q wait "$RABBITMQ_PID_FILE" --timeout 120
    echo "reference RabbitMQ running: amqp://guest:guest@127.0.0.1:$PORT/" ;;
  stop)
    "$RBIN/rabbitmqctl" -n "$NODE" -q stop || true ;;
  status)
    "$RBIN/rabbitmqctl" -n "$NODE" status ;;
  ctl)
    shift; "$RBIN/rabbitmqctl" -n "$NODE" "$@" ;;
  *) echo "usage: $0 start|stop|status|ctl ARGS..." >&2; exit 64 ;;
esac
