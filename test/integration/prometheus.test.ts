// The rabbitmq_prometheus endpoint: "prometheus listening on HOST:PORT" after the management line, GET /metrics
// (aggregated) and /metrics/per-object in the text exposition format, with RabbitMQ's names, types and HELP texts;
// counters that keep counting after channels close, per-queue gauges labelled {vhost,queue}.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { uniq } from '../support/amqp.js';
import { startWarren, type TestBroker } from '../support/broker.js';

const skip = Boolean(process.env.WARREN_TEST_URL);

interface Scrape { types: Map<string, string>; helps: Map<string, string>; samples: Map<string, number>; raw: string }

/** Parses the text exposition format: TYPE/HELP comments and `name{labels} value` samples keyed by `name{labels}`. */
function parse(raw: string): Scrape {
  const types = new Map<string, string>(), helps = new Map<string, string>(), samples = new Map<string, number>();
  for (const line of raw.split('\n')) {
    if (line === '') continue;
    let m = /^# TYPE (\S+) (counter|gauge|untyped|summary|histogram)$/.exec(line);
    if (m) { assert.ok(!types.has(m[1]!), `duplicate TYPE ${m[1]}`); types.set(m[1]!, m[2]!); continue; }
    m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) { helps.set(m[1]!, m[2]!); continue; }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(m, `bad exposition line: ${line}`);
    assert.ok(types.has(m[1]!), `sample before its TYPE: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return { types, helps, samples, raw };
}

const COUNTERS = [
  'rabbitmq_connections_opened_total', 'rabbitmq_connections_closed_total', 'rabbitmq_channels_opened_total',
  'rabbitmq_channels_closed_total', 'rabbitmq_queues_declared_total', 'rabbitmq_queues_created_total', 'rabbitmq_queues_deleted_total',
  'rabbitmq_channel_messages_published_total', 'rabbitmq_channel_messages_confirmed_total',
  'rabbitmq_channel_messages_unroutable_dropped_total', 'rabbitmq_channel_messages_unroutable_returned_total',
  'rabbitmq_channel_messages_delivered_total', 'rabbitmq_channel_messages_delivered_ack_total',
  'rabbitmq_channel_messages_redelivered_total', 'rabbitmq_channel_messages_acked_total', 'rabbitmq_channel_get_total',
  'rabbitmq_channel_get_ack_total', 'rabbitmq_channel_get_empty_total',
];
const GAUGES = [
  'rabbitmq_connections', 'rabbitmq_channels', 'rabbitmq_consumers', 'rabbitmq_queues', 'rabbitmq_queue_messages_ready',
  'rabbitmq_queue_messages_unacked', 'rabbitmq_queue_messages', 'rabbitmq_queue_consumers', 'rabbitmq_process_resident_memory_bytes',
  'rabbitmq_disk_space_available_bytes', 'rabbitmq_resident_memory_limit_bytes', 'rabbitmq_process_open_fds',
  'rabbitmq_queue_messages_ready_bytes', 'rabbitmq_queue_messages_unacked_bytes', 'rabbitmq_queue_messages_bytes',
];

describe('prometheus endpoint', { skip }, () => {
  let b: TestBroker;
  before(async () => { b = await startWarren(); });
  after(async () => { await b?.stop(); });

  const scrape = async (path = '/metrics'): Promise<Scrape> => {
    const r = await fetch(`${b.promUrl}${path}`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parse(await r.text());
  };
  const v = (s: Scrape, key: string): number => {
    const x = s.samples.get(key);
    assert.notEqual(x, undefined, `no sample ${key} in:\n${s.raw}`);
    return x!;
  };

  it('prints "prometheus listening on HOST:PORT" after the management line', () => {
    assert.ok(b.promUrl);
    const lines = b.output().split('\n');
    const mgmt = lines.findIndex((l) => /^management API listening on \S+:\d+$/.test(l));
    const prom = lines.findIndex((l) => /^prometheus listening on \S+:\d+$/.test(l));
    assert.ok(mgmt >= 0 && prom > mgmt, b.output());
  });

  it('serves every family with RabbitMQ\'s TYPE and HELP, identity and build info', async () => {
    for (const path of ['/metrics', '/metrics/per-object']) {
      const s = await scrape(path);
      for (const n of COUNTERS) { assert.equal(s.types.get(n), 'counter', `${path} ${n}`); assert.ok(s.helps.get(n), `${path} HELP ${n}`); }
      for (const n of GAUGES) { assert.equal(s.types.get(n), 'gauge', `${path} ${n}`); assert.ok(s.helps.get(n), `${path} HELP ${n}`); }
      assert.equal(s.types.get('rabbitmq_identity_info'), 'untyped');
      assert.equal(s.types.get('rabbitmq_build_info'), 'untyped');
      assert.equal(s.helps.get('rabbitmq_connections'), 'Connections currently open');
      assert.equal(s.helps.get('rabbitmq_channel_messages_published_total'), 'Total number of messages published into an exchange on a channel');
      assert.equal(s.helps.get('rabbitmq_queue_messages'), 'Sum of ready and unacknowledged messages - total queue depth');
      assert.match(s.raw, /^rabbitmq_identity_info\{rabbitmq_node="[^"]+",rabbitmq_cluster="[^"]+",rabbitmq_cluster_permanent_id="rabbitmq-cluster-id-[^"]+"\} 1$/m);
      assert.match(s.raw, /^rabbitmq_build_info\{[^}]*rabbitmq_version="[^"]+"[^}]*\} 1$/m);
      assert.ok(v(s, 'rabbitmq_process_resident_memory_bytes') > 0);
      assert.ok(v(s, 'rabbitmq_resident_memory_limit_bytes') > 0);
    }
    assert.equal((await fetch(`${b.promUrl}/nope`)).status, 404);
  });

  it('counts publishes, confirms, deliveries, gets and acks, and keeps counting after channels close', async () => {
    const before0 = await scrape();
    const q = uniq('prom'), q2 = uniq('prom-consume'), empty = uniq('prom-empty');
    const conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(q, { durable: false });
    await ch.assertQueue(q2, { durable: false });
    await ch.assertQueue(empty, { durable: false });
    for (let i = 0; i < 5; i++) ch.publish('', q, Buffer.from(`m${i}`));
    for (let i = 0; i < 3; i++) ch.publish('', q2, Buffer.from(`c${i}`));
    ch.publish('amq.direct', uniq('nowhere'), Buffer.from('dropped'));
    const returned = new Promise<void>((r) => ch.once('return', () => r()));
    ch.publish('amq.direct', uniq('nowhere'), Buffer.from('returned'), { mandatory: true });
    await ch.waitForConfirms();
    await returned;

    // basic.get: two in manual ack mode (acked), one in no-ack mode, one on an empty queue.
    const g1 = await ch.get(q), g2 = await ch.get(q);
    assert.ok(g1 && g2);
    ch.ack(g1); ch.ack(g2);
    assert.ok(await ch.get(q, { noAck: true }));
    assert.equal(await ch.get(empty), false);
    // Consume three in manual ack mode, ack them.
    let got = 0;
    const all = new Promise<void>((resolve) => {
      void ch.consume(q2, (m) => { if (!m) return; ch.ack(m); if (++got === 3) resolve(); });
    });
    await all;
    await ch.checkQueue(q2); // a round trip: the acks have been handled

    const live = await scrape();
    const per = await scrape('/metrics/per-object');
    const d = (s: Scrape, n: string) => v(s, n) - v(before0, n);
    const expected: Record<string, number> = {
      rabbitmq_channel_messages_published_total: 10,
      rabbitmq_channel_messages_confirmed_total: 10,
      rabbitmq_channel_messages_unroutable_dropped_total: 1,
      rabbitmq_channel_messages_unroutable_returned_total: 1,
      rabbitmq_channel_get_ack_total: 2,
      rabbitmq_channel_get_total: 1,
      rabbitmq_channel_get_empty_total: 1,
      rabbitmq_channel_messages_delivered_ack_total: 3,
      rabbitmq_channel_messages_delivered_total: 0,
      rabbitmq_channel_messages_redelivered_total: 0,
      rabbitmq_channel_messages_acked_total: 5,
      rabbitmq_queues_declared_total: 3,
      rabbitmq_queues_created_total: 3,
    };
    for (const [n, want] of Object.entries(expected)) assert.equal(d(live, n), want, n);
    assert.equal(d(live, 'rabbitmq_connections_opened_total'), 1);
    assert.equal(d(live, 'rabbitmq_channels_opened_total'), 1);
    assert.equal(v(live, 'rabbitmq_connections'), 1);
    assert.equal(v(live, 'rabbitmq_channels'), 1);
    assert.equal(v(live, 'rabbitmq_consumers'), 1);
    assert.ok(v(live, 'rabbitmq_queues') >= 3);
    assert.ok(v(live, 'rabbitmq_queue_messages') >= 2);

    // Per object: queue gauges labelled {vhost,queue} equal the queue's depth; channel counters labelled {channel}.
    const { messageCount, consumerCount } = await ch.checkQueue(q);
    assert.equal(messageCount, 2);
    assert.equal(v(per, `rabbitmq_queue_messages{vhost="/",queue="${q}"}`), messageCount);
    assert.equal(v(per, `rabbitmq_queue_messages_ready{vhost="/",queue="${q}"}`), messageCount);
    assert.equal(v(per, `rabbitmq_queue_messages_unacked{vhost="/",queue="${q}"}`), 0);
    const readyBytes = v(per, `rabbitmq_queue_messages_ready_bytes{vhost="/",queue="${q}"}`);
    assert.ok(readyBytes > 0);
    assert.equal(v(per, `rabbitmq_queue_messages_unacked_bytes{vhost="/",queue="${q}"}`), 0);
    assert.equal(v(per, `rabbitmq_queue_messages_bytes{vhost="/",queue="${q}"}`), readyBytes);
    assert.equal(v(per, `rabbitmq_queue_consumers{vhost="/",queue="${q}"}`), consumerCount);
    assert.equal(v(per, `rabbitmq_queue_consumers{vhost="/",queue="${q2}"}`), 1);
    assert.equal(v(per, `rabbitmq_queue_messages{vhost="/",queue="${empty}"}`), 0);
    const chanPub = [...per.samples].filter(([k]) => k.startsWith('rabbitmq_channel_messages_published_total{channel="'));
    assert.equal(chanPub.length, 1, per.raw);
    assert.equal(chanPub[0]![1], 10);
    assert.ok(!per.samples.has('rabbitmq_queue_messages'), 'per-object queue gauges carry labels');
    assert.ok(!live.samples.has(`rabbitmq_queue_messages{vhost="/",queue="${q}"}`), 'aggregated gauges carry none');

    await ch.close();
    await conn.close();
    await new Promise((r) => setTimeout(r, 100));
    const closed = await scrape();
    for (const [n, want] of Object.entries(expected)) assert.equal(d(closed, n), want, `${n} after close`);
    assert.equal(d(closed, 'rabbitmq_connections_closed_total'), 1);
    assert.equal(d(closed, 'rabbitmq_channels_closed_total'), 1);
    assert.equal(v(closed, 'rabbitmq_connections'), 0);
    assert.equal(v(closed, 'rabbitmq_channels'), 0);
    assert.equal(v(closed, 'rabbitmq_consumers'), 0);
    const perClosed = await scrape('/metrics/per-object');
    assert.equal(v(perClosed, `rabbitmq_queue_messages{vhost="/",queue="${q}"}`), 2);
    assert.ok(![...perClosed.samples.keys()].some((k) => k.includes('channel="')), 'no channel samples once closed');
  });
});
