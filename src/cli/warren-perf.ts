#!/usr/bin/env node
// warren-perf: a load generator for any AMQP 0-9-1 broker, in the role of RabbitMQ's PerfTest, on Warren's own
// client (src/client). Options: src/perf/options.ts; the run: src/perf/run.ts. Exit code 1 on a broker error.
import { parseOptions, usage } from '../perf/options.js';
import { runPerf } from '../perf/run.js';
import { summaryLines } from '../perf/report.js';

async function main(): Promise<number> {
  let o;
  try { o = parseOptions(process.argv.slice(2)); } catch (e) {
    process.stderr.write(`warren-perf: ${(e as Error).message}\n(--help for the options)\n`);
    return 2;
  }
  if (o === 'help') { process.stdout.write(usage + '\n'); return 0; }
  const result = await runPerf(o, (line) => process.stdout.write(line + '\n'));
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(summaryLines(result).join('\n') + '\n');
  return result.error ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: Error) => {
  process.stderr.write(`warren-perf: ${e.message}\n`);
  process.exitCode = 1;
});
