// A group of producers and consumers running in one thread, and the plan that says which queue, exchange and
// routing key each one uses. The main thread samples a group once a second; with --workers each worker
// thread runs one group and answers samples over its message port (see worker.ts).
import { connect } from '../client/connection.js';
import { Consumer, Producer, Stats } from './agents.js';
import type { PerfOptions } from './options.js';

/** What one group reports: counters since the start, latency counts since the previous sample. */
export interface Snapshot {
  sent: number; confirmed: number; nacked: number; returned: number; received: number;
  hist: { counts: Float64Array; count: number; min: number; max: number };
  unconfirmed: number;
  producersDone: boolean;
  consumersDone: boolean;
  /** Set when a connection of the group failed. */
  error?: string;
}

/** Where producer i publishes: with a queue pattern, to its own queue's key; else to --routing-key. */
export function producerTarget(o: PerfOptions, i: number): { exchange: string; routingKey: string } {
  if (o.queues.length > 1 || (o.exchange === '' && o.queues.length > 0)) return { exchange: o.exchange, routingKey: o.queues[i % o.queues.length]! };
  return { exchange: o.exchange, routingKey: o.routingKey };
}

/** The key a queue is bound with: its own name under a pattern, '' for fanout, else the binding/routing key. */
function bindingKey(o: PerfOptions, queue: string | undefined): string {
  if (o.type === 'fanout') return '';
  if (queue !== undefined && o.queues.length > 1) return queue;
  return o.bindingKey ?? o.routingKey;
}

/** Declares the exchange (unless it is the default or an amq.* one) and the named queues with their bindings. */
export async function declareTopology(o: PerfOptions): Promise<void> {
  const conn = await connect(o.uri, { connectionName: `warren-perf ${o.id} setup` });
  try {
    let ch = await conn.createChannel();
    if (o.exchange !== '' && !o.exchange.startsWith('amq.')) {
      // An existing exchange is used as it is (PerfTest's "direct" may already exist, durable or not);
      // a failed passive declare closes the channel, so a new one declares it.
      try { await ch.exchangeDeclare(o.exchange, o.type, { passive: true }); } catch {
        ch = await conn.createChannel();
        await ch.exchangeDeclare(o.exchange, o.type, { durable: true });
      }
    }
    for (const q of o.queues) {
      await ch.queueDeclare(q, { durable: o.persistent, autoDelete: o.autoDelete, arguments: o.queueArgs });
      if (o.exchange !== '') await ch.queueBind(q, o.exchange, bindingKey(o, q));
    }
  } finally {
    await conn.close();
  }
}

export class Group {
  readonly stats = new Stats();
  producers: Producer[] = [];
  consumers: Consumer[] = [];
  private runs: Promise<void>[] = [];
  private error: string | undefined;

  constructor(private readonly o: PerfOptions, private readonly producerIds: number[], private readonly consumerIds: number[]) {}

  /** Consumers first, so their queues are bound before the first publish; then producers start publishing. */
  async start(): Promise<void> {
    const o = this.o;
    this.consumers = await Promise.all(this.consumerIds.map((i) => {
      const q = o.queues.length ? o.queues[i % o.queues.length] : undefined;
      return Consumer.start(o, this.stats, i, q, bindingKey(o, q));
    }));
    this.producers = await Promise.all(this.producerIds.map((i) => {
      const t = producerTarget(o, i);
      return Producer.start(o, this.stats, i, t.exchange, t.routingKey);
    }));
    for (const a of [...this.consumers, ...this.producers]) {
      a.conn.on('close', (err?: Error) => { if (err) this.error ??= err.message; });
    }
    this.runs = this.producers.map((p) => p.run().catch((e: Error) => { this.error ??= e.message; }));
  }

  sample(): Snapshot {
    const s = this.stats, h = s.interval;
    const snap: Snapshot = {
      sent: s.sent, confirmed: s.confirmed, nacked: s.nacked, returned: s.returned, received: s.received,
      hist: { counts: h.counts.slice(), count: h.count, min: h.min, max: h.max },
      unconfirmed: this.producers.reduce((n, p) => n + p.unconfirmed, 0),
      producersDone: this.producers.every((p) => p.done),
      consumersDone: this.consumers.every((c) => c.done),
    };
    if (this.error) snap.error = this.error;
    h.reset();
    return snap;
  }

  /** Stops publishing, gives outstanding confirms up to `confirmWaitMs`, closes every connection. */
  async stop(confirmWaitMs = 1000): Promise<Snapshot> {
    for (const p of this.producers) p.stop();
    await Promise.all(this.runs);
    const until = Date.now() + confirmWaitMs;
    while (this.producers.some((p) => p.unconfirmed > 0 && !p.conn.closed) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const snap = this.sample();
    // A consumer far behind a fast producer has a long backlog in flight before the broker's close-ok;
    // the figures are taken, so after a second the socket is simply dropped.
    for (const c of this.consumers) c.done = true;
    await Promise.all([...this.producers, ...this.consumers].map((a) =>
      Promise.race([a.conn.close().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]).then(() => a.conn.socket.destroy())));
    return snap;
  }
}
