// Integration tests: exchange.declare/delete, queue.declare/delete/purge, queue.bind/unbind and the
// errors around them (equivalence, reserved names, exclusivity, argument validation), as RabbitMQ
// 3.10.8 behaves (verified against the reference broker).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import { uniq, expectChannelError, eventually, connectionCloseFrame, rawRpc } from '../support/amqp.js';

let broker: TestBroker;
const conns: ChannelModel[] = [];
const queues = new Set<string>();
const exchanges = new Set<string>();

async function connect(): Promise<ChannelModel> {
  const c = await amqp.connect(broker.url, { noDelay: true });
  c.on('error', () => { /* server-initiated closes are asserted explicitly */ });
  conns.push(c);
  return c;
}
async function open(): Promise<{ conn: ChannelModel; ch: ConfirmChannel }> {
  const conn = await connect();
  return { conn, ch: await conn.createConfirmChannel() };
}
/** A unique exchange / queue name, deleted after the file. */
const xname = (p = 'decl.x') => { const n = uniq(p); exchanges.add(n); return n; };
const qname = (p = 'decl.q') => { const n = uniq(p); queues.add(n); return n; };

interface Failure { code?: number; classId?: number; methodId?: number; text: string }
/** Runs op, which must make the server close the channel; returns code, class/method and reply text. */
async function fail(ch: Channel, op: () => unknown): Promise<Failure> {
  const e = await expectChannelError(ch, op);
  const m = /with message "(.*)"$/s.exec(e.message);
  return { code: e.code, classId: e.classId, methodId: e.methodId, text: m ? m[1] : e.message };
}
let spare: ChannelModel | undefined;
/** A fresh channel on a shared second connection, for a single expected failure. */
async function failOnNew(op: (ch: Channel) => unknown): Promise<Failure> {
  spare ??= await connect();
  const ch = await spare.createChannel();
  return fail(ch, () => op(ch));
}
/** Asserts op (on a fresh channel) closes the channel with [code, class id, method id] and reply text. */
async function failsWith(op: (ch: Channel) => unknown, [code, classId, methodId]: number[], text: string): Promise<void> {
  assert.deepEqual(await failOnNew(op), { code, classId, methodId, text });
}
const V = "in vhost '/'";
async function publishConfirmed(ch: ConfirmChannel, x: string, key: string, body = 'm'): Promise<void> {
  ch.publish(x, key, Buffer.from(body));
  await ch.waitForConfirms();
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

describe('exchange.declare', () => {
  it('declares all four types, durable or not; passive and identical redeclare succeed', async () => {
    const { ch } = await open();
    for (const type of ['direct', 'fanout', 'topic', 'headers']) {
      for (const durable of [false, true]) {
        const x = xname(`decl.${type}`);
        assert.deepEqual(await ch.assertExchange(x, type, { durable }), { exchange: x });
        await ch.checkExchange(x);
        await ch.assertExchange(x, type, { durable });
        await ch.deleteExchange(x);
      }
    }
  });

  it('passive declare of a missing exchange is 404', async () => {
    const x = uniq('decl.none');
    await failsWith((ch) => ch.checkExchange(x), [404, 40, 10], `NOT_FOUND - no exchange '${x}' ${V}`);
  });

  it('passive declare ignores type, flags and arguments', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'direct', { durable: false });
    await rawRpc(ch, [40, 10], {
      exchange: x, ticket: 0, type: 'no-such-type', passive: true, durable: true, autoDelete: true,
      internal: true, nowait: false, arguments: { 'alternate-exchange': 'z' },
    }, [40, 11]);
    await ch.checkExchange(x);
  });

  it('redeclare with a different type, durable, auto-delete or internal is 406', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'direct', { durable: false });
    const base = { durable: false, autoDelete: false, internal: false };
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['fanout', base, 'type', "received 'fanout' but current is 'direct'"],
      ['direct', { ...base, durable: true }, 'durable', "received 'true' but current is 'false'"],
      ['direct', { ...base, autoDelete: true }, 'auto_delete', "received 'true' but current is 'false'"],
      ['direct', { ...base, internal: true }, 'internal', "received 'true' but current is 'false'"],
    ];
    for (const [type, opts, arg, detail] of cases) {
      await failsWith((c) => c.assertExchange(x, type, opts),
        [406, 40, 10], `PRECONDITION_FAILED - inequivalent arg '${arg}' for exchange '${x}' ${V}: ${detail}`);
    }
    await ch.checkExchange(x);
  });

  it('alternate-exchange is compared on redeclare; other arguments are not', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'topic', { durable: false, alternateExchange: 'ae1' });
    await failsWith((c) => c.assertExchange(x, 'topic', { durable: false, alternateExchange: 'ae2' }),
      [406, 40, 10], `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${x}' ${V}: received 'ae2' but current is 'ae1'`);
    await failsWith((c) => c.assertExchange(x, 'topic', { durable: false }),
      [406, 40, 10], `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${x}' ${V}: received none but current is the value 'ae1' of type 'longstr'`);
    // RabbitMQ ignores any other argument when checking equivalence.
    await ch.assertExchange(x, 'topic', { durable: false, alternateExchange: 'ae1', arguments: { 'x-anything': 1, foo: 'bar' } });
    const y = xname();
    await ch.assertExchange(y, 'topic', { durable: false });
    await failsWith((c) => c.assertExchange(y, 'topic', { durable: false, alternateExchange: 'ae' }),
      [406, 40, 10], `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${y}' ${V}: received the value 'ae' of type 'longstr' but current is none`);
  });

  it('alternate-exchange of the wrong type is 406', async () => {
    const x = uniq('decl.x');
    await failsWith((c) => c.assertExchange(x, 'direct', { arguments: { 'alternate-exchange': 5 } }),
      [406, 40, 10], `PRECONDITION_FAILED - invalid type 'byte' for arg 'alternate-exchange' in exchange '${x}' ${V}`);
  });

  it("new names starting with 'amq.' are 403; existing amq.* exchanges can be redeclared equivalently", async () => {
    const x = `amq.${uniq('decl')}`;
    await failsWith((c) => c.assertExchange(x, 'direct'), [403, 40, 10], `ACCESS_REFUSED - exchange name '${x}' contains reserved prefix 'amq.*'`);
    const { ch } = await open();
    for (const [name, type] of [['amq.direct', 'direct'], ['amq.fanout', 'fanout'], ['amq.topic', 'topic'], ['amq.headers', 'headers'], ['amq.match', 'headers']]) {
      await ch.assertExchange(name, type, { durable: true });
    }
    await ch.checkExchange('amq.rabbitmq.trace');
    await failsWith((c) => c.assertExchange('amq.direct', 'fanout'),
      [406, 40, 10], `PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'amq.direct' ${V}: received 'fanout' but current is 'direct'`);
  });

  it('declaring (even passively) the default exchange is 403; amq.default does not exist', async () => {
    const text = 'ACCESS_REFUSED - operation not permitted on the default exchange';
    await failsWith((c) => c.assertExchange('', 'direct'), [403, 40, 10], text);
    await failsWith((c) => c.checkExchange(''), [403, 40, 10], text);
    // RabbitMQ 3.10 has no 'amq.default' alias.
    await failsWith((c) => c.checkExchange('amq.default'), [404, 40, 10], `NOT_FOUND - no exchange 'amq.default' ${V}`);
  });

  it('an unknown exchange type is a 503 COMMAND_INVALID connection error', async () => {
    for (const [type, text] of [
      ['no-such-type', "COMMAND_INVALID - unknown exchange type 'no-such-type'"],
      ['x-consistent-hash', "COMMAND_INVALID - unknown exchange type 'x-consistent-hash'"], // plugin not enabled
      ['', "COMMAND_INVALID - invalid exchange type ''"],
    ]) {
      const { conn, ch } = await open();
      const closed = connectionCloseFrame(conn);
      ch.assertExchange(uniq('decl.bad'), type).catch(() => { /* the connection closes */ });
      assert.deepEqual(await closed, { replyCode: 503, replyText: text, classId: 40, methodId: 10 });
    }
  });
});

describe('exchange.delete', () => {
  it('deleting amq.* or the default exchange is 403; deleting a missing exchange is ok', async () => {
    await failsWith((c) => c.deleteExchange('amq.direct'),
      [403, 40, 20], `ACCESS_REFUSED - deletion of system exchange 'amq.direct' ${V} not allowed`);
    await failsWith((c) => c.deleteExchange(''), [403, 40, 20], 'ACCESS_REFUSED - operation not permitted on the default exchange');
    const { ch } = await open();
    await ch.deleteExchange(uniq('decl.none'));
    await ch.deleteExchange(uniq('decl.none'), { ifUnused: true });
  });

  it('if-unused fails with 406 while the exchange is the source of a binding', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'direct', { durable: false });
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, x, 'k');
    await failsWith((c) => c.deleteExchange(x, { ifUnused: true }), [406, 40, 20], `PRECONDITION_FAILED - exchange '${x}' ${V} in use`);
    await ch.checkExchange(x);
    await ch.unbindQueue(q, x, 'k');
    await ch.deleteExchange(x, { ifUnused: true });
    assert.equal((await failOnNew((c) => c.checkExchange(x))).code, 404);
  });

  it('if-unused ignores bindings where the exchange is only the destination', async () => {
    const { ch } = await open();
    const [src, dst] = [xname(), xname()];
    await ch.assertExchange(src, 'fanout', { durable: false });
    await ch.assertExchange(dst, 'fanout', { durable: false });
    await ch.bindExchange(dst, src, '');
    await ch.deleteExchange(dst, { ifUnused: true });
    assert.equal((await failOnNew((c) => c.checkExchange(dst))).code, 404);
  });

  it('deleting an exchange removes its bindings', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'fanout', { durable: false });
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, x, '');
    await ch.deleteExchange(x);
    await ch.assertExchange(x, 'fanout', { durable: false });
    await publishConfirmed(ch, x, '');
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });
});

describe('internal and auto-delete exchanges', () => {
  it('publishing to an internal exchange is 403; it still routes from an exchange-to-exchange binding', async () => {
    const { ch } = await open();
    const [src, internal] = [xname(), xname()];
    await ch.assertExchange(internal, 'fanout', { durable: false, internal: true });
    await ch.assertExchange(src, 'fanout', { durable: false });
    await ch.bindExchange(internal, src, '');
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, internal, '');
    await publishConfirmed(ch, src, 'k');
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
    await failsWith((c) => { c.publish(internal, 'k', Buffer.from('x')); return c.checkExchange(internal); },
      [403, 60, 40], `ACCESS_REFUSED - cannot publish to internal exchange '${internal}' ${V}`);
  });

  it('publishing to a missing exchange is 404', async () => {
    const x = uniq('decl.none');
    await failsWith((c) => { c.publish(x, 'k', Buffer.from('x')); return c.checkExchange('amq.direct'); },
      [404, 60, 40], `NOT_FOUND - no exchange '${x}' ${V}`);
  });

  it('auto-delete: kept while never bound, deleted when the last queue binding goes', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'direct', { durable: false, autoDelete: true });
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.checkExchange(x); // never bound: stays
    await ch.bindQueue(q, x, 'a');
    await ch.bindQueue(q, x, 'b');
    await ch.unbindQueue(q, x, 'a');
    await ch.checkExchange(x); // one binding left
    await ch.unbindQueue(q, x, 'b');
    assert.equal((await failOnNew((c) => c.checkExchange(x))).code, 404);
  });

  it('auto-delete: deleted when its only bound queue is deleted', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'fanout', { durable: false, autoDelete: true });
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, x, '');
    await ch.deleteQueue(q);
    await eventually(async () => (await failOnNew((c) => c.checkExchange(x))).code === 404);
  });

  it('auto-delete: exchange-to-exchange bindings count only where it is the source', async () => {
    const { ch } = await open();
    const [ad, other] = [xname(), xname()];
    await ch.assertExchange(ad, 'direct', { durable: false, autoDelete: true });
    await ch.assertExchange(other, 'direct', { durable: false });
    await ch.bindExchange(ad, other, 'k'); // ad is the destination
    await ch.unbindExchange(ad, other, 'k');
    await ch.checkExchange(ad); // still there
    await ch.bindExchange(other, ad, 'k'); // ad is the source
    await ch.unbindExchange(other, ad, 'k');
    assert.equal((await failOnNew((c) => c.checkExchange(ad))).code, 404);
  });
});

describe('queue.declare', () => {
  it('an empty name gets a server-generated amq.gen-* name', async () => {
    const { ch } = await open();
    const a = await ch.assertQueue('', { exclusive: true });
    const b = await ch.assertQueue('', { exclusive: true });
    assert.match(a.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
    assert.notEqual(a.queue, b.queue);
    assert.deepEqual([a.messageCount, a.consumerCount], [0, 0]);
  });

  it('declare-ok counts ready messages (not unacked ones) and consumers', async () => {
    const { ch } = await open();
    const q = qname();
    await ch.assertQueue(q, { durable: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    assert.deepEqual(await ch.assertQueue(q, { durable: false }), { queue: q, messageCount: 3, consumerCount: 0 });
    assert.ok(await ch.get(q)); // now unacked
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 2, consumerCount: 0 });
    const c2 = await (await connect()).createChannel();
    await c2.consume(q, () => { /* keeps both remaining messages unacked */ });
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 0);
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 1 });
  });

  it('passive declare of a missing queue is 404; passive ignores flags and arguments', async () => {
    const q = uniq('decl.none');
    await failsWith((c) => c.checkQueue(q), [404, 50, 10], `NOT_FOUND - no queue '${q}' ${V}`);
    const { ch } = await open();
    const q2 = qname();
    await ch.assertQueue(q2, { durable: false });
    const ok = await rawRpc(ch, [50, 10], {
      queue: q2, ticket: 0, passive: true, durable: true, exclusive: false, autoDelete: true, nowait: false,
      arguments: { 'x-message-ttl': 5 },
    }, [50, 11]);
    assert.deepEqual(ok, { queue: q2, messageCount: 0, consumerCount: 0 });
  });

  it("names starting with 'amq.' are 403, even redeclaring a server-named queue on its own channel", async () => {
    const { conn, ch } = await open();
    const gen = (await ch.assertQueue('', { exclusive: true })).queue;
    for (const q of [`amq.${uniq('decl')}`, 'amq.gen-abc']) {
      await failsWith((c) => c.assertQueue(q), [403, 50, 10], `ACCESS_REFUSED - queue name '${q}' contains reserved prefix 'amq.*'`);
    }
    // Unlike exchanges, RabbitMQ checks the prefix before looking the queue up; passive is fine.
    assert.deepEqual(await fail(ch, () => ch.assertQueue(gen, { exclusive: true })),
      { code: 403, classId: 50, methodId: 10, text: `ACCESS_REFUSED - queue name '${gen}' contains reserved prefix 'amq.*'` });
    const ch2 = await conn.createChannel();
    assert.equal((await ch2.checkQueue(gen)).queue, gen);
  });

  it('redeclare with a different durable, auto-delete or x-argument is 406', async () => {
    const { ch } = await open();
    const q = qname();
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } });
    const pre = `PRECONDITION_FAILED - inequivalent arg`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ durable: true, arguments: { 'x-message-ttl': 1000 } }, `${pre} 'durable' for queue '${q}' ${V}: received 'true' but current is 'false'`],
      [{ durable: false, autoDelete: true, arguments: { 'x-message-ttl': 1000 } }, `${pre} 'auto_delete' for queue '${q}' ${V}: received 'true' but current is 'false'`],
      [{ durable: false, arguments: { 'x-message-ttl': 2000 } }, `${pre} 'x-message-ttl' for queue '${q}' ${V}: received '2000' but current is '1000'`],
      [{ durable: false }, `${pre} 'x-message-ttl' for queue '${q}' ${V}: received none but current is the value '1000' of type 'short'`],
      [{ durable: false, arguments: { 'x-message-ttl': 1000, 'x-max-length': 5 } }, `${pre} 'x-max-length' for queue '${q}' ${V}: received the value '5' of type 'byte' but current is none`],
    ];
    for (const [opts, text] of cases) {
      await failsWith((c) => c.assertQueue(q, opts), [406, 50, 10], text);
    }
    // The same number in a wider integer type is equivalent; unknown arguments are not compared.
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': { '!': 'long', value: 1000 }, 'x-unknown': 'a', foo: 1 } });
  });

  it('exclusive mismatch on redeclare is 405 RESOURCE_LOCKED', async () => {
    const { conn, ch } = await open();
    const locked = (q: string) => `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' ${V}. ` +
      'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.';
    const shared = qname();
    await ch.assertQueue(shared, { durable: false });
    await failsWith((c) => c.assertQueue(shared, { durable: false, exclusive: true }), [405, 50, 10], locked(shared));
    const excl = qname();
    await ch.assertQueue(excl, { exclusive: true });
    const other = await conn.createChannel();
    await other.assertQueue(excl, { exclusive: true }); // same connection, another channel: fine
    assert.deepEqual(await fail(other, () => other.assertQueue(excl, { exclusive: false })),
      { code: 405, classId: 50, methodId: 10, text: locked(excl) });
  });

  it('an exclusive queue is locked to other connections: 405 for declare, consume, get, purge, delete and bind', async () => {
    const { ch } = await open();
    const q = qname();
    await ch.assertQueue(q, { exclusive: true });
    const text = `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' ${V}. ` +
      'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.';
    const ops: Array<[(c: Channel) => unknown, number, number]> = [
      [(c) => c.assertQueue(q, { exclusive: true }), 50, 10],
      [(c) => c.assertQueue(q, { exclusive: false }), 50, 10],
      [(c) => c.checkQueue(q), 50, 10],
      [(c) => c.consume(q, () => { /* none */ }), 60, 20],
      [(c) => c.get(q), 60, 70],
      [(c) => c.purgeQueue(q), 50, 30],
      [(c) => c.deleteQueue(q), 50, 40],
      [(c) => c.bindQueue(q, 'amq.fanout', ''), 50, 20],
    ];
    for (const [op, classId, methodId] of ops) {
      await failsWith(op, [405, classId, methodId], text);
    }
    // RabbitMQ lets other connections unbind it and publish to it.
    const { ch: o } = await open();
    await o.unbindQueue(q, 'amq.fanout', '');
    await publishConfirmed(o, '', q);
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
  });

  it('an exclusive queue is deleted when its connection closes', async () => {
    const { conn, ch } = await open();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await conn.close();
    await eventually(async () => (await failOnNew((c) => c.checkQueue(q))).code === 404);
  });

  it('auto-delete: kept without consumers, deleted after the last consumer cancels', async () => {
    const { ch } = await open();
    const q = qname();
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    await publishConfirmed(ch, '', q);
    await ch.checkQueue(q); // never had a consumer: stays
    const a = await ch.consume(q, () => { /* none */ }, { noAck: true });
    const b = await ch.consume(q, () => { /* none */ }, { noAck: true });
    await ch.cancel(a.consumerTag);
    assert.equal((await ch.checkQueue(q)).consumerCount, 1);
    await ch.cancel(b.consumerTag);
    await eventually(async () => (await failOnNew((c) => c.checkQueue(q))).code === 404);
  });

  it("auto-delete: deleted when the last consumer's channel closes", async () => {
    const { conn, ch } = await open();
    const q = qname();
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    const c2 = await conn.createChannel();
    await c2.consume(q, () => { /* none */ });
    await c2.close();
    await eventually(async () => (await failOnNew((c) => c.checkQueue(q))).code === 404);
  });

  describe('argument validation', () => {
    const invalid = (arg: string, why: string) => `PRECONDITION_FAILED - invalid arg '${arg}' for queue '%Q' ${V}: ${why}`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ 'x-expires': 0 }, invalid('x-expires', '{value_zero,0}')],
      [{ 'x-expires': -1 }, invalid('x-expires', '{value_negative,-1}')],
      [{ 'x-expires': 1.5 }, invalid('x-expires', '"expected integer, got double"')],
      [{ 'x-max-priority': 256 }, invalid('x-max-priority', '{max_value_exceeded,256}')],
      [{ 'x-max-priority': -1 }, invalid('x-max-priority', '{value_negative,-1}')],
      [{ 'x-message-ttl': -1 }, invalid('x-message-ttl', '{value_negative,-1}')],
      [{ 'x-message-ttl': 'abc' }, invalid('x-message-ttl', '"expected integer, got longstr"')],
      [{ 'x-overflow': 'bogus' }, invalid('x-overflow', 'invalid_overflow')],
      [{ 'x-queue-type': 'bogus' }, invalid('x-queue-type', `"unsupported queue type 'bogus'"`)],
      [{ 'x-dead-letter-routing-key': 'k' }, invalid('x-dead-letter-routing-key', 'routing_key_but_no_dlx_defined')],
      [{ 'x-dead-letter-exchange': 5 }, `PRECONDITION_FAILED - invalid type 'byte' for arg 'x-dead-letter-exchange' in queue '%Q' ${V}`],
      [{ 'x-max-length': -1 }, invalid('x-max-length', '{value_negative,-1}')],
      [{ 'x-max-length': '5' }, invalid('x-max-length', '"expected integer, got longstr"')],
      [{ 'x-max-length-bytes': -1 }, invalid('x-max-length-bytes', '{value_negative,-1}')],
      [{ 'x-queue-mode': 'bogus' }, invalid('x-queue-mode', `"unsupported queue mode 'bogus'"`)],
      [{ 'x-single-active-consumer': 'yes' }, invalid('x-single-active-consumer', '{unacceptable_type,longstr}')],
      [{ 'x-queue-version': 3 }, invalid('x-queue-version', `"unsupported queue version '3'"`)],
    ];
    for (const [args, text] of cases) {
      it(`rejects ${JSON.stringify(args)} with 406`, async () => {
        const q = uniq('decl.va');
        await failsWith((c) => c.assertQueue(q, { durable: false, arguments: args }), [406, 50, 10], text.replace('%Q', q));
      });
    }

    it('accepts boundary and valid values (priority 255 and 0, ttl 0, max-length 0, a dead-letter exchange that does not exist)', async () => {
      const { ch } = await open();
      for (const args of [
        { 'x-max-priority': 255 }, { 'x-max-priority': 0 }, { 'x-message-ttl': 0 }, { 'x-max-length': 0 },
        { 'x-expires': 60000 }, { 'x-dead-letter-exchange': uniq('decl.nodlx'), 'x-dead-letter-routing-key': 'k' },
        { 'x-overflow': 'reject-publish-dlx' }, { 'x-queue-type': 'classic', 'x-queue-version': 2 },
      ]) {
        const q = (await ch.assertQueue('', { exclusive: true, arguments: args })).queue;
        await ch.deleteQueue(q);
      }
    });

    it('quorum and stream queues must be durable', async () => {
      for (const type of ['quorum', 'stream']) {
        const q = uniq('decl.qq');
        await failsWith((c) => c.assertQueue(q, { durable: false, arguments: { 'x-queue-type': type } }),
          [406, 50, 10], `PRECONDITION_FAILED - invalid property 'non-durable' for queue '${q}' ${V}`);
      }
    });
  });
});

describe('queue.delete and queue.purge', () => {
  it('if-unused is 406 while the queue has consumers; if-empty is 406 while it has ready messages', async () => {
    const { conn, ch } = await open();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await publishConfirmed(ch, '', q);
    const tag = (await ch.consume(q, () => { /* holds the message unacked */ })).consumerTag;
    const ch2 = await conn.createChannel();
    assert.deepEqual(await fail(ch2, () => ch2.deleteQueue(q, { ifUnused: true })),
      { code: 406, classId: 50, methodId: 40, text: `PRECONDITION_FAILED - queue '${q}' ${V} in use` });
    await ch.cancel(tag);
    await ch.recover(); // back to ready
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
    const ch3 = await conn.createChannel();
    assert.deepEqual(await fail(ch3, () => ch3.deleteQueue(q, { ifEmpty: true })),
      { code: 406, classId: 50, methodId: 40, text: `PRECONDITION_FAILED - queue '${q}' ${V} not empty` });
    assert.deepEqual(await ch.deleteQueue(q, { ifUnused: true }), { messageCount: 1 });
  });

  it('if-empty only looks at ready messages; delete-ok counts ready messages only', async () => {
    const { ch } = await open();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await publishConfirmed(ch, '', q);
    assert.ok(await ch.get(q)); // unacked
    assert.deepEqual(await ch.deleteQueue(q, { ifEmpty: true }), { messageCount: 0 });
    const q2 = (await ch.assertQueue('', { exclusive: true })).queue;
    for (let i = 0; i < 3; i++) ch.sendToQueue(q2, Buffer.from('x'));
    await ch.waitForConfirms();
    assert.ok(await ch.get(q2));
    assert.deepEqual(await ch.deleteQueue(q2), { messageCount: 2 });
  });

  it('deleting a missing queue is ok with message count 0', async () => {
    const { ch } = await open();
    assert.deepEqual(await ch.deleteQueue(uniq('decl.none')), { messageCount: 0 });
    assert.deepEqual(await ch.deleteQueue(uniq('decl.none'), { ifEmpty: true, ifUnused: true }), { messageCount: 0 });
  });

  it('deleting a queue removes its bindings', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'fanout', { durable: false });
    const q = qname();
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, x, '');
    await ch.deleteQueue(q);
    await ch.assertQueue(q, { durable: false });
    await publishConfirmed(ch, x, '');
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });

  it('purge returns the number of ready messages removed; unacked ones survive', async () => {
    const { ch } = await open();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    const held = await ch.get(q);
    assert.ok(held);
    assert.deepEqual(await ch.purgeQueue(q), { messageCount: 3 });
    assert.deepEqual(await ch.purgeQueue(q), { messageCount: 0 });
    ch.nack(held, false, true);
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
  });

  it('purging a missing queue is 404', async () => {
    const q = uniq('decl.none');
    await failsWith((c) => c.purgeQueue(q), [404, 50, 30], `NOT_FOUND - no queue '${q}' ${V}`);
  });
});

describe('queue.bind and queue.unbind', () => {
  it('binding to a missing exchange or a missing queue is 404 (the exchange is checked first)', async () => {
    const { ch } = await open();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const [nx, nq] = [uniq('decl.nox'), uniq('decl.noq')];
    await failsWith((c) => c.bindQueue(q, nx, 'k'), [404, 50, 20], `NOT_FOUND - no exchange '${nx}' ${V}`);
    await failsWith((c) => c.bindQueue(nq, 'amq.direct', 'k'), [404, 50, 20], `NOT_FOUND - no queue '${nq}' ${V}`);
    await failsWith((c) => c.bindQueue(nq, nx, 'k'), [404, 50, 20], `NOT_FOUND - no exchange '${nx}' ${V}`);
  });

  it('exchange.bind with a missing source or destination is 404', async () => {
    const nx = uniq('decl.nox');
    await failsWith((c) => c.bindExchange('amq.direct', nx, 'k'), [404, 40, 30], `NOT_FOUND - no exchange '${nx}' ${V}`);
    await failsWith((c) => c.bindExchange(nx, 'amq.direct', 'k'), [404, 40, 30], `NOT_FOUND - no exchange '${nx}' ${V}`);
  });

  it('unbinding a binding, queue or exchange that does not exist is ok', async () => {
    const { ch } = await open();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.unbindQueue(q, 'amq.direct', uniq('nokey'));
    await ch.unbindQueue(uniq('decl.noq'), 'amq.direct', 'k');
    await ch.unbindQueue(q, uniq('decl.nox'), 'k');
    await ch.unbindExchange('amq.direct', 'amq.topic', uniq('nokey'));
    await ch.checkQueue(q);
  });

  it('binding twice is idempotent; unbind removes it', async () => {
    const { ch } = await open();
    const x = xname();
    await ch.assertExchange(x, 'direct', { durable: false });
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, x, 'k');
    await ch.bindQueue(q, x, 'k');
    await publishConfirmed(ch, x, 'k');
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
    await ch.unbindQueue(q, x, 'k');
    await publishConfirmed(ch, x, 'k');
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
  });
});

describe("an empty queue name means the channel's last declared queue", () => {
  it('for bind, consume, get, purge and delete', async () => {
    const { ch } = await open();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const key = uniq('k');
    await ch.bindQueue('', 'amq.direct', key);
    await publishConfirmed(ch, 'amq.direct', key);
    await publishConfirmed(ch, 'amq.direct', key);
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 2, consumerCount: 0 });
    const got = await ch.get('', { noAck: true });
    assert.ok(got);
    assert.equal(got.fields.routingKey, key);
    assert.deepEqual(await ch.purgeQueue(''), { messageCount: 1 });
    const seen: string[] = [];
    const { consumerTag } = await ch.consume('', (m) => { if (m) seen.push(m.fields.routingKey); }, { noAck: true });
    await publishConfirmed(ch, '', q);
    await eventually(() => seen.length === 1);
    assert.deepEqual(seen, [q]);
    await ch.cancel(consumerTag);
    await ch.deleteQueue('');
    assert.equal((await failOnNew((c) => c.checkQueue(q))).code, 404);
  });

  it('a passive declare also sets the last declared queue', async () => {
    const { ch } = await open();
    const first = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.assertQueue('', { exclusive: true });
    await ch.checkQueue(first);
    await publishConfirmed(ch, '', first);
    assert.deepEqual(await ch.purgeQueue(''), { messageCount: 1 });
  });

  it('without a previous declare on the channel it is 404; a passive declare of "" is 404', async () => {
    const { conn, ch } = await open();
    await ch.assertQueue('', { exclusive: true }); // declared on another channel: does not count
    const text = 'NOT_FOUND - no previously declared queue';
    const c1 = await conn.createChannel();
    assert.deepEqual(await fail(c1, () => c1.bindQueue('', 'amq.direct', 'k')), { code: 404, classId: 50, methodId: 20, text });
    const c2 = await conn.createChannel();
    assert.deepEqual(await fail(c2, () => c2.consume('', () => { /* none */ })), { code: 404, classId: 60, methodId: 20, text });
    const c3 = await conn.createChannel();
    assert.deepEqual(await fail(c3, () => c3.purgeQueue('')), { code: 404, classId: 50, methodId: 30, text });
    // A passive declare does not substitute the last declared queue.
    assert.deepEqual(await fail(ch, () => ch.checkQueue('')),
      { code: 404, classId: 50, methodId: 10, text: `NOT_FOUND - no queue '' ${V}` });
  });
});

describe('exclusive queues are transient', () => {
  it('durable is not compared on redeclare of an exclusive queue (RabbitMQ stores it non-durable)', async () => {
    const { conn, ch } = await open();
    const q = qname('decl.excl');
    await ch.assertQueue(q, { exclusive: true, durable: true });
    await ch.assertQueue(q, { exclusive: true, durable: true });
    const ch2 = await conn.createChannel();
    await ch2.assertQueue(q, { exclusive: true, durable: false });
    await ch2.deleteQueue(q);
  });
});
