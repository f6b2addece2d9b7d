// Statistics sampling as RabbitMQ's management agent in "basic" rates mode: every collect_statistics_interval
// (5 s) each queue, exchange, channel and connection is sampled; a rate is the change since the previous
// sample per second. Vhost and node totals (message_stats, queue lengths, bytes, churn) are computed at the
// same moment, folding in the final counters of channels and connections closed since the last sample.
import type { Broker } from '../broker/broker.js';
import { MessageStats } from '../broker/stats.js';
import type { Channel } from '../server/channel.js';
import type { Connection } from '../server/connection.js';
import type { Server } from '../server/server.js';

export type Counters = Record<string, number>;

/** message_stats keys per object kind, as RabbitMQ reports them. */
export const QUEUE_STATS = ['publish', 'deliver', 'deliver_no_ack', 'get', 'get_no_ack', 'deliver_get', 'redeliver', 'ack', 'get_empty'];
export const EXCHANGE_STATS = ['publish_in', 'publish_out'];
export const CHANNEL_STATS = ['publish', 'confirm', 'deliver', 'deliver_no_ack', 'get', 'get_no_ack', 'get_empty', 'deliver_get',
  'redeliver', 'ack', 'return_unroutable', 'drop_unroutable'];
export const LENGTHS = ['messages', 'messages_ready', 'messages_unacknowledged'];
export const CHURN = ['connection_created', 'connection_closed', 'channel_created', 'channel_closed', 'queue_declared',
  'queue_created', 'queue_deleted'];

interface Sample { t: number; v: Counters; rates: Counters; changedAt: number }

/** Counters of a vhost or of the node as of the last sample. */
export interface Totals { stats: Counters; lengths: Counters; bytes: Counters }

const pick = (all: Counters, keys: string[]): Counters => {
  const o: Counters = {};
  for (const k of keys) o[k] = all[k] ?? 0;
  return o;
};

export function statsOf(s: MessageStats, keys: string[]): Counters { return pick(s.toJSON(), keys); }

function add(into: Counters, from: Counters): void { for (const k in from) into[k] = (into[k] ?? 0) + from[k]!; }

export class StatsSampler {
  private readonly samples = new WeakMap<object, Sample>();
  private timer: NodeJS.Timeout | undefined;
  /** Channels and connections seen at the last sample, with their vhost: to fold in their final counters. */
  private channelsSeen = new Map<Channel, string>();
  private connectionsSeen = new Map<Connection, string>();
  /** Counters of closed channels (message stats) and connections (bytes) per vhost. */
  private readonly retired = new Map<string, { stats: Counters; bytes: Counters }>();
  private readonly vhostTotals = new Map<string, Totals>();
  private nodeTotals: Totals & { churn: Counters } = { stats: {}, lengths: {}, bytes: {}, churn: {} };
  private readonly totalKeys = new Map<string, object>();
  private queuesCreated = 0;
  private queuesDeleted = 0;
  /** Per vhost: what the management API itself published and got (RabbitMQ counts its direct channel). */
  private readonly directStats = new Map<string, MessageStats>();

  constructor(private readonly broker: Broker, private readonly server: Server, readonly intervalMs: number,
    private readonly now: () => number = Date.now) {
    broker.onChange((c) => {
      if (c.type === 'queue.added') this.queuesCreated++;
      else if (c.type === 'queue.removed') this.queuesDeleted++;
      else if (c.type === 'vhost.removed') {
        this.retired.delete(c.name); this.vhostTotals.delete(c.name); this.directStats.delete(c.name);
      }
    });
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void { clearInterval(this.timer); this.timer = undefined; }

  /** Rates per second of the object's counters at the last sample (undefined before its first). */
  rates(obj: object): Counters | undefined { return this.samples.get(obj)?.rates; }

  /** When the object's counters last changed (ms), for idle_since. */
  changedAt(obj: object): number | undefined { return this.samples.get(obj)?.changedAt; }

  vhost(name: string): Totals | undefined { return this.vhostTotals.get(name); }

  direct(vhost: string): MessageStats {
    let s = this.directStats.get(vhost);
    if (!s) { s = new MessageStats(); this.directStats.set(vhost, s); }
    return s;
  }
  node(): Totals & { churn: Counters } { return this.nodeTotals; }

  /** Rates of a vhost's or the node's totals. */
  totalsRates(name: string | undefined): Counters | undefined {
    const key = this.totalKeys.get(name ?? '\0node');
    return key ? this.rates(key) : undefined;
  }

  private record(obj: object, v: Counters, t: number): void {
    const prev = this.samples.get(obj);
    const rates: Counters = {};
    let changed = prev === undefined;
    const dt = prev ? (t - prev.t) / 1000 : 0;
    for (const k in v) {
      const d = prev ? v[k]! - (prev.v[k] ?? 0) : 0;
      if (d !== 0) changed = true;
      rates[k] = dt > 0 ? Math.round((d / dt) * 10) / 10 : 0;
    }
    this.samples.set(obj, { t, v, rates, changedAt: changed ? t : prev!.changedAt });
  }

  private totalsKey(name: string): object {
    let k = this.totalKeys.get(name);
    if (!k) { k = {}; this.totalKeys.set(name, k); }
    return k;
  }

  private retiredOf(vhost: string) {
    let r = this.retired.get(vhost);
    if (!r) { r = { stats: {}, bytes: {} }; this.retired.set(vhost, r); }
    return r;
  }

  /** Takes one sample of everything (also called by tests through the timer). */
  tick(): void {
    const t = this.now();
    const totals = new Map<string, Totals>();
    for (const name of this.broker.vhosts.keys()) {
      const r = this.retiredOf(name);
      const stats = pick({}, CHANNEL_STATS);
      add(stats, r.stats);
      const d = this.directStats.get(name);
      if (d) add(stats, statsOf(d, CHANNEL_STATS));
      totals.set(name, { stats, lengths: pick({}, LENGTHS), bytes: { recv_oct: 0, send_oct: 0, ...r.bytes } });
    }
    for (const [name, vh] of this.broker.vhosts) {
      const tot = totals.get(name)!;
      for (const q of vh.queues.values()) {
        const ready = q.messageCount, unacked = q.unackedCount;
        const lengths = { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked };
        this.record(q, { ...statsOf(q.stats, QUEUE_STATS), ...lengths }, t);
        add(tot.lengths, lengths);
      }
      for (const ex of vh.exchanges.values()) this.record(ex, statsOf(ex.stats, EXCHANGE_STATS), t);
    }
    const channels = new Map<Channel, string>(), connections = new Map<Connection, string>();
    for (const conn of this.server.connections) {
      const vhost = conn.ctx?.vhost.name;
      if (vhost === undefined) continue;
      connections.set(conn, vhost);
      const bytes = { recv_oct: conn.socket.bytesRead, send_oct: conn.socket.bytesWritten };
      this.record(conn, bytes, t);
      const tot = totals.get(vhost);
      if (tot) add(tot.bytes, bytes);
      for (const ch of conn.channels.values()) {
        channels.set(ch, vhost);
        const s = statsOf(ch.stats, CHANNEL_STATS);
        this.record(ch, s, t);
        if (tot) add(tot.stats, s);
      }
    }
    // Channels and connections gone since the last sample: their final counters join the vhost's for good.
    for (const [ch, vhost] of this.channelsSeen) {
      if (channels.has(ch) || !this.broker.vhosts.has(vhost)) continue;
      const s = statsOf(ch.stats, CHANNEL_STATS);
      add(this.retiredOf(vhost).stats, s);
      add(totals.get(vhost)!.stats, s);
    }
    for (const [conn, vhost] of this.connectionsSeen) {
      if (connections.has(conn) || !this.broker.vhosts.has(vhost)) continue;
      const b = { recv_oct: conn.socket.bytesRead, send_oct: conn.socket.bytesWritten };
      add(this.retiredOf(vhost).bytes, b);
      add(totals.get(vhost)!.bytes, b);
    }
    this.channelsSeen = channels;
    this.connectionsSeen = connections;
    const node: Totals & { churn: Counters } = { stats: pick({}, CHANNEL_STATS), lengths: pick({}, LENGTHS), bytes: {}, churn: this.churn() };
    for (const [name, tot] of totals) {
      this.vhostTotals.set(name, tot);
      this.record(this.totalsKey(name), { ...tot.stats, ...tot.lengths, ...tot.bytes }, t);
      add(node.stats, tot.stats);
      add(node.lengths, tot.lengths);
    }
    this.nodeTotals = node;
    this.record(this.totalsKey('\0node'), { ...node.stats, ...node.lengths, ...node.churn }, t);
  }

  /** Node churn counters (RabbitMQ's churn_rates and node counters). */
  churn(): Counters {
    const c = this.server.churn;
    let channelsOpen = 0;
    for (const conn of this.server.connections) channelsOpen += conn.channels.size;
    return {
      connection_created: c.connectionCreated, connection_closed: c.connectionCreated - this.server.connections.size,
      channel_created: c.channelCreated, channel_closed: c.channelCreated - channelsOpen,
      queue_declared: this.queuesCreated, queue_created: this.queuesCreated, queue_deleted: this.queuesDeleted,
    };
  }
}
