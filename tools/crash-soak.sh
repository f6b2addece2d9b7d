#!/bin/bash
# Crash soak: the durability test's kill -9 loop for many more iterations than CI runs (20). Publishers on
# three connections with confirms into a durable queue (paged past a 25-message window) and a lazy durable
# queue; the broker is killed at a random moment each iteration, restarted, and every confirmed message must
# come back exactly once with nothing invented.
#   tools/crash-soak.sh [ITERATIONS]      (default 500; needs `npm run build` first)
set -euo pipefail
cd "$(dirname "$0")/.."
WARREN_CRASH_ITERATIONS=${1:-500} exec node --test --test-reporter=spec --test-name-pattern='kill -9 at random moments' \
  dist/test/integration/durability.test.js
