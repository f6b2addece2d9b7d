// Integration tests: dead-lettering (x-death), TTLs, queue expiry, length limits and overflow,
// priority queues and single active consumer, as RabbitMQ 3.10.8 behaves.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import { uniq, eventually, sleep, tapHeaderTables } from '../support/amqp.js';

/** Each test fails after 10 s instead of hanging when an awaited close or delivery never comes. */
const limits = { timeout: 10_000 };
let broker: TestBroker;
const conns: ChannelModel[] = [];
const queues: string[] = [];
const exchanges: string[] = [];

async function open(): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  conns.push(conn);
  return { conn, ch: await conn.createChannel() };
}
async function queue(ch: Channel, args: Record<string, unknown> = {}, name = uniq('qf')): Promise<string> {
  queues.push(name);
  await ch.assertQueue(name, { durable: false, arguments: args });
  return name;
}
/** A fanout dead-letter exchange with one queue bound to it. */
async function dlxWithQueue(ch: Channel): Promise<{ dlx: string; dlq: string }> {
  const dlx = uniq('qf.dlx');
  exchanges.push(dlx);
  await ch.assertExchange(dlx, 'fanout', { durable: false });
  const dlq = await queue(ch);
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}
async function getOne(ch: Channel, q: string, noAck = true): Promise<GetMessage> {
  const m = await ch.get(q, { noAck });
  assert.ok(m, `expected a message in ${q}`);
  return m;
}
/** Waits for a message to arrive in q and takes it. */
async function awaitOne(ch: Channel, q: string, timeoutMs = 3000): Promise<GetMessage> {
  return (await eventually(async () => (await ch.get(q, { noAck: true })) || undefined, timeoutMs))!;
}
async function count(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}
async function drain(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) out.push(m.content.toString());
  return out;
}
/** x-death entries with the time checked (a timestamp within the last minute) and removed. */
function xDeath(m: { properties: { headers?: Record<string, any> } }): Array<Record<string, unknown>> {
  const deaths = m.properties.headers?.['x-death'];
  assert.ok(Array.isArray(deaths), 'x-death header present');
  const now = Math.floor(Date.now() / 1000);
  return deaths.map(({ time, ...rest }: Record<string, any>) => {
    assert.equal(time['!'], 'timestamp');
    assert.ok(Math.abs(time.value - now) < 60, `x-death time ${time.value} is about now (${now})`);
    return rest;
  });
}
function firstDeath(m: { properties: { headers?: Record<string, any> } }) {
  const h = m.properties.headers ?? {};
  return [h['x-first-death-reason'], h['x-first-death-queue'], h['x-first-death-exchange']];
}

before(async () => { broker = await startBroker(); });
after(async () => {
  for (const c of conns) { try { await c.close(); } catch { /* closed already */ } }
  const conn = await amqp.connect(broker.url);
  let ch = await conn.createChannel();
  for (const q of queues) { try { await ch.deleteQueue(q); } catch { ch = await conn.createChannel(); } }
  for (const x of exchanges) { try { await ch.deleteExchange(x); } catch { ch = await conn.createChannel(); } }
  await conn.close();
  await broker.stop();
});

describe('dead-lettering', () => {
  it('reject requeue=false: x-death (rejected), x-first-death-*, original key, CC kept, expiration moved', limits, async () => {
    const { conn, ch } = await open();
    const wire = tapHeaderTables(conn);
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx });
    await ch.bindQueue(q, 'amq.direct', 'rk1');
    ch.publish('amq.direct', 'rk1', Buffer.from('body'),
      { CC: ['cc1'], headers: { mine: 'kept' }, expiration: '60000', messageId: 'id-1' });
    await eventually(async () => (await count(ch, q)) === 1);
    ch.reject(await getOne(ch, q, false), false);
    const d = await awaitOne(ch, dlq);
    assert.equal(d.content.toString(), 'body');
    assert.deepEqual([d.fields.exchange, d.fields.routingKey, d.fields.redelivered], [dlx, 'rk1', false]);
    assert.equal(d.properties.messageId, 'id-1');
    assert.equal(d.properties.expiration, undefined); // the expiration is removed...
    assert.deepEqual(xDeath(d), [{ // ...and recorded as original-expiration; CC keys join routing-keys
      count: 1, reason: 'rejected', queue: q, exchange: 'amq.direct', 'routing-keys': ['rk1', 'cc1'], 'original-expiration': '60000',
    }]);
    assert.deepEqual(firstDeath(d), ['rejected', q, 'amq.direct']);
    assert.equal(d.properties.headers?.mine, 'kept');
    assert.deepEqual(d.properties.headers?.CC, ['cc1']);
    // wire types: count is a long, time a timestamp, strings longstr, routing-keys an array
    const t = wire.at(-1)!;
    const [, [entry]] = t['x-death'] as [string, Array<[string, Record<string, [string, unknown]>]>];
    assert.equal(entry[0], 'F');
    assert.deepEqual(Object.fromEntries(Object.entries(entry[1]).map(([k, [tag]]) => [k, tag])),
      { count: 'l', reason: 'S', queue: 'S', time: 'T', exchange: 'S', 'routing-keys': 'A', 'original-expiration': 'S' });
    assert.deepEqual(t['x-first-death-reason'], ['S', 'rejected']);
  });

  it('nack requeue=false (multiple) dead-letters each message with reason rejected', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx });
    for (const b of ['a', 'b']) ch.sendToQueue(q, Buffer.from(b));
    await eventually(async () => (await count(ch, q)) === 2);
    await getOne(ch, q, false);
    ch.nack(await getOne(ch, q, false), true, false);
    await eventually(async () => (await count(ch, dlq)) === 2);
    const [a, b] = [await getOne(ch, dlq), await getOne(ch, dlq)];
    assert.deepEqual([a.content.toString(), b.content.toString()], ['a', 'b']);
    for (const m of [a, b]) {
      assert.deepEqual(xDeath(m), [{ count: 1, reason: 'rejected', queue: q, exchange: '', 'routing-keys': [q] }]);
      assert.deepEqual(firstDeath(m), ['rejected', q, '']);
    }
  });

  it('expired by queue x-message-ttl: reason expired', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 50 });
    ch.sendToQueue(q, Buffer.from('old'));
    const d = await awaitOne(ch, dlq);
    assert.equal(d.content.toString(), 'old');
    assert.equal(d.fields.routingKey, q);
    assert.deepEqual(xDeath(d), [{ count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q] }]);
    assert.deepEqual(firstDeath(d), ['expired', q, '']);
    assert.equal(await count(ch, q), 0);
  });

  it('expired by per-message expiration: reason expired, original-expiration recorded', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx });
    ch.sendToQueue(q, Buffer.from('short'), { expiration: '50' });
    const d = await awaitOne(ch, dlq);
    assert.equal(d.properties.expiration, undefined);
    assert.deepEqual(xDeath(d), [{ count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q], 'original-expiration': '50' }]);
  });

  it('maxlen drop-head: the oldest message is dead-lettered with reason maxlen', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx, 'x-max-length': 2 });
    for (const b of ['m0', 'm1', 'm2']) ch.sendToQueue(q, Buffer.from(b));
    const d = await awaitOne(ch, dlq);
    assert.equal(d.content.toString(), 'm0');
    assert.deepEqual(xDeath(d), [{ count: 1, reason: 'maxlen', queue: q, exchange: '', 'routing-keys': [q] }]);
    assert.deepEqual(firstDeath(d), ['maxlen', q, '']);
    assert.deepEqual(await drain(ch, q), ['m1', 'm2']);
  });

  it('x-dead-letter-routing-key replaces the routing key (x-death keeps the original)', limits, async () => {
    const { ch } = await open();
    const dlx = uniq('qf.dlx.direct');
    exchanges.push(dlx);
    await ch.assertExchange(dlx, 'direct', { durable: false });
    const dlq = await queue(ch);
    await ch.bindQueue(dlq, dlx, 'dead');
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead' });
    ch.sendToQueue(q, Buffer.from('x'));
    await eventually(async () => (await count(ch, q)) === 1);
    ch.reject(await getOne(ch, q, false), false);
    const d = await awaitOne(ch, dlq);
    assert.equal(d.fields.routingKey, 'dead');
    assert.deepEqual(xDeath(d)[0]['routing-keys'], [q]);
  });

  it('a message cycling through rejections: count increments, latest death first, first-death fixed', limits, async () => {
    const { ch } = await open();
    const q1 = uniq('qf.cycle1');
    const q2 = uniq('qf.cycle2');
    await queue(ch, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q2 }, q1);
    await queue(ch, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q1 }, q2);
    ch.sendToQueue(q1, Buffer.from('loop'));
    const bounce = async (from: string, to: string) => {
      await eventually(async () => (await count(ch, from)) === 1);
      ch.reject(await getOne(ch, from, false), false);
      await eventually(async () => (await count(ch, to)) === 1);
    };
    await bounce(q1, q2);
    await bounce(q2, q1);
    await bounce(q1, q2);
    const m = await getOne(ch, q2);
    const entry = (queue: string, n: number, key: string) => ({ count: n, reason: 'rejected', queue, exchange: '', 'routing-keys': [key] });
    assert.deepEqual(xDeath(m), [entry(q1, 2, q1), entry(q2, 1, q2)]);
    assert.deepEqual(firstDeath(m), ['rejected', q1, '']);
  });

  it('expiry-only cycles are cut: the message is not dead-lettered back to its own queue', limits, async () => {
    // the DLX fans out to the queue itself and to a witness queue: only the witness gets it, once
    const { ch } = await open();
    const { dlx, dlq: witness } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 50 });
    await ch.bindQueue(q, dlx, '');
    ch.sendToQueue(q, Buffer.from('x'));
    const d = await awaitOne(ch, witness);
    assert.deepEqual(xDeath(d), [{ count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q] }]);
    await sleep(200);
    assert.equal(await count(ch, q), 0);
    assert.equal(await count(ch, witness), 0);
  });
});

describe('message TTL', () => {
  it('the lower of per-message expiration and queue x-message-ttl wins', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const longQueue = await queue(ch, { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 60000 });
    const shortQueue = await queue(ch, { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 50 });
    ch.sendToQueue(longQueue, Buffer.from('message-ttl-wins'), { expiration: '50' });
    ch.sendToQueue(shortQueue, Buffer.from('queue-ttl-wins'), { expiration: '60000' });
    await eventually(async () => (await count(ch, dlq)) === 2);
    assert.deepEqual((await drain(ch, dlq)).sort(), ['message-ttl-wins', 'queue-ttl-wins']);
  });

  it('an expired message behind an unexpired one is only dropped when it reaches the head', limits, async () => {
    // RabbitMQ expires classic-queue messages from the head only; the count still includes it
    const { ch } = await open();
    const q = await queue(ch);
    ch.sendToQueue(q, Buffer.from('long'), { expiration: '60000' });
    ch.sendToQueue(q, Buffer.from('short'), { expiration: '20' });
    await sleep(150);
    assert.equal(await count(ch, q), 2);
    assert.equal((await getOne(ch, q)).content.toString(), 'long');
    assert.equal(await ch.get(q, { noAck: true }), false);
  });

  it('queue TTL 0: messages expire at once unless a consumer can take them immediately', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 0 });
    ch.sendToQueue(q, Buffer.from('nobody-home'));
    const d = await awaitOne(ch, dlq);
    assert.equal(d.content.toString(), 'nobody-home');
    assert.equal(xDeath(d)[0].reason, 'expired');
    const got: ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) got.push(m); }, { noAck: true });
    ch.sendToQueue(q, Buffer.from('delivered'));
    await eventually(() => got.length === 1);
    assert.equal(got[0].content.toString(), 'delivered');
    assert.equal(await count(ch, dlq), 0);
  });

  it('per-message expiration 0 with no consumer: expired at once', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-dead-letter-exchange': dlx });
    ch.sendToQueue(q, Buffer.from('zero'), { expiration: '0' });
    const d = await awaitOne(ch, dlq);
    assert.deepEqual(xDeath(d), [{ count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q], 'original-expiration': '0' }]);
  });
});

describe('queue expiry (x-expires)', () => {
  /** A probe that does not count as using the queue: a mandatory publish, returned once q is gone. */
  async function goneProbe(conn: ChannelModel, q: string): Promise<() => Promise<boolean>> {
    const cc = await conn.createConfirmChannel();
    let returned = false;
    cc.on('return', () => { returned = true; });
    return async () => {
      cc.sendToQueue(q, Buffer.alloc(0), { mandatory: true });
      await cc.waitForConfirms(); // a basic.return comes before its ack
      return returned;
    };
  }

  it('an unused queue is deleted once x-expires has passed (messages in it do not count as use)', limits, async () => {
    const { conn, ch } = await open();
    const start = Date.now();
    const q = await queue(ch, { 'x-expires': 150 });
    queues.splice(queues.indexOf(q), 1);
    const gone = await goneProbe(conn, q);
    assert.equal(await gone(), false);
    await eventually(gone, 3000, 10);
    assert.ok(Date.now() - start >= 140, `expired after ${Date.now() - start} ms`);
  });

  it('passive declare and basic.get renew the lease', limits, async () => {
    // RabbitMQ counts queue.declare (passive too) and basic.get (even get-empty) as use
    const { conn, ch } = await open();
    const q = await queue(ch, { 'x-expires': 150 });
    queues.splice(queues.indexOf(q), 1);
    for (let i = 0; i < 5; i++) { await sleep(60); await ch.checkQueue(q); }
    for (let i = 0; i < 5; i++) { await sleep(60); assert.equal(await ch.get(q), false); }
    const gone = await goneProbe(conn, q);
    assert.equal(await gone(), false);
    await eventually(gone, 3000, 10);
  });

  it('a queue with a consumer does not expire', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch, { 'x-expires': 100 });
    await ch.consume(q, () => {}, { noAck: true });
    const gone = await goneProbe(conn, q);
    await sleep(250);
    assert.equal(await gone(), false);
  });
});

describe('length limits and overflow', () => {
  it('x-max-length drop-head keeps the newest', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch, { 'x-max-length': 2, 'x-overflow': 'drop-head' });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await eventually(async () => (await count(ch, q)) === 2);
    assert.deepEqual(await drain(ch, q), ['m3', 'm4']);
  });

  it('x-max-length-bytes counts body bytes only', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch, { 'x-max-length-bytes': 10 });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`abc${i}`), { headers: { big: 'x'.repeat(100) } });
    await ch.checkQueue(q);
    assert.deepEqual(await drain(ch, q), ['abc1', 'abc2']); // 8 bytes fit, 12 would not
  });

  it('x-max-length 0 keeps nothing', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch, { 'x-max-length': 0 });
    ch.sendToQueue(q, Buffer.from('gone'));
    await ch.checkQueue(q);
    assert.equal(await count(ch, q), 0);
  });

  it('reject-publish drops new messages and keeps the oldest, without dead-lettering', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-max-length': 2, 'x-overflow': 'reject-publish', 'x-dead-letter-exchange': dlx });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await ch.checkQueue(q);
    assert.deepEqual(await drain(ch, q), ['m0', 'm1']);
    await sleep(50);
    assert.equal(await count(ch, dlq), 0);
  });

  it('reject-publish-dlx dead-letters the rejected publishes with reason maxlen', limits, async () => {
    const { ch } = await open();
    const { dlx, dlq } = await dlxWithQueue(ch);
    const q = await queue(ch, { 'x-max-length-bytes': 4, 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': dlx });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await eventually(async () => (await count(ch, dlq)) === 1);
    const d = await getOne(ch, dlq);
    assert.equal(d.content.toString(), 'm2');
    assert.deepEqual(xDeath(d), [{ count: 1, reason: 'maxlen', queue: q, exchange: '', 'routing-keys': [q] }]);
    assert.deepEqual(await drain(ch, q), ['m0', 'm1']);
  });
});

describe('priority queues', () => {
  it('deliver highest priority first, FIFO within a priority, priorities above the max clamped', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch, { 'x-max-priority': 10 });
    const sent: Array<[string, number | undefined]> = [
      ['a-p1', 1], ['b-none', undefined], ['c-p5', 5], ['d-p10', 10], ['e-p50', 50], ['f-p5', 5],
      ['g-p0', 0], ['h-p10', 10], ['i-p1', 1], ['j-p255', 255],
    ];
    for (const [body, priority] of sent) ch.sendToQueue(q, Buffer.from(body), priority === undefined ? {} : { priority });
    await eventually(async () => (await count(ch, q)) === sent.length);
    await ch.prefetch(1);
    const got: ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) { got.push(m); ch.ack(m); } });
    await eventually(() => got.length === sent.length);
    // 50 and 255 count as 10 (FIFO with the real 10s); no priority counts as 0
    assert.deepEqual(got.map((m) => m.content.toString()),
      ['d-p10', 'e-p50', 'h-p10', 'j-p255', 'c-p5', 'f-p5', 'a-p1', 'i-p1', 'b-none', 'g-p0']);
    // the priority property itself is delivered as published
    assert.deepEqual(got.map((m) => m.properties.priority), [10, 50, 10, 255, 5, 5, 1, 1, undefined, 0]);
  });

  it('a requeued message keeps its priority position', limits, async () => {
    const { ch } = await open();
    const q = await queue(ch, { 'x-max-priority': 5 });
    ch.sendToQueue(q, Buffer.from('low'), { priority: 1 });
    ch.sendToQueue(q, Buffer.from('high'), { priority: 5 });
    await eventually(async () => (await count(ch, q)) === 2);
    const high = await getOne(ch, q, false);
    assert.equal(high.content.toString(), 'high');
    ch.reject(high, true);
    await eventually(async () => (await count(ch, q)) === 2);
    assert.deepEqual(await drain(ch, q), ['high', 'low']);
  });
});

describe('single active consumer', () => {
  it('only the first consumer receives; when it cancels the next takes over', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch, { 'x-single-active-consumer': true });
    const first: ConsumeMessage[] = [];
    const second: ConsumeMessage[] = [];
    const ch1 = await conn.createChannel();
    const ch2 = await conn.createChannel();
    const { consumerTag: tag1 } = await ch1.consume(q, (m) => { if (m) first.push(m); }, { noAck: true });
    await ch2.consume(q, (m) => { if (m) second.push(m); }, { noAck: true });
    assert.equal((await ch.checkQueue(q)).consumerCount, 2); // both count as consumers
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(`a${i}`));
    await eventually(() => first.length === 4);
    await ch1.cancel(tag1);
    for (let i = 0; i < 2; i++) ch.sendToQueue(q, Buffer.from(`b${i}`));
    await eventually(() => second.length === 2);
    assert.deepEqual(second.map((m) => m.content.toString()), ['b0', 'b1']);
    assert.equal(first.length, 4);
  });

  it('unacked messages of the active consumer go to the next one when its channel closes', limits, async () => {
    const { conn, ch } = await open();
    const q = await queue(ch, { 'x-single-active-consumer': true });
    const ch1 = await conn.createChannel();
    const ch2 = await conn.createChannel();
    const first: ConsumeMessage[] = [];
    const second: ConsumeMessage[] = [];
    await ch1.consume(q, (m) => { if (m) first.push(m); });
    await ch2.consume(q, (m) => { if (m) second.push(m); }, { noAck: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await eventually(() => first.length === 3);
    assert.equal(second.length, 0);
    await ch1.close();
    await eventually(() => second.length === 3);
    assert.deepEqual(second.map((m) => [m.content.toString(), m.fields.redelivered]), [['m0', true], ['m1', true], ['m2', true]]);
  });
});
