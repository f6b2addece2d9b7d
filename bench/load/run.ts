// warren load tests: `node dist/bench/load/run.js [scenario...] [--url amqp://...] [--mgmt http://...] [--pid N]`.
// Without --url it starts its own Warren (dist/, WARREN_* environment as usual) and measures that process;
// with --url it uses that broker (e.g. the reference RabbitMQ: --url amqp://guest:guest@127.0.0.1:5673/
// --mgmt http://127.0.0.1:15673 --pid $(pgrep -f 'beam.smp.*warren-ref') --vhost flow-load). Prints one JSON
// line per scenario. Sizes: --connections 10000 --channels 1000 --queues 10000 --bindings 100000 --rate 1000
// --seconds 30 (issue 6's full sizes are the defaults); --durable declares durable queues; --queues-present N
// declares N queues first that stay during the scenarios.
import { startWarren, type TestBroker } from '../../test/support/broker.js';
import { dropVhost, ensureVhost, type Target } from './lib.js';
import { backgroundQueues, channels, churn, declares, idleConnections, type Result } from './scenarios.js';

const ALL = ['idle-connections', 'channels', 'declares', 'churn'] as const;

function parse(argv: string[]): { names: string[]; flags: Map<string, string> } {
  const names: string[] = [], flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) { names.push(a); continue; }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) flags.set(a.slice(2), 'true');
    else { flags.set(a.slice(2), next); i++; }
  }
  return { names, flags };
}

async function main(): Promise<void> {
  const { names, flags } = parse(process.argv.slice(2));
  const num = (k: string, d: number) => Number(flags.get(k) ?? d);
  let broker: TestBroker | undefined;
  let target: Target;
  const url = flags.get('url');
  if (url) {
    const u = new URL(url);
    const port = Number(u.port || 5672);
    target = { host: u.hostname, port, mgmtUrl: flags.get('mgmt') ?? `http://${u.hostname}:${port + 10000}`,
      vhost: flags.get('vhost') ?? '/', pid: flags.has('pid') ? num('pid', 0) : undefined };
  } else {
    broker = await startWarren();
    target = { host: broker.host, port: broker.port, mgmtUrl: broker.mgmtUrl, vhost: flags.get('vhost') ?? '/', pid: broker.proc!.pid };
  }
  await ensureVhost(target);
  const run: Record<(typeof ALL)[number], () => Promise<Result>> = {
    'idle-connections': () => idleConnections(target, { count: num('connections', 10_000) }),
    channels: () => channels(target, { count: num('channels', 1000) }),
    declares: () => declares(target, { queues: num('queues', 10_000), bindings: num('bindings', 100_000), durable: flags.has('durable') }),
    churn: () => churn(target, { rate: num('rate', 1000), seconds: num('seconds', 30) }),
  };
  const present = num('queues-present', 0);
  const dropPresent = present ? await backgroundQueues(target, present) : undefined;
  try {
    for (const n of names.length ? names : ALL) {
      const f = run[n as (typeof ALL)[number]];
      if (!f) throw new Error(`unknown scenario ${n}; one of ${ALL.join(', ')}`);
      console.log(JSON.stringify({ broker: url ? target.mgmtUrl : 'warren', ...(await f()) }));
    }
  } finally {
    await dropPresent?.();
    await dropVhost(target);
    await broker?.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
