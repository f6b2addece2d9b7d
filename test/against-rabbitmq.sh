#!/bin/bash
# Run the integration tests against RabbitMQ 3.10.8 instead of Warren, so they encode RabbitMQ's behaviour.
# Needs `apt-get install rabbitmq-server`. Usage: test/against-rabbitmq.sh [test files...]
set -e
cd "$(dirname "$0")/.."
npx tsc -p .
# The management tests need the plugin (its API on RABBIT_PORT + 10000).
export RABBIT_PLUGINS=${RABBIT_PLUGINS-rabbitmq_management}
test/rabbitmq.sh start
export WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:${RABBIT_PORT:-5673}/
export WARREN_TEST_MGMT_URL=http://127.0.0.1:$(( ${RABBIT_PORT:-5673} + 10000 ))
if [ $# -eq 0 ]; then set -- dist/test/integration/; fi
node --test --test-reporter=spec --test-concurrency=1 "$@"
