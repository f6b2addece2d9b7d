// warren-perf's producers and consumers. Each has its own connection and channel (as in PerfTest). A message
// body carries process.hrtime.bigint() at publish in its first 8 bytes; consumers run in the same process, on
// the same monotonic clock, so receive time minus that stamp is the end-to-end latency.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { connect, type Connection } from '../client/connection.js';
import type { Channel, Message } from '../client/channel.js';
import type { BasicProperties } from '../amqp/spec.generated.js';
import { Histogram } from './histogram.js';
import type { PerfOptions } from './options.js';

/** Counters of one thread's agents; latencies in microseconds. */
export class Stats {
  sent = 0;
  confirmed = 0;
  nacked = 0;
  returned = 0;
  received = 0;
  /** Since the last sample; reset by whoever samples. */
  readonly interval = new Histogram();
}

/** Publishes per batch before giving the event loop a turn (socket reads, confirms, same-thread consumers). */
const BATCH = 200;
/** The writer copies bodies below this size, so one scratch body can be reused (see Writer.body). */
const COPIED_BODY = 4096;
/** A stamp that yields a latency beyond this is not ours (another publisher's message): ignored. */
const MAX_LATENCY_US = 3600e6;

const connName = (o: PerfOptions, role: string, i: number) => `warren-perf ${o.id} ${role}-${i}`;

export class Producer {
  sent = 0;
  done = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly template: Buffer;
  private readonly props: BasicProperties;

  private constructor(
    readonly conn: Connection, private readonly ch: Channel, private readonly o: PerfOptions,
    private readonly stats: Stats, private readonly exchange: string, private readonly routingKey: string,
  ) {
    this.template = Buffer.alloc(o.size);
    this.props = { deliveryMode: o.persistent ? 2 : 1 };
  }

  static async start(o: PerfOptions, stats: Stats, i: number, exchange: string, routingKey: string): Promise<Producer> {
    const conn = await connect(o.uri, { connectionName: connName(o, 'producer', i) });
    const ch = await conn.createChannel();
    const p = new Producer(conn, ch, o, stats, exchange, routingKey);
    if (o.confirm > 0) {
      await ch.confirmSelect((ack, count) => {
        if (ack) stats.confirmed += count; else stats.nacked += count;
        if (p.wake && ch.confirms!.unconfirmed < o.confirm) { const w = p.wake; p.wake = undefined; w(); }
      });
    }
    ch.on('return', () => { stats.returned++; });
    return p;
  }

  get unconfirmed(): number { return this.ch.confirms?.unconfirmed ?? 0; }

  private room(): number {
    let n = this.o.pmessages > 0 ? this.o.pmessages - this.sent : Infinity;
    if (this.o.confirm > 0) n = Math.min(n, this.o.confirm - this.unconfirmed);
    return n;
  }

  /** One publish; false when the socket wants a drain. */
  private publishOne(): boolean {
    const body = this.o.size < COPIED_BODY ? this.template : Buffer.from(this.template);
    body.writeBigUInt64BE(process.hrtime.bigint(), 0);
    const ok = this.ch.publish(this.exchange, this.routingKey, body, this.props);
    this.sent++;
    this.stats.sent++;
    return ok;
  }

  /** Publishes until stopped or --pmessages is reached, at --rate if given, within the --confirm window. */
  async run(): Promise<void> {
    const started = performance.now();
    const { rate, pmessages } = this.o;
    while (!this.stopped && !this.ch.closed && !(pmessages > 0 && this.sent >= pmessages)) {
      let budget = Math.min(BATCH, this.room());
      if (rate > 0) budget = Math.min(budget, Math.floor(((performance.now() - started) / 1000) * rate) - this.sent);
      let drained = true;
      for (let k = 0; k < budget && drained; k++) drained = this.publishOne();
      if (!drained) await this.ch.waitForDrain();
      else if (this.o.confirm > 0 && this.room() <= 0 && this.unconfirmed > 0) await new Promise<void>((r) => { this.wake = r; });
      else if (rate > 0 && budget <= 0) await sleep(Math.max(1, ((this.sent + 1) / rate) * 1000 - (performance.now() - started)));
      else await nextTurn();
    }
    this.done = true;
  }

  stop(): void {
    this.stopped = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

export class Consumer {
  received = 0;
  done = false;
  private unacked = 0;
  private readonly ackEvery: number;

  private constructor(readonly conn: Connection, private readonly ch: Channel, private readonly o: PerfOptions, private readonly stats: Stats) {
    // A multiple-ack interval above the prefetch would wait forever for deliveries the broker holds back.
    this.ackEvery = o.qos > 0 && o.multiAckEvery > o.qos ? o.qos : o.multiAckEvery;
  }

  /** Connects and consumes `queue`, or a server-named exclusive queue bound to the exchange when undefined. */
  static async start(o: PerfOptions, stats: Stats, i: number, queue: string | undefined, bindingKey: string): Promise<Consumer> {
    const conn = await connect(o.uri, { connectionName: connName(o, 'consumer', i) });
    const ch = await conn.createChannel();
    const c = new Consumer(conn, ch, o, stats);
    let q = queue;
    if (q === undefined) {
      q = (await ch.queueDeclare('', { exclusive: true, autoDelete: true, arguments: o.queueArgs })).queue;
      if (o.exchange !== '') await ch.queueBind(q, o.exchange, bindingKey);
    }
    if (!o.autoack && o.qos > 0) await ch.qos(o.qos);
    await ch.consume(q, c.onMessage, { noAck: o.autoack });
    return c;
  }

  private readonly onMessage = (m: Message): void => {
    if (this.done) return;
    const body = m.body;
    if (body.length >= 8) {
      const us = Number(process.hrtime.bigint() - body.readBigUInt64BE(0)) / 1000;
      if (us >= 0 && us < MAX_LATENCY_US) this.stats.interval.record(us);
    }
    this.stats.received++;
    this.received++;
    if (!this.o.autoack) {
      if (this.ackEvery > 1) {
        if (++this.unacked >= this.ackEvery) { this.ch.ack(m.fields.deliveryTag, true); this.unacked = 0; }
      } else this.ch.ack(m.fields.deliveryTag);
    }
    if (this.o.cmessages > 0 && this.received >= this.o.cmessages) {
      this.done = true;
      if (this.unacked > 0) { this.ch.ack(m.fields.deliveryTag, true); this.unacked = 0; }
    }
  };
}
