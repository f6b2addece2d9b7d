// warren-perf's command line, named after RabbitMQ PerfTest's options where they mean the same thing, so a
// PerfTest command line mostly runs unchanged. Parsing is pure (argv in, options or an error out).
import { parseArgs } from 'node:util';
import type { FieldTable } from '../amqp/table.js';

export type ExchangeType = 'direct' | 'fanout' | 'topic';

export interface PerfOptions {
  uri: string;
  id: string;
  producers: number;
  consumers: number;
  /** Body bytes; at least 8, the send timestamp. */
  size: number;
  /** Messages per second per producer; 0 is as fast as possible. */
  rate: number;
  /** Unconfirmed publishes allowed per producer; 0 is no confirms. */
  confirm: number;
  persistent: boolean;
  autoack: boolean;
  /** Consumer prefetch; 0 is unlimited. */
  qos: number;
  multiAckEvery: number;
  /** Named queues (--queue or --queue-pattern); empty: every consumer gets a server-named exclusive queue. */
  queues: string[];
  queueArgs: FieldTable;
  autoDelete: boolean;
  exchange: string;
  type: ExchangeType;
  routingKey: string;
  bindingKey: string | undefined;
  /** Seconds; 0 is no time limit. */
  time: number;
  pmessages: number;
  cmessages: number;
  json: boolean;
  workers: number;
}

export const usage = `warren-perf: load generator for any AMQP 0-9-1 broker (PerfTest's option names)

  -h, --uri URI                 broker URI (default amqp://guest:guest@localhost:5672/), amqps:// for TLS
  -x, --producers N             producer connections (default 1)
  -y, --consumers N             consumer connections (default 1)
  -s, --size BYTES              message body size, at least 8 (a send timestamp) (default 12)
  -r, --rate R                  messages per second per producer (default: unlimited)
  -c, --confirm N               publisher confirms, at most N unconfirmed per producer
      --persistent              persistent messages (delivery mode 2) and durable named queues
  -a, --autoack                 consumers do not ack (no-ack mode)
  -q, --qos N                   consumer prefetch (default: unlimited)
      --multi-ack-every N       ack with multiple=true every N messages
  -u, --queue NAME              one named queue shared by all producers and consumers
      --queue-pattern P         named queues from a pattern with %d, e.g. 'perf-%d'
      --queue-pattern-from N    first number for the pattern (default 1)
      --queue-pattern-to N      last number for the pattern
      --queue-args k=v,...      queue arguments, e.g. x-max-length=1000,x-queue-mode=lazy
      --auto-delete BOOL        named queues are auto-delete (default true)
  -e, --exchange NAME           exchange (default "direct"; "" is the default exchange)
  -t, --type TYPE               exchange type: direct, fanout, topic (default direct)
  -k, --routing-key KEY         publish routing key (default: a random UUID)
      --binding-key KEY         queue binding key (default: the routing key)
  -z, --time SECONDS            run time (default: until -C/-D are reached, or Ctrl-C)
  -C, --pmessages N             messages per producer, then it stops
  -D, --cmessages N             messages per consumer, then it stops
      --workers N               spread producers and consumers over N worker threads
      --id ID                   test id printed on every line (default test-1)
      --json                    print one JSON object at the end instead of text
      --help                    this text`;

/** Parses k=v,k=v: integers become numbers, true/false booleans, the rest strings. */
export function parseQueueArgs(s: string): FieldTable {
  const t: FieldTable = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`--queue-args: expected key=value, got "${part}"`);
    const k = part.slice(0, eq), v = part.slice(eq + 1);
    t[k] = /^-?\d+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  return t;
}

function int(name: string, v: string | undefined, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${v}"`);
  return n;
}

export function parseOptions(argv: string[]): PerfOptions | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      uri: { type: 'string', short: 'h' },
      producers: { type: 'string', short: 'x' },
      consumers: { type: 'string', short: 'y' },
      size: { type: 'string', short: 's' },
      rate: { type: 'string', short: 'r' },
      confirm: { type: 'string', short: 'c' },
      persistent: { type: 'boolean' },
      autoack: { type: 'boolean', short: 'a' },
      qos: { type: 'string', short: 'q' },
      'multi-ack-every': { type: 'string' },
      queue: { type: 'string', short: 'u' },
      'queue-pattern': { type: 'string' },
      'queue-pattern-from': { type: 'string' },
      'queue-pattern-to': { type: 'string' },
      'queue-args': { type: 'string' },
      'auto-delete': { type: 'string' },
      exchange: { type: 'string', short: 'e' },
      type: { type: 'string', short: 't' },
      'routing-key': { type: 'string', short: 'k' },
      'binding-key': { type: 'string' },
      time: { type: 'string', short: 'z' },
      pmessages: { type: 'string', short: 'C' },
      cmessages: { type: 'string', short: 'D' },
      workers: { type: 'string' },
      id: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (v.help) return 'help';
  const type = (v.type ?? 'direct') as ExchangeType;
  if (!['direct', 'fanout', 'topic'].includes(type)) throw new Error(`--type: direct, fanout or topic, got "${type}"`);
  let queues: string[] = [];
  if (v.queue !== undefined && v['queue-pattern'] !== undefined) throw new Error('--queue and --queue-pattern exclude each other');
  if (v.queue !== undefined) queues = [v.queue];
  if (v['queue-pattern'] !== undefined) {
    const p = v['queue-pattern'];
    if (!p.includes('%d')) throw new Error('--queue-pattern needs %d, e.g. perf-%d');
    const from = int('queue-pattern-from', v['queue-pattern-from'], 1);
    const to = int('queue-pattern-to', v['queue-pattern-to'], from);
    if (to < from) throw new Error('--queue-pattern-to is below --queue-pattern-from');
    for (let i = from; i <= to; i++) queues.push(p.replace('%d', String(i)));
  }
  const ad = v['auto-delete'] ?? 'true';
  if (ad !== 'true' && ad !== 'false') throw new Error('--auto-delete: true or false');
  return {
    uri: v.uri ?? 'amqp://guest:guest@localhost:5672/',
    id: v.id ?? 'test-1',
    producers: int('producers', v.producers, 1),
    consumers: int('consumers', v.consumers, 1),
    size: Math.max(8, int('size', v.size, 12)),
    rate: int('rate', v.rate, 0),
    confirm: int('confirm', v.confirm, 0),
    persistent: v.persistent ?? false,
    autoack: v.autoack ?? false,
    qos: int('qos', v.qos, 0),
    multiAckEvery: int('multi-ack-every', v['multi-ack-every'], 0),
    queues,
    queueArgs: v['queue-args'] ? parseQueueArgs(v['queue-args']) : {},
    autoDelete: ad === 'true',
    exchange: v.exchange ?? 'direct',
    type,
    routingKey: v['routing-key'] ?? crypto.randomUUID(),
    bindingKey: v['binding-key'],
    time: int('time', v.time, 0),
    pmessages: int('pmessages', v.pmessages, 0),
    cmessages: int('cmessages', v.cmessages, 0),
    json: v.json ?? false,
    workers: int('workers', v.workers, 0),
  };
}
