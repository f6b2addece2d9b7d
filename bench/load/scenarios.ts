// The load scenarios of issue 6, each against one broker (Warren or RabbitMQ) with the health probe running
// throughout: idle connections (memory per connection), many channels on one connection, many queues and
// bindings (declare rates, memory), and a flood of connections opening and closing. Clients are the lean raw
// client (test/support/raw-client.ts) so the load generator costs little next to the broker it measures.
// Figures are reported, never asserted; test/integration/load-smoke.test.ts runs scaled-down versions.
import { Worker } from 'node:worker_threads';
import { RawClient, RM, methodId, type RawFrame } from '../../test/support/raw-client.js';
import { wireEnc } from '../../test/support/amqp.js';
import { healthProbe, MB, pool, round, rss, settledRss, type HealthReport, type Target } from './lib.js';

const CHANNEL_CLOSE = 0x00140028, CONNECTION_CLOSE = 0x000a0032;
const QUEUE_DELETE_OK = 0x00320029;

export interface Result { scenario: string; health: HealthReport; [k: string]: unknown }

const open = (t: Target, heartbeat = 60) => RawClient.open({ host: t.host, port: t.port, vhost: t.vhost, heartbeat });
const perItemKB = (before: number, after: number, n: number) => round((after - before) / n / 1024);

/** count connections past connection.open, held idle (answering heartbeats); RSS before and after. */
export async function idleConnections(t: Target, o: { count: number; width?: number }): Promise<Result> {
  const probe = healthProbe(t);
  const rss0 = await settledRss(t, 1000);
  const clients: RawClient[] = [];
  const t0 = performance.now();
  const failed = await pool(o.count, o.width ?? 100, async () => { clients.push(await open(t)); });
  const openSecs = (performance.now() - t0) / 1000;
  const rss1 = await settledRss(t, 3000);
  const alive = clients.filter((c) => !c.ended).length;
  const t1 = performance.now();
  await pool(clients.length, o.width ?? 100, (i) => clients[i]!.close());
  const closeSecs = (performance.now() - t1) / 1000;
  const rss2 = await settledRss(t, 1000);
  return {
    scenario: 'idle-connections', count: o.count, opened: clients.length, failed, aliveAfterwards: alive,
    openPerSec: Math.round(clients.length / openSecs), closePerSec: Math.round(clients.length / closeSecs),
    rssBeforeMB: round(rss0 / MB), rssWithMB: round(rss1 / MB), rssAfterCloseMB: round(rss2 / MB),
    perConnectionKB: perItemKB(rss0, rss1, clients.length), health: await probe.stop(),
  };
}

/** One connection with count channels; every channel is then closed with a round trip. */
export async function channels(t: Target, o: { count: number }): Promise<Result> {
  const probe = healthProbe(t);
  const c = await open(t);
  const rss0 = await settledRss(t, 1000);
  const t0 = performance.now();
  let opened = 0, failed = 0;
  for (let n = 1; n <= o.count; n++) {
    try { await c.openChannel(n); opened++; } catch { failed++; }
  }
  const openSecs = (performance.now() - t0) / 1000;
  const rss1 = await settledRss(t, 2000);
  let closed = 0;
  for (let n = 1; n <= opened; n++) {
    c.method(n, 20, 40, wireEnc.u16(200), wireEnc.shortstr('bye'), wireEnc.u16(0), wireEnc.u16(0));
    await c.expect(n, RM.ChannelCloseOk).then(() => { closed++; }, () => {});
  }
  await c.close();
  return {
    scenario: 'channels', count: o.count, opened, failed, closed, openPerSec: Math.round(opened / openSecs),
    rssBeforeMB: round(rss0 / MB), rssWithMB: round(rss1 / MB), perChannelKB: perItemKB(rss0, rss1, opened),
    health: await probe.stop(),
  };
}

/**
 * Sends n requests on channel 1 with at most `width` unanswered; resolves when n replies `okId` came. A
 * channel or connection close instead rejects (the scenario then reports the failure).
 */
function pipelined(c: RawClient, n: number, width: number, okId: number, send: (i: number) => void): Promise<void> {
  if (n === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let sent = 0, done = 0;
    c.onFrame = (f: RawFrame) => {
      const id = methodId(f);
      if (id === okId) {
        if (++done === n) resolve();
        else if (sent < n) send(sent++);
      } else if (id === CHANNEL_CLOSE || id === CONNECTION_CLOSE) {
        reject(new Error(`closed: ${f.payload.subarray(4).toString('latin1')}`));
      }
    };
    void c.closed.then(() => reject(new Error('connection closed')));
    while (sent < Math.min(width, n)) send(sent++);
  });
}

/** Declares n queues `load-bg-<i>` that stay for the other scenarios (a broker that is not empty). */
export async function backgroundQueues(t: Target, n: number): Promise<() => Promise<void>> {
  const c = await open(t);
  await c.openChannel(1);
  const name = (i: number) => `load-bg-${i}`;
  await pipelined(c, n, 100, RM.QueueDeclareOk, (i) =>
    c.method(1, 50, 10, wireEnc.u16(0), wireEnc.shortstr(name(i)), wireEnc.u8(0), wireEnc.table0()));
  return async () => {
    await pipelined(c, n, 100, QUEUE_DELETE_OK, (i) => c.method(1, 50, 40, wireEnc.u16(0), wireEnc.shortstr(name(i)), wireEnc.u8(0)));
    await c.close();
  };
}

/** queues queues, then bindings bindings spread over them (to amq.direct), then every queue deleted. */
export async function declares(t: Target, o: { queues: number; bindings: number; durable?: boolean; width?: number; exchange?: string }): Promise<Result> {
  const probe = healthProbe(t);
  const c = await open(t);
  await c.openChannel(1);
  const width = o.width ?? 100;
  const ex = o.exchange ?? 'amq.direct';
  const name = (i: number) => `load-q-${i}`;
  const rss0 = await settledRss(t, 1000);
  const t0 = performance.now();
  const flags = o.durable ? 2 : 0;
  await pipelined(c, o.queues, width, RM.QueueDeclareOk, (i) =>
    c.method(1, 50, 10, wireEnc.u16(0), wireEnc.shortstr(name(i)), wireEnc.u8(flags), wireEnc.table0()));
  const qSecs = (performance.now() - t0) / 1000;
  const rssQ = rss(t.pid);
  const t1 = performance.now();
  await pipelined(c, o.bindings, width, RM.QueueBindOk, (i) =>
    c.method(1, 50, 20, wireEnc.u16(0), wireEnc.shortstr(name(i % o.queues)), wireEnc.shortstr(ex),
      wireEnc.shortstr(`key.${i}`), wireEnc.u8(0), wireEnc.table0()));
  const bSecs = (performance.now() - t1) / 1000;
  const rss1 = await settledRss(t, 2000);
  const t2 = performance.now();
  await pipelined(c, o.queues, width, QUEUE_DELETE_OK, (i) =>
    c.method(1, 50, 40, wireEnc.u16(0), wireEnc.shortstr(name(i)), wireEnc.u8(0)));
  const dSecs = (performance.now() - t2) / 1000;
  await c.close();
  return {
    scenario: 'declares', queues: o.queues, bindings: o.bindings, durable: Boolean(o.durable), exchange: ex,
    queueDeclaresPerSec: Math.round(o.queues / qSecs), bindsPerSec: Math.round(o.bindings / bSecs),
    queueDeletesPerSec: Math.round(o.queues / dSecs),
    rssBeforeMB: round(rss0 / MB), rssWithQueuesMB: round(rssQ / MB), rssWithBindingsMB: round(rss1 / MB),
    perQueueKB: perItemKB(rss0, rssQ, o.queues), perBindingKB: perItemKB(rssQ, rss1, o.bindings),
    health: await probe.stop(),
  };
}

export interface ChurnCounts { launched: number; ok: number; failed: number; skipped: number; errors: Record<string, number> }

/** One share of the flood: rate connections per second for seconds, at most maxInFlight at a time. */
export async function churnLoop(t: Target, rate: number, seconds: number, maxInFlight: number): Promise<ChurnCounts> {
  const n: ChurnCounts = { launched: 0, ok: 0, failed: 0, skipped: 0, errors: {} };
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (n.launched < due) {
      n.launched++;
      if (inFlight >= maxInFlight) { n.skipped++; continue; }
      inFlight++;
      const p = (async () => {
        try { const c = await open(t, 0); await c.close(); n.ok++; } catch (e) {
          n.failed++;
          const k = (e as Error).message;
          n.errors[k] = (n.errors[k] ?? 0) + 1;
        } finally { inFlight--; }
      })();
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(pending);
  return n;
}

/**
 * rate connections per second for seconds, each opened (to connection.open-ok) and closed at once, split
 * over `workers` threads (one Node event loop cannot do 1,000 handshakes a second and time them fairly).
 * A connection that cannot start because maxInFlight are still open counts as skipped.
 */
export async function churn(t: Target, o: { rate: number; seconds: number; maxInFlight?: number; workers?: number }): Promise<Result> {
  const probe = healthProbe(t);
  const workers = o.workers ?? 2;
  const t0 = performance.now();
  const shares = await Promise.all(Array.from({ length: workers }, () => new Promise<ChurnCounts>((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: {
      kind: 'churn', target: t, rate: o.rate / workers, seconds: o.seconds, maxInFlight: Math.ceil((o.maxInFlight ?? 2000) / workers) } });
    w.once('message', (m: ChurnCounts) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  })));
  const secs = (performance.now() - t0) / 1000;
  const sum = (k: 'launched' | 'ok' | 'failed' | 'skipped') => shares.reduce((a, x) => a + x[k], 0);
  const errors: Record<string, number> = {};
  for (const x of shares) for (const [k, v] of Object.entries(x.errors)) errors[k] = (errors[k] ?? 0) + v;
  return {
    scenario: 'churn', targetRate: o.rate, seconds: o.seconds, workers, attempted: sum('launched'), ok: sum('ok'),
    failed: sum('failed'), skipped: sum('skipped'), achievedPerSec: Math.round(sum('ok') / secs), errors,
    rssAfterMB: round(rss(t.pid) / MB), health: await probe.stop(),
  };
}
