#!/bin/bash
# `npm run bench`: the whole scenario matrix (a b c d e g f) on every installed broker, then the report.
#   bench/matrix.sh                         REPS=3 SECS=20 on warren + rabbit + garagemq (those installed)
#   REPS=1 SECS=5 SCENARIOS="a e" bench/matrix.sh
# Warren is always measured; RabbitMQ when /usr/lib/rabbitmq/bin/rabbitmq-server exists, garagemq when
# /usr/bin/garagemq does (both Debian packages). Brokers take turns per repetition (W R G W R G ...), one at a
# time, each started fresh. The runs themselves are bench/scenarios.sh's; this script builds dist/ when src/ is
# newer, picks the brokers and names the output:
#   bench/results/<date>-matrix.md    per scenario: each broker's msg/s, ratio vs RabbitMQ and vs garagemq,
#                                     broker CPU µs/msg, latency (e), RSS and publish/consume rates (f), machine
#   bench/results/<date>-matrix.jsonl every run, one JSON line each;  .run.txt the progress log
#   bench/results/<date>-matrix.svg   chart of the ratios vs RabbitMQ (throughput and CPU per message)
# Env: REPS (3), SECS (20), SCENARIOS ("a b c d e g f"), BROKERS (default: every installed one), NOTE (text put
#      in the report, e.g. "smoke, machine shared"), and everything bench/scenarios.sh takes (WARM, BACKLOG,
#      MAX_OTHER, TRIES, QUIET_PCT, QUIET_MAX, ports, RESULTS, OUT). NAME defaults to <date>-matrix.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ ! -f dist/src/cli/warren-server.js ] || [ -n "$(find src -newer dist/src/cli/warren-server.js -name '*.ts' | head -1)" ]; then
  echo "building dist/ (npx tsc -p .)" >&2
  npx tsc -p . || exit 1
fi
export SECS=${SECS:-20} NAME=${NAME:-$(date +%F)-matrix} REPORT=matrix
exec bench/scenarios.sh "${REPS:-3}" "${SCENARIOS:-a b c d e g f}" "${BROKERS:-auto}"
