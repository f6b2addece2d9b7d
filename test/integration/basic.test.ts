// Integration tests: basic.publish / basic.consume / basic.get, acknowledgements, qos and the
// errors around them, as RabbitMQ 3.10.8 behaves (verified against the reference broker).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import {
  uniq, expectChannelError, eventually, sleep,
  connectionCloseFrame, rawRpc, rawPublish, tapHeaderTables, type CloseFields,
} from '../support/amqp.js';

/** Each test fails after 10 s instead of hanging when an awaited close or delivery never comes. */
const limits = { timeout: 10_000 };
let broker: TestBroker;
const conns: ChannelModel[] = [];
const queues: string[] = [];

async function connect(): Promise<ChannelModel> {
  const c = await amqp.connect(broker.url);
  c.on('error', () => { /* server-closed connections are asserted explicitly */ });
  conns.push(c);
  return c;
}
async function open(): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await connect();
  return { conn, ch: await conn.createChannel() };
}
/** A fresh non-exclusive queue, deleted after the file. */
async function queue(ch: Channel, args: Record<string, unknown> = {}): Promise<string> {
  const q = uniq('basic');
  queues.push(q);
  await ch.assertQueue(q, { durable: false, arguments: args });
  return q;
}
function sink() {
  const msgs: ConsumeMessage[] = [];
  let cancelled = 0;
  return { msgs, get cancelled() { return cancelled; }, on: (m: ConsumeMessage | null) => { if (m) msgs.push(m); else cancelled++; } };
}
const bodies = (ms: Array<{ content: Buffer }>) => ms.map((m) => m.content.toString());
async function publishN(ch: Channel, q: string, n: number, prefix = 'm'): Promise<void> {
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(`${prefix}${i}`));
  await ch.checkQueue(q); // a round trip after the publishes: they have been routed
}
async function getOne(ch: Channel, q: string, noAck = false): Promise<GetMessage> {
  const m = await ch.get(q, { noAck });
  assert.ok(m, `expected a message in ${q}`);
  return m;
}
/** Triggers a connection-level error; returns the connection.close fields. */
async function expectConnectionError(conn: ChannelModel, op: () => unknown): Promise<CloseFields> {
  const closed = connectionCloseFrame(conn);
  try { await op(); } catch { /* the channel operation fails as the connection goes */ }
  return closed;
}

before(async () => { broker = await startBroker(); });
after(async () => {
  for (const c of conns) { try { await c.close(); } catch { /* already closed */ } }
  if (queues.length) {
    const c = await amqp.connect(broker.url);
    let ch = await c.createChannel();
    for (const q of queues) { try { await ch.deleteQueue(q); } catch { ch = await c.createChannel(); } }
    await c.close();
  }
  await broker.stop();
});

describe('message properties and content', () => {
  const props = {
    contentType: 'application/json', contentEncoding: 'gzip', headers: { h: 'v' }, deliveryMode: 2,
    priority: 7, correlationId: 'corr-1', replyTo: 'reply.queue', expiration: '600000', messageId: 'msg-1',
    timestamp: 1700000000, type: 'order.created', userId: 'guest', appId: 'warren-tests', clusterId: 'cluster-a',
  };

  it('round trips all 14 basic properties through consume and get', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    rawPublish(ch, { exchange: '', routingKey: q }, props, Buffer.from('p1'));
    rawPublish(ch, { exchange: '', routingKey: q }, props, Buffer.from('p2'));
    await ch.checkQueue(q);
    const got = await getOne(ch, q, true);
    assert.deepEqual({ ...got.properties }, props);
    const s = sink();
    await ch.consume(q, s.on, { noAck: true });
    await eventually(() => s.msgs.length === 1);
    assert.deepEqual({ ...s.msgs[0].properties }, props);
  });

  it('leaves absent properties absent', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    rawPublish(ch, { exchange: '', routingKey: q }, {}, Buffer.from('bare'));
    await ch.checkQueue(q);
    const m = await getOne(ch, q, true);
    for (const [k, v] of Object.entries(m.properties)) assert.equal(v, undefined, `property ${k}`);
  });

  it('round trips headers of every field-table type, keeping each wire type', limits, async () => {
    const { conn, ch } = await open();
    const wire = tapHeaderTables(conn);
    const q = await queue(ch);
    const headers = {
      str: 'hello', utf8: 'héllo ✓ 日本', empty: '',
      byte: -5, short: 1000, int: -100000, long: 2 ** 40, big: -(2 ** 52),
      double: 1.5, negDouble: -0.125, float: { '!': 'float', value: 2.5 },
      uint8: { '!': 'uint8', value: 200 }, uint16: { '!': 'uint16', value: 60000 }, uint32: { '!': 'uint32', value: 4000000000 },
      int64: { '!': 'int64', value: 7 }, yes: true, no: false, nothing: null,
      bytes: Buffer.from([0, 1, 2, 255]), emptyBytes: Buffer.alloc(0),
      ts: { '!': 'timestamp', value: 1700000000 }, dec: { '!': 'decimal', value: { places: 2, digits: 12345 } },
      nested: { a: 1, b: { c: 'd', e: [1, 2] } }, emptyTable: {},
      arr: [1, 'two', true, null, 3.25, { x: 'y' }, [4, 'five'], Buffer.from('ab')], emptyArr: [],
    };
    // amqplib decodes the explicitly typed numbers to plain numbers; timestamps and decimals stay tagged
    const decoded = { ...headers, float: 2.5, uint8: 200, uint16: 60000, uint32: 4000000000, int64: 7 };
    const tagged = {
      str: ['S', 'hello'], utf8: ['S', 'héllo ✓ 日本'], empty: ['S', ''],
      byte: ['b', -5], short: ['s', 1000], int: ['I', -100000], long: ['l', 2 ** 40], big: ['l', -(2 ** 52)],
      double: ['d', 1.5], negDouble: ['d', -0.125], float: ['f', 2.5],
      uint8: ['B', 200], uint16: ['u', 60000], uint32: ['i', 4000000000],
      int64: ['l', 7], yes: ['t', true], no: ['t', false], nothing: ['V', null],
      bytes: ['x', '000102ff'], emptyBytes: ['x', ''],
      ts: ['T', 1700000000], dec: ['D', [2, 12345]],
      nested: ['F', { a: ['b', 1], b: ['F', { c: ['S', 'd'], e: ['A', [['b', 1], ['b', 2]]] }] }], emptyTable: ['F', {}],
      arr: ['A', [['b', 1], ['S', 'two'], ['t', true], ['V', null], ['d', 3.25], ['F', { x: ['S', 'y'] }],
        ['A', [['b', 4], ['S', 'five']]], ['x', '6162']]],
      emptyArr: ['A', []],
    };
    ch.sendToQueue(q, Buffer.from('h'), { headers });
    ch.sendToQueue(q, Buffer.from('h'), { headers });
    await ch.checkQueue(q);
    const got = await getOne(ch, q, true);
    assert.deepEqual(got.properties.headers, decoded);
    const s = sink();
    await ch.consume(q, s.on, { noAck: true });
    await eventually(() => s.msgs.length === 1);
    assert.deepEqual(s.msgs[0].properties.headers, decoded);
    assert.equal(wire.length, 2);
    assert.deepEqual(wire[0], tagged); // via basic.get
    assert.deepEqual(wire[1], tagged); // via basic.deliver
  });

  it('delivers an empty body', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    ch.sendToQueue(q, Buffer.alloc(0), { messageId: 'e1' });
    ch.sendToQueue(q, Buffer.alloc(0), { messageId: 'e2' });
    await ch.checkQueue(q);
    const got = await getOne(ch, q, true);
    assert.equal(got.content.length, 0);
    assert.equal(got.properties.messageId, 'e1');
    const s = sink();
    await ch.consume(q, s.on, { noAck: true });
    await eventually(() => s.msgs.length === 1);
    assert.equal(s.msgs[0].content.length, 0);
    assert.equal(s.msgs[0].properties.messageId, 'e2');
  });

  it('delivers a body larger than frame_max (several body frames) byte for byte', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    const big = randomBytes(300 * 1024);
    ch.sendToQueue(q, big);
    ch.sendToQueue(q, big);
    ch.sendToQueue(q, Buffer.from('after'));
    await ch.checkQueue(q);
    const got = await getOne(ch, q, true);
    assert.ok(got.content.equals(big));
    const s = sink();
    await ch.consume(q, s.on, { noAck: true });
    await eventually(() => s.msgs.length === 2);
    assert.ok(s.msgs[0].content.equals(big));
    assert.equal(s.msgs[1].content.toString(), 'after');
  });
});

describe('basic.get', () => {
  it('get-ok carries the remaining message count, delivery fields and rising tags; get-empty when drained', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    await publishN(ch, q, 3);
    const m0 = await getOne(ch, q);
    assert.deepEqual({ ...m0.fields }, { deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 2 });
    const m1 = await getOne(ch, q, true);
    assert.equal(m1.fields.deliveryTag, 2);
    assert.equal(m1.fields.messageCount, 1);
    const m2 = await getOne(ch, q);
    assert.equal(m2.fields.messageCount, 0);
    assert.equal(m2.content.toString(), 'm2');
    assert.equal(await ch.get(q), false);
    // unacked get-ed messages do not count as ready
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
    ch.ack(m2, true);
    assert.equal(await ch.get(q), false);
  });
});

describe('consumers', () => {
  it('server-generated consumer tags look like amq.ctag-* and label deliveries', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    const s = sink();
    const { consumerTag } = await ch.consume(q, s.on);
    assert.match(consumerTag, /^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    await publishN(ch, q, 1);
    await eventually(() => s.msgs.length === 1);
    assert.equal(s.msgs[0].fields.consumerTag, consumerTag);
    assert.equal(s.msgs[0].fields.deliveryTag, 1);
    assert.equal(s.msgs[0].fields.redelivered, false);
  });

  it('reusing a consumer tag on one channel closes the connection with 530 NOT_ALLOWED', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch);
    await ch.consume(q, () => {}, { consumerTag: 'dup-tag' });
    // the same tag on another channel is fine
    const ch2 = await conn.createChannel();
    await ch2.consume(q, () => {}, { consumerTag: 'dup-tag' });
    const close = await expectConnectionError(conn, () => ch.consume(q, () => {}, { consumerTag: 'dup-tag' }));
    assert.deepEqual(close, { replyCode: 530, replyText: "NOT_ALLOWED - attempt to reuse consumer tag 'dup-tag'", classId: 60, methodId: 20 });
  });

  it('an exclusive consume when another consumer exists fails with 403', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch);
    await ch.consume(q, () => {});
    const ch2 = await conn.createChannel();
    const err = await expectChannelError(ch2, () => ch2.consume(q, () => {}, { exclusive: true }));
    assert.equal(err.code, 403);
    assert.equal(err.classId, 60);
    assert.equal(err.methodId, 20);
    assert.match(err.message, new RegExp(`ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`));
  });

  it('a consume when an exclusive consumer exists fails with 403', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    await ch.consume(q, () => {}, { exclusive: true });
    const { ch: other } = await open();
    const err = await expectChannelError(other, () => other.consume(q, () => {}));
    assert.equal(err.code, 403);
    assert.deepEqual([err.classId, err.methodId], [60, 20]);
    assert.match(err.message, /ACCESS_REFUSED - queue '.*' in vhost '\/' in exclusive use/);
  });

  it('consume and get on a missing queue close the channel with 404', limits, async () => {
    const { conn } = await open();
    const q = uniq('missing');
    for (const [op, methodId] of [['consume', 20], ['get', 70]] as const) {
      const ch = await conn.createChannel();
      const err = await expectChannelError(ch, () => (op === 'consume' ? ch.consume(q, () => {}) : ch.get(q)));
      assert.equal(err.code, 404, op);
      assert.deepEqual([err.classId, err.methodId], [60, methodId], op);
      assert.match(err.message, new RegExp(`"NOT_FOUND - no queue '${q}' in vhost '/'"`), op);
    }
  });

  it('basic.cancel stops deliveries; later messages stay in the queue', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    const s = sink();
    const { consumerTag } = await ch.consume(q, s.on, { noAck: true });
    await publishN(ch, q, 2);
    await eventually(() => s.msgs.length === 2);
    assert.deepEqual(await ch.cancel(consumerTag), { consumerTag });
    await publishN(ch, q, 3);
    assert.equal((await ch.checkQueue(q)).messageCount, 3);
    assert.equal((await ch.checkQueue(q)).consumerCount, 0);
    assert.equal(s.msgs.length, 2);
    assert.equal(s.cancelled, 0);
  });

  it('deleting the queue sends basic.cancel to its consumers; the channel stays open', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    const s = sink();
    const cancels: string[] = [];
    ch.on('cancel', (f: { consumerTag: string }) => cancels.push(f.consumerTag));
    const { consumerTag } = await ch.consume(q, s.on);
    const { ch: other } = await open();
    await other.deleteQueue(q);
    await eventually(() => s.cancelled === 1);
    assert.deepEqual(cancels, [consumerTag]);
    const q2 = await queue(ch);
    assert.equal((await ch.checkQueue(q2)).messageCount, 0);
  });

  it('no-ack consumers get messages with nothing left unacked', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    const s = sink();
    await ch.consume(q, s.on, { noAck: true });
    await publishN(ch, q, 3);
    await eventually(() => s.msgs.length === 3);
    assert.deepEqual(bodies(s.msgs), ['m0', 'm1', 'm2']);
    assert.deepEqual(s.msgs.map((m) => m.fields.deliveryTag), [1, 2, 3]);
    await ch.close(); // nothing to requeue
    const { ch: ch2 } = await open();
    assert.equal((await ch2.checkQueue(q)).messageCount, 0);
  });

  it('consumer priorities: the higher x-priority consumer gets messages until its prefetch is full', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch);
    const high = sink();
    const low = sink();
    const chLow = await conn.createChannel();
    await chLow.consume(q, low.on);
    const chHigh = await conn.createChannel();
    await chHigh.prefetch(3);
    await chHigh.consume(q, high.on, { priority: 10 });
    await publishN(ch, q, 10);
    await eventually(() => high.msgs.length + low.msgs.length === 10);
    assert.deepEqual(bodies(high.msgs), ['m0', 'm1', 'm2']);
    assert.deepEqual(bodies(low.msgs), ['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });
});

describe('ack, nack and reject', () => {
  it('ack multiple acks everything up to the tag; the rest is requeued (redelivered) when the channel closes', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch);
    const s = sink();
    await ch.consume(q, s.on);
    await publishN(ch, q, 5);
    await eventually(() => s.msgs.length === 5);
    ch.ack(s.msgs[2], true);
    await ch.close();
    const ch2 = await conn.createChannel();
    assert.equal((await ch2.checkQueue(q)).messageCount, 2);
    const a = await getOne(ch2, q, true);
    const b = await getOne(ch2, q, true);
    assert.deepEqual(bodies([a, b]), ['m3', 'm4']);
    assert.equal(a.fields.redelivered, true);
    assert.equal(b.fields.redelivered, true);
  });

  it('nack multiple with requeue redelivers all, in the original order, flagged redelivered', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    const s = sink();
    await ch.consume(q, s.on);
    await publishN(ch, q, 3);
    await eventually(() => s.msgs.length === 3);
    ch.nack(s.msgs[2], true, true);
    await eventually(() => s.msgs.length === 6);
    assert.deepEqual(bodies(s.msgs.slice(3)), ['m0', 'm1', 'm2']);
    assert.deepEqual(s.msgs.slice(3).map((m) => m.fields.redelivered), [true, true, true]);
    assert.deepEqual(s.msgs.slice(3).map((m) => m.fields.deliveryTag), [4, 5, 6]);
    ch.ackAll();
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 0);
  });

  it('reject and nack with requeue=false discard the message', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    await publishN(ch, q, 3);
    ch.reject(await getOne(ch, q), false);
    await getOne(ch, q);
    const m2 = await getOne(ch, q);
    ch.nack(m2, true, false);
    await ch.close();
    const { ch: ch2 } = await open();
    assert.equal((await ch2.checkQueue(q)).messageCount, 0);
  });

  it('a requeued message goes back to its original position, not to the tail', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    await publishN(ch, q, 4);
    const m0 = await getOne(ch, q);
    await getOne(ch, q);
    const m2 = await getOne(ch, q);
    ch.reject(m2, true); // requeued first...
    ch.reject(m0, true); // ...but m0 still comes out ahead of it
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 3);
    const again = [await getOne(ch, q, true), await getOne(ch, q, true), await getOne(ch, q, true)];
    assert.deepEqual(bodies(again), ['m0', 'm2', 'm3']);
    assert.deepEqual(again.map((m) => m.fields.redelivered), [true, true, false]);
  });

  it('acking a tag twice closes the channel with 406 unknown delivery tag', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    await publishN(ch, q, 1);
    const m = await getOne(ch, q);
    const err = await expectChannelError(ch, () => { ch.ack(m); ch.ack(m); });
    assert.equal(err.code, 406);
    assert.deepEqual([err.classId, err.methodId], [60, 80]);
    assert.match(err.message, /"PRECONDITION_FAILED - unknown delivery tag 1"/);
  });

  it('ack, nack and reject of an unknown tag are 406 with their own method ids', limits, async () => {
    const fake = (tag: number) => ({ fields: { deliveryTag: tag } }) as unknown as ConsumeMessage;
    const cases: Array<[string, (ch: Channel) => void, number]> = [
      ['ack', (ch) => ch.ack(fake(5)), 80],
      ['ack multiple', (ch) => ch.ack(fake(5), true), 80],
      ['nack', (ch) => ch.nack(fake(5)), 120],
      ['reject', (ch) => ch.reject(fake(5)), 90],
    ];
    const { conn } = await open();
    for (const [name, op, methodId] of cases) {
      const ch = await conn.createChannel();
      const err = await expectChannelError(ch, () => op(ch));
      assert.equal(err.code, 406, name);
      assert.deepEqual([err.classId, err.methodId], [60, methodId], name);
      assert.match(err.message, /"PRECONDITION_FAILED - unknown delivery tag 5"/, name);
    }
    // ack multiple with tag 0 means "everything outstanding" and is fine with nothing outstanding
    const ch = await conn.createChannel();
    ch.ackAll();
    await ch.checkQueue(await queue(ch));
  });

  it('unacked messages are requeued in order, flagged redelivered, when the channel or connection closes', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    await publishN(ch, q, 3);
    for (const closing of ['channel', 'connection'] as const) {
      const { conn: c2, ch: ch2 } = await open();
      const s = sink();
      await ch2.consume(q, s.on);
      await eventually(() => s.msgs.length === 3);
      assert.equal((await ch.checkQueue(q)).messageCount, 0);
      if (closing === 'channel') await ch2.close(); else await c2.close();
      await eventually(async () => (await ch.checkQueue(q)).messageCount === 3);
    }
    const again = [await getOne(ch, q, true), await getOne(ch, q, true), await getOne(ch, q, true)];
    assert.deepEqual(bodies(again), ['m0', 'm1', 'm2']);
    assert.ok(again.every((m) => m.fields.redelivered));
  });

  it('basic.recover requeue=true redelivers unacked messages flagged redelivered', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch);
    const s = sink();
    await ch.consume(q, s.on);
    await publishN(ch, q, 2);
    await eventually(() => s.msgs.length === 2);
    await ch.recover();
    await eventually(() => s.msgs.length === 4);
    assert.deepEqual(bodies(s.msgs.slice(2)), ['m0', 'm1']);
    assert.deepEqual(s.msgs.slice(2).map((m) => m.fields.redelivered), [true, true]);
    assert.deepEqual(s.msgs.slice(2).map((m) => m.fields.deliveryTag), [3, 4]);
  });

  it('basic.recover requeue=false is not implemented: connection closed with 540', limits, async () => {
    const { conn, ch } = await open();
    const close = await expectConnectionError(conn, () => rawRpc(ch, [60, 110], { requeue: false }, [60, 111]));
    assert.deepEqual(close, { replyCode: 540, replyText: 'NOT_IMPLEMENTED - requeue=false', classId: 60, methodId: 110 });
  });
});

describe('basic.qos', () => {
  it('global=false limits each consumer separately', limits, async () => {
    const { ch } = await open();
    const q1 = await queue(ch);
    const q2 = await queue(ch);
    await ch.prefetch(2, false);
    const a = sink();
    const b = sink();
    await ch.consume(q1, a.on);
    await ch.consume(q2, b.on);
    await publishN(ch, q1, 5);
    await publishN(ch, q2, 5);
    await eventually(() => a.msgs.length === 2 && b.msgs.length === 2);
    await sleep(100);
    assert.deepEqual([a.msgs.length, b.msgs.length], [2, 2]);
    ch.ack(a.msgs[0]);
    await eventually(() => a.msgs.length === 3);
    assert.equal(a.msgs[2].content.toString(), 'm2');
    await sleep(50);
    assert.deepEqual([a.msgs.length, b.msgs.length], [3, 2]);
  });

  it('global=true limits all consumers of the channel together', limits, async () => {
    const { ch } = await open();
    const q1 = await queue(ch);
    const q2 = await queue(ch);
    await ch.prefetch(3, true);
    const a = sink();
    const b = sink();
    await ch.consume(q1, a.on);
    await ch.consume(q2, b.on);
    await publishN(ch, q1, 5);
    await publishN(ch, q2, 5);
    await eventually(() => a.msgs.length + b.msgs.length === 3);
    await sleep(100);
    assert.equal(a.msgs.length + b.msgs.length, 3);
    const first = a.msgs[0] ?? b.msgs[0];
    ch.ack(first);
    await eventually(() => a.msgs.length + b.msgs.length === 4);
    await sleep(50);
    assert.equal(a.msgs.length + b.msgs.length, 4);
  });

  it('prefetch_size != 0 is not implemented: connection closed with 540', limits, async () => {
    const { conn, ch } = await open();
    const close = await expectConnectionError(conn,
      () => rawRpc(ch, [60, 10], { prefetchSize: 1000, prefetchCount: 0, global: false }, [60, 11]));
    assert.deepEqual(close, { replyCode: 540, replyText: 'NOT_IMPLEMENTED - prefetch_size!=0 (1000)', classId: 60, methodId: 10 });
  });
});

describe('publish errors', () => {
  it('publishing to a missing exchange closes the channel with 404', limits, async () => {
    const { ch } = await open();
    const ex = uniq('missing');
    const err = await expectChannelError(ch, () => ch.publish(ex, 'k', Buffer.from('x')));
    assert.equal(err.code, 404);
    assert.deepEqual([err.classId, err.methodId], [60, 40]);
    assert.match(err.message, new RegExp(`"NOT_FOUND - no exchange '${ex}' in vhost '/'"`));
  });

  it('immediate=true is not implemented: connection closed with 540', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch);
    const close = await expectConnectionError(conn,
      () => rawPublish(ch, { exchange: '', routingKey: q, immediate: true }, {}, Buffer.from('x')));
    assert.deepEqual(close, { replyCode: 540, replyText: 'NOT_IMPLEMENTED - immediate=true', classId: 60, methodId: 40 });
  });

  it('a user_id other than the authenticated user closes the channel with 406', limits, async () => {
    const { ch } = await open();
    const err = await expectChannelError(ch, () => ch.publish('', 'nowhere', Buffer.from('x'), { userId: 'mallory' }));
    assert.equal(err.code, 406);
    assert.deepEqual([err.classId, err.methodId], [60, 40]);
    assert.match(err.message, /"PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'"/);
  });
});

describe('channel.flow', () => {
  it('active=true is answered with flow-ok active=true', limits, async () => {
    const { ch } = await open();
    assert.deepEqual(await rawRpc(ch, [20, 20], { active: true }, [20, 21]), { active: true });
    await ch.checkQueue(await queue(ch)); // channel still usable
  });

  it('active=false is not implemented: connection closed with 540', limits, async () => {
    const { conn, ch } = await open();
    const close = await expectConnectionError(conn, () => rawRpc(ch, [20, 20], { active: false }, [20, 21]));
    assert.deepEqual(close, { replyCode: 540, replyText: 'NOT_IMPLEMENTED - active=false', classId: 20, methodId: 20 });
  });
});
