// Integration tests: publisher confirms, mandatory returns, alternate exchanges, transactions,
// direct reply-to and reject-publish overflow, as RabbitMQ 3.10.8 behaves.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message } from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import { uniq, expectChannelError, eventually, sleep, rawRpc } from '../support/amqp.js';

/** Each test fails after 10 s instead of hanging when an awaited close or delivery never comes. */
const limits = { timeout: 10_000 };
let broker: TestBroker;
const conns: ChannelModel[] = [];
const queues: string[] = [];
const exchanges: string[] = [];

async function connect(): Promise<ChannelModel> {
  const c = await amqp.connect(broker.url);
  c.on('error', () => { /* asserted where expected */ });
  conns.push(c);
  return c;
}
async function confirmChannel(): Promise<{ conn: ChannelModel; ch: ConfirmChannel }> {
  const conn = await connect();
  return { conn, ch: await conn.createConfirmChannel() };
}
async function plainChannel(): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await connect();
  return { conn, ch: await conn.createChannel() };
}
async function queue(ch: Channel, args: Record<string, unknown> = {}): Promise<string> {
  const q = uniq('confirms');
  queues.push(q);
  await ch.assertQueue(q, { durable: false, arguments: args });
  return q;
}
async function exchange(ch: Channel, type: string, args: Record<string, unknown> = {}): Promise<string> {
  const x = uniq('confirms.x');
  exchanges.push(x);
  await ch.assertExchange(x, type, { durable: false, arguments: args });
  return x;
}
/** Records confirms and returns on a channel as one ordered event log. */
function eventLog(ch: Channel) {
  const events: Array<{ kind: 'ack' | 'nack'; tag: number; multiple: boolean } | { kind: 'return'; msg: Message }> = [];
  ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => events.push({ kind: 'ack', tag: f.deliveryTag, multiple: f.multiple }));
  ch.on('nack', (f: { deliveryTag: number; multiple: boolean }) => events.push({ kind: 'nack', tag: f.deliveryTag, multiple: f.multiple }));
  ch.on('return', (msg: Message) => events.push({ kind: 'return', msg }));
  return events;
}
/**
 * Expands confirms into one [kind, tag] per publish, in the order they were confirmed. A
 * multiple=true confirm covers every not-yet-confirmed tag up to its own; no tag may be confirmed twice.
 */
function perPublish(events: ReturnType<typeof eventLog>): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const done = new Set<number>();
  for (const e of events) {
    if (e.kind === 'return') continue;
    const tags = e.multiple ? Array.from({ length: e.tag }, (_, i) => i + 1).filter((t) => !done.has(t)) : [e.tag];
    assert.ok(tags.length > 0 && !done.has(e.tag), `tag ${e.tag} confirmed twice`);
    for (const t of tags) { done.add(t); out.push([e.kind, t]); }
  }
  return out;
}
async function drain(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) out.push(m.content.toString());
  return out;
}

before(async () => { broker = await startBroker(); });
after(async () => {
  for (const c of conns) { try { await c.close(); } catch { /* already closed */ } }
  const c = await amqp.connect(broker.url);
  let ch = await c.createChannel();
  for (const q of queues) { try { await ch.deleteQueue(q); } catch { ch = await c.createChannel(); } }
  for (const x of exchanges) { try { await ch.deleteExchange(x); } catch { ch = await c.createChannel(); } }
  await c.close();
  await broker.stop();
});

describe('publisher confirms', () => {
  it('confirms every publish to a queue exactly once, in publish order', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const q = await queue(ch);
    const results: Array<unknown> = [];
    for (let i = 0; i < 30; i++) ch.sendToQueue(q, Buffer.from(`m${i}`), {}, (err) => results.push(err));
    await ch.waitForConfirms();
    // RabbitMQ coalesces confirms with multiple=true when it can; each tag is still confirmed once
    assert.deepEqual(perPublish(events), Array.from({ length: 30 }, (_, i) => ['ack', i + 1]));
    assert.deepEqual(results, Array(30).fill(null));
    assert.equal((await ch.checkQueue(q)).messageCount, 30);
  });

  it('confirms unroutable publishes too; they may overtake earlier routed ones', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const q = await queue(ch);
    for (let i = 0; i < 30; i++) ch.publish('', i % 3 === 2 ? uniq('nowhere') : q, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    // RabbitMQ acks an unroutable message at once, while routed ones wait for the queue; so e.g.
    // "ack 21" can come before "ack 20 multiple=true". Only exactly-once is guaranteed.
    const confirmed = perPublish(events);
    assert.deepEqual(confirmed.map(([, t]) => t).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.ok(confirmed.every(([kind]) => kind === 'ack'));
    assert.equal((await ch.checkQueue(q)).messageCount, 20);
  });

  it('confirm.select again on a confirm channel is accepted', limits, async () => {
    const { ch } = await confirmChannel();
    assert.deepEqual(await rawRpc(ch, [85, 10], { nowait: false }, [85, 11]), {});
    const events = eventLog(ch);
    ch.publish('amq.fanout', '', Buffer.from('x'));
    await ch.waitForConfirms();
    assert.deepEqual(perPublish(events), [['ack', 1]]); // the tag sequence did not restart or skip
  });

  it('mandatory + unroutable: basic.return 312 NO_ROUTE arrives before the ack', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const q = await queue(ch);
    const key = uniq('nokey');
    ch.publish('amq.direct', key, Buffer.from('lost'), { mandatory: true, messageId: 'r1', headers: { a: 1 } });
    ch.publish('', q, Buffer.from('kept'), { mandatory: true });
    await ch.waitForConfirms();
    assert.equal(events.length, 3);
    const [ret, ack1, ack2] = events;
    assert.equal(ret.kind, 'return');
    if (ret.kind !== 'return') return;
    assert.deepEqual({ ...ret.msg.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: key });
    assert.equal(ret.msg.content.toString(), 'lost');
    assert.equal(ret.msg.properties.messageId, 'r1');
    assert.deepEqual(ret.msg.properties.headers, { a: 1 });
    assert.deepEqual([ack1, ack2], [{ kind: 'ack', tag: 1, multiple: false }, { kind: 'ack', tag: 2, multiple: false }]);
  });

  it('mandatory + unroutable without confirms still returns', limits, async () => {
    const { ch } = await plainChannel();
    const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
    ch.publish('amq.topic', 'no.binding.here', Buffer.from('x'), { mandatory: true });
    const m = await returned;
    assert.deepEqual({ ...m.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.topic', routingKey: 'no.binding.here' });
  });
});

describe('alternate exchanges', () => {
  it('catch unroutable messages; no basic.return even with mandatory', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const ae = await exchange(ch, 'fanout');
    const aeQ = await queue(ch);
    await ch.bindQueue(aeQ, ae, '');
    const x = await exchange(ch, 'direct', { 'alternate-exchange': ae });
    const q = await queue(ch);
    await ch.bindQueue(q, x, 'bound');
    ch.publish(x, 'unbound', Buffer.from('to-ae'), { mandatory: true });
    ch.publish(x, 'bound', Buffer.from('to-q'), { mandatory: true });
    await ch.waitForConfirms();
    assert.deepEqual(events.map((e) => e.kind), ['ack', 'ack']);
    const m = await ch.get(aeQ, { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'to-ae');
    // the delivery names the exchange and key the message was published to
    assert.equal(m.fields.exchange, x);
    assert.equal(m.fields.routingKey, 'unbound');
    assert.deepEqual(await drain(ch, aeQ), []); // routed messages do not also go to the AE
    assert.deepEqual(await drain(ch, q), ['to-q']);
  });

  it('chain: an alternate exchange\'s own alternate exchange is followed', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const x3 = await exchange(ch, 'fanout');
    const q3 = await queue(ch);
    await ch.bindQueue(q3, x3, '');
    const x2 = await exchange(ch, 'direct', { 'alternate-exchange': x3 });
    const q2 = await queue(ch);
    await ch.bindQueue(q2, x2, 'two');
    const x1 = await exchange(ch, 'direct', { 'alternate-exchange': x2 });
    ch.publish(x1, 'two', Buffer.from('via-x2'), { mandatory: true });
    ch.publish(x1, 'other', Buffer.from('via-x3'), { mandatory: true });
    await ch.waitForConfirms();
    assert.deepEqual(events.map((e) => e.kind), ['ack', 'ack']);
    assert.deepEqual(await drain(ch, q2), ['via-x2']);
    assert.deepEqual(await drain(ch, q3), ['via-x3']);
  });

  it('a missing alternate exchange: the message is returned if mandatory, dropped otherwise, and acked', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const x = await exchange(ch, 'direct', { 'alternate-exchange': uniq('no-such-ae') });
    ch.publish(x, 'k', Buffer.from('returned'), { mandatory: true });
    ch.publish(x, 'k', Buffer.from('dropped'));
    await ch.waitForConfirms();
    assert.deepEqual(events.map((e) => e.kind), ['return', 'ack', 'ack']);
    const ret = events[0];
    if (ret.kind === 'return') {
      assert.deepEqual({ ...ret.msg.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'k' });
    }
  });
});

describe('transactions', () => {
  it('publishes are delivered on commit and discarded on rollback', limits, async () => {
    const { ch } = await plainChannel();
    const q = await queue(ch);
    assert.deepEqual(await rawRpc(ch, [90, 10], {}, [90, 11]), {}); // tx.select
    ch.sendToQueue(q, Buffer.from('rolled-back'));
    assert.equal((await ch.checkQueue(q)).messageCount, 0); // nothing visible before commit
    assert.deepEqual(await rawRpc(ch, [90, 30], {}, [90, 31]), {}); // tx.rollback
    ch.sendToQueue(q, Buffer.from('c1'));
    ch.sendToQueue(q, Buffer.from('c2'));
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
    assert.deepEqual(await rawRpc(ch, [90, 20], {}, [90, 21]), {}); // tx.commit
    assert.deepEqual(await drain(ch, q), ['c1', 'c2']);
  });

  it('acks are applied on commit and forgotten on rollback', limits, async () => {
    const { conn, ch } = await plainChannel();
    const q = await queue(ch);
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    await ch.checkQueue(q);
    const a = await ch.get(q);
    const b = await ch.get(q);
    assert.ok(a && b);
    await rawRpc(ch, [90, 10], {}, [90, 11]);
    ch.ack(a);
    ch.ack(b);
    await rawRpc(ch, [90, 30], {}, [90, 31]); // both acks undone: still unacked
    ch.ack(b);
    await rawRpc(ch, [90, 20], {}, [90, 21]); // b acked for good
    await ch.close(); // a is still unacked, so it is requeued
    const ch2 = await conn.createChannel();
    const left = await ch2.get(q, { noAck: true });
    assert.ok(left);
    assert.equal(left.content.toString(), 'a');
    assert.equal(left.fields.redelivered, true);
    assert.equal(await ch2.get(q), false);
  });

  it('tx.commit / tx.rollback on a non-transactional channel: 406', limits, async () => {
    const { conn } = await plainChannel();
    for (const [methodId, name] of [[20, 'commit'], [30, 'rollback']] as const) {
      const ch = await conn.createChannel();
      const err = await expectChannelError(ch, () => rawRpc(ch, [90, methodId], {}, [90, methodId + 1]));
      assert.equal(err.code, 406, name);
      assert.deepEqual([err.classId, err.methodId], [90, methodId], name);
      assert.match(err.message, /"PRECONDITION_FAILED - channel is not transactional"/, name);
    }
  });

  it('confirm.select after tx.select and tx.select after confirm.select: 406', limits, async () => {
    const { conn } = await plainChannel();
    const tx = await conn.createChannel();
    await rawRpc(tx, [90, 10], {}, [90, 11]);
    const e1 = await expectChannelError(tx, () => rawRpc(tx, [85, 10], { nowait: false }, [85, 11]));
    assert.equal(e1.code, 406);
    assert.deepEqual([e1.classId, e1.methodId], [85, 10]);
    assert.match(e1.message, /"PRECONDITION_FAILED - cannot switch from tx to confirm mode"/);
    const cf = await conn.createConfirmChannel();
    const e2 = await expectChannelError(cf, () => rawRpc(cf, [90, 10], {}, [90, 11]));
    assert.equal(e2.code, 406);
    assert.deepEqual([e2.classId, e2.methodId], [90, 10]);
    assert.match(e2.message, /"PRECONDITION_FAILED - cannot switch from confirm to tx mode"/);
  });
});

describe('direct reply-to', () => {
  const REPLY_TO = 'amq.rabbitmq.reply-to';

  it('a reply published to the rewritten reply_to reaches the no-ack reply consumer', limits, async () => {
    const { ch: server } = await plainChannel();
    const requests = await queue(server);
    const seenReplyTo: string[] = [];
    await server.consume(requests, (m) => {
      if (!m) return;
      seenReplyTo.push(m.properties.replyTo);
      server.sendToQueue(m.properties.replyTo, Buffer.from(`re:${m.content}`), { correlationId: m.properties.correlationId });
    }, { noAck: true });
    const { ch: client } = await plainChannel();
    const replies: ConsumeMessage[] = [];
    const { consumerTag } = await client.consume(REPLY_TO, (m) => { if (m) replies.push(m); }, { noAck: true });
    assert.match(consumerTag, /^amq\.ctag-/);
    client.sendToQueue(requests, Buffer.from('ping'), { replyTo: REPLY_TO, correlationId: 'c-1' });
    await eventually(() => replies.length === 1);
    // the server side sees a per-channel address, not the pseudo-queue name
    assert.equal(seenReplyTo.length, 1);
    assert.match(seenReplyTo[0], /^amq\.rabbitmq\.reply-to\..+/);
    const r = replies[0];
    assert.equal(r.content.toString(), 're:ping');
    assert.equal(r.properties.correlationId, 'c-1');
    assert.deepEqual({ ...r.fields }, { consumerTag, deliveryTag: 1, redelivered: false, exchange: '', routingKey: seenReplyTo[0] });
  });

  it('passive declare of amq.rabbitmq.reply-to always succeeds, even without a reply consumer', limits, async () => {
    // RabbitMQ answers declare-ok with message_count 0 and consumer_count 1 whatever the state
    const { ch } = await plainChannel();
    assert.deepEqual(await ch.checkQueue(REPLY_TO), { queue: REPLY_TO, messageCount: 0, consumerCount: 1 });
  });

  it('a mandatory publish to an unknown reply-to address is returned NO_ROUTE', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    ch.sendToQueue(`${REPLY_TO}.bogus`, Buffer.from('x'), { mandatory: true });
    await ch.waitForConfirms();
    assert.deepEqual(events.map((e) => e.kind), ['return', 'ack']);
    if (events[0].kind === 'return') {
      assert.deepEqual({ ...events[0].msg.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: `${REPLY_TO}.bogus` });
    }
  });

  it('consuming amq.rabbitmq.reply-to in ack mode: 406', limits, async () => {
    const { ch } = await plainChannel();
    const err = await expectChannelError(ch, () => ch.consume(REPLY_TO, () => {}, { noAck: false }));
    assert.equal(err.code, 406);
    assert.deepEqual([err.classId, err.methodId], [60, 20]);
    assert.match(err.message, /"PRECONDITION_FAILED - reply consumer cannot acknowledge"/);
  });

  it('a second reply consumer on the same channel: 406', limits, async () => {
    const { ch } = await plainChannel();
    await ch.consume(REPLY_TO, () => {}, { noAck: true });
    const err = await expectChannelError(ch, () => ch.consume(REPLY_TO, () => {}, { noAck: true }));
    assert.equal(err.code, 406);
    assert.deepEqual([err.classId, err.methodId], [60, 20]);
    assert.match(err.message, /"PRECONDITION_FAILED - reply consumer already set"/);
  });

  it('publishing with reply_to amq.rabbitmq.reply-to without consuming it first: 406', limits, async () => {
    const { ch } = await plainChannel();
    const q = await queue(ch);
    const err = await expectChannelError(ch, () => ch.sendToQueue(q, Buffer.from('x'), { replyTo: REPLY_TO }));
    assert.equal(err.code, 406);
    assert.deepEqual([err.classId, err.methodId], [60, 40]);
    assert.match(err.message, /"PRECONDITION_FAILED - fast reply consumer does not exist"/);
    const { ch: ch2 } = await plainChannel();
    assert.equal((await ch2.checkQueue(q)).messageCount, 0); // the request was not enqueued
  });
});

describe('overflow reject-publish with confirms', () => {
  it('a full reject-publish queue nacks the publish; room again means acks again', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const q = await queue(ch, { 'x-max-length': 2, 'x-overflow': 'reject-publish' });
    const results: Array<unknown> = [];
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(`m${i}`), {}, (err) => results.push(err === null ? 'ack' : 'nack'));
    await eventually(() => results.length === 4);
    assert.deepEqual(perPublish(events), [['ack', 1], ['ack', 2], ['nack', 3], ['nack', 4]]);
    // (nacks, like acks, are sometimes coalesced with multiple=true)
    assert.deepEqual(await drain(ch, q), ['m0', 'm1']); // the oldest are kept
    ch.sendToQueue(q, Buffer.from('m4'));
    await ch.waitForConfirms();
    assert.deepEqual(perPublish(events).at(-1), ['ack', 5]);
  });

  it('a publish routed to a full reject-publish queue and to a queue with room is nacked but still delivered to the other', limits, async () => {
    const { ch } = await confirmChannel();
    const events = eventLog(ch);
    const x = await exchange(ch, 'fanout');
    const full = await queue(ch, { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const open = await queue(ch);
    await ch.bindQueue(full, x, '');
    await ch.bindQueue(open, x, '');
    ch.publish(x, '', Buffer.from('both'));
    await eventually(() => events.length === 1);
    assert.deepEqual(perPublish(events), [['nack', 1]]);
    assert.deepEqual(await drain(ch, open), ['both']);
    assert.deepEqual(await drain(ch, full), []);
  });
});
