// Integration tests: routing through direct, fanout, topic and headers exchanges, exchange-to-
// exchange bindings, the default exchange, de-duplication, and the CC/BCC sender-selected
// distribution headers, as RabbitMQ 3.10.8 behaves (verified against the reference broker).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type GetMessage, type Message, type Options } from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import { uniq, expectChannelError, eventually } from '../support/amqp.js';

let broker: TestBroker;
let conn: ChannelModel;
let ch: ConfirmChannel;
const exchanges = new Set<string>();

async function channel(): Promise<Channel> { return conn.createChannel(); }
/** A non-auto-delete exchange of the given type, deleted after the file. */
async function exchange(type: string): Promise<string> {
  const x = uniq(`route.${type}`);
  exchanges.add(x);
  await ch.assertExchange(x, type, { durable: false });
  return x;
}
/** A server-named exclusive queue (gone with the connection). */
async function queue(): Promise<string> { return (await ch.assertQueue('', { exclusive: true })).queue; }
async function pub(x: string, key: string, opts: Options.Publish = {}, body = 'm'): Promise<void> {
  ch.publish(x, key, Buffer.from(body), opts);
  await ch.waitForConfirms();
}
/** Everything currently in the queue (taken with no-ack). */
async function drain(q: string): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (!m) return out;
    out.push(m);
  }
}
const bodies = async (q: string) => (await drain(q)).map((m) => m.content.toString());

interface Failure { code?: number; classId?: number; methodId?: number; text: string }
async function failOnNew(op: (c: Channel) => unknown): Promise<Failure> {
  const c = await channel();
  const e = await expectChannelError(c, () => op(c));
  const m = /with message "(.*)"$/s.exec(e.message);
  return { code: e.code, classId: e.classId, methodId: e.methodId, text: m ? m[1] : e.message };
}

before(async () => {
  broker = await startBroker();
  conn = await amqp.connect(broker.url, { noDelay: true });
  conn.on('error', () => { /* asserted explicitly */ });
  ch = await conn.createConfirmChannel();
});
after(async () => {
  const c = await conn.createChannel();
  for (const x of exchanges) await c.deleteExchange(x);
  await conn.close();
  await broker.stop();
});

describe('direct exchange', () => {
  it('routes on exact, case-sensitive keys to every matching queue', async () => {
    const x = await exchange('direct');
    const [a, b, c] = [await queue(), await queue(), await queue()];
    await ch.bindQueue(a, x, 'k');
    await ch.bindQueue(b, x, 'k');
    await ch.bindQueue(b, x, 'other');
    await ch.bindQueue(c, x, '');
    for (const key of ['k', 'K', 'k.x', 'other', '', 'kk']) await pub(x, key, {}, key);
    assert.deepEqual(await bodies(a), ['k']);
    assert.deepEqual(await bodies(b), ['k', 'other']);
    assert.deepEqual(await bodies(c), ['']);
  });
});

describe('fanout exchange', () => {
  it('ignores the routing key and the binding key', async () => {
    const x = await exchange('fanout');
    const [a, b] = [await queue(), await queue()];
    await ch.bindQueue(a, x, '');
    await ch.bindQueue(b, x, 'some.key');
    await pub(x, 'anything', {}, '1');
    await pub(x, '', {}, '2');
    assert.deepEqual(await bodies(a), ['1', '2']);
    assert.deepEqual(await bodies(b), ['1', '2']);
  });
});

describe('topic exchange', () => {
  // pattern -> [routing key, expected to match]
  const table: Array<[string, Array<[string, boolean]>]> = [
    ['a.b', [['a.b', true], ['A.b', false], ['a.b.c', false], ['a', false]]],
    ['*', [['a', true], ['', false], ['a.b', false], ['.', false]]], // "" has no words at all
    ['#', [['', true], ['a', true], ['a.b', true], ['.', true], ['..', true]]],
    ['a.*', [['a.b', true], ['a.', true], ['a', false], ['a.b.c', false], ['b.a', false]]],
    ['a.#', [['a', true], ['a.', true], ['a.b', true], ['a.b.c', true], ['b.a', false], ['ab', false]]],
    ['#.a', [['a', true], ['.a', true], ['b.a', true], ['x.y.a', true], ['a.b', false]]],
    ['a.#.b', [['a.b', true], ['a.x.b', true], ['a.x.y.b', true], ['a.b.b', true], ['a..b', true], ['ab', false], ['a.b.c', false]]],
    ['#.b.#', [['b', true], ['a.b', true], ['b.c', true], ['a.b.c', true], ['abc', false]]],
    ['#.#', [['', true], ['a', true], ['a.b.c', true]]],
    ['a.#.#.b', [['a.b', true], ['a.x.b', true], ['a.x.y.b', true]]],
    ['*.*', [['.', true], ['a.', true], ['a.b', true], ['', false], ['a', false], ['a.b.c', false]]],
    ['#.*', [['a', true], ['a.b', true], ['', false]]],
    ['*.#', [['a', true], ['a.b', true], ['', false]]],
    ['*.b.#', [['a.b', true], ['a.b.c.d', true], ['b', false], ['x.a.b', false]]],
    ['a.*.b', [['a.x.b', true], ['a..b', true], ['a.b', false], ['a.x.y.b', false]]],
    ['a..b', [['a..b', true], ['a.b', false], ['a.x.b', false]]], // empty words are words
    ['', [['', true], ['a', false]]],
    ['a*.b', [['a*.b', true], ['ax.b', false]]], // wildcards only as whole words
  ];
  it('matches * (exactly one word), # (zero or more words), empty words and exact keys', async () => {
    const x = await exchange('topic');
    const qs = new Map<string, string>();
    for (const [pattern] of table) {
      const q = await queue();
      qs.set(pattern, q);
      await ch.bindQueue(q, x, pattern);
    }
    const keys = [...new Set(table.flatMap(([, cases]) => cases.map(([k]) => k)))];
    for (const k of keys) ch.publish(x, k, Buffer.from(k));
    await ch.waitForConfirms();
    for (const [pattern, cases] of table) {
      const got = new Set(await bodies(qs.get(pattern)!));
      for (const [key, expected] of cases) {
        assert.equal(got.has(key), expected, `pattern ${JSON.stringify(pattern)} vs key ${JSON.stringify(key)}`);
      }
    }
  });

  it('unbinding one pattern keeps the others', async () => {
    const x = await exchange('topic');
    const q = await queue();
    await ch.bindQueue(q, x, 'a.*');
    await ch.bindQueue(q, x, '#.z');
    await ch.unbindQueue(q, x, 'a.*');
    for (const k of ['a.b', 'y.z']) await pub(x, k, {}, k);
    assert.deepEqual(await bodies(q), ['y.z']);
  });
});

describe('headers exchange', () => {
  type Case = [Record<string, unknown>, Array<[Record<string, unknown> | undefined, boolean]>];
  const long1 = { '!': 'long', value: 1 };
  const table: Array<[string, Case]> = [
    ['all: every binding header present and equal', [{ 'x-match': 'all', a: 1, b: 'two' }, [
      [{ a: 1, b: 'two' }, true], [{ a: 1, b: 'two', c: 3 }, true], [{ a: 1 }, false], [{}, false], [undefined, false]]]],
    ['any: one binding header is enough', [{ 'x-match': 'any', a: 1, b: 'two' }, [
      [{ a: 1 }, true], [{ b: 'two' }, true], [{ a: 2 }, false], [{ c: 1 }, false], [{}, false]]]],
    ['no x-match means all', [{ a: 1, b: 'two' }, [[{ a: 1, b: 'two' }, true], [{ a: 1 }, false]]]],
    ['all with no other arguments matches everything', [{ 'x-match': 'all' }, [[{}, true], [{ a: 1 }, true], [undefined, true]]]],
    ['empty binding arguments match everything', [{}, [[{ a: 1 }, true], [undefined, true]]]],
    ['any with no other arguments matches nothing', [{ 'x-match': 'any' }, [[{}, false], [{ a: 1 }, false], [undefined, false]]]],
    ['all ignores x- arguments', [{ 'x-match': 'all', 'x-foo': 'bar', a: 1 }, [
      [{ a: 1 }, true], [{ a: 1, 'x-foo': 'baz' }, true]]]],
    ['any ignores x- arguments (so none left: never matches)', [{ 'x-match': 'any', 'x-foo': 'bar' }, [
      [{ 'x-foo': 'bar' }, false]]]],
    ['all-with-x compares x- arguments too', [{ 'x-match': 'all-with-x', 'x-foo': 'bar', a: 1 }, [
      [{ a: 1, 'x-foo': 'bar' }, true], [{ a: 1 }, false], [{ a: 1, 'x-foo': 'baz' }, false]]]],
    ['any-with-x can match on an x- header alone', [{ 'x-match': 'any-with-x', 'x-foo': 'bar', a: 1 }, [
      [{ 'x-foo': 'bar' }, true], [{ a: 2, 'x-foo': 'bar' }, true], [{ a: 2 }, false], [{}, false]]]],
    ['a void binding value matches presence of any value', [{ 'x-match': 'all', a: null }, [
      [{ a: 1 }, true], [{ a: 'x' }, true], [{ a: null }, true], [{ b: 1 }, false]]]],
    ['void within any', [{ 'x-match': 'any', a: null, b: 2 }, [[{ a: 'q' }, true], [{ b: 2 }, true], [{ b: 3 }, false]]]],
    // Values compare as Erlang terms with ==: integer widths and int/float mix match; string never equals number.
    ['numbers compare by value across types', [{ 'x-match': 'all', a: 1 }, [
      [{ a: long1 }, true], [{ a: { '!': 'unsignedint', value: 1 } }, true], [{ a: { '!': 'double', value: 1 } }, true],
      [{ a: '1' }, false], [{ a: true }, false], [{ a: 2 }, false]]]],
    ['booleans', [{ 'x-match': 'all', a: true }, [[{ a: true }, true], [{ a: false }, false], [{ a: 'true' }, false]]]],
    ['strings are case-sensitive', [{ 'x-match': 'all', a: 'Str' }, [[{ a: 'Str' }, true], [{ a: 'str' }, false]]]],
    ['arrays and tables compare structurally', [{ 'x-match': 'any', arr: [1, 2], tbl: { k: 1 } }, [
      [{ arr: [1, 2] }, true], [{ tbl: { k: 1 } }, true], [{ arr: [2, 1], tbl: { k: 2 } }, false]]]],
  ];
  for (const [name, [args, cases]] of table) {
    it(name, async () => {
      const x = await exchange('headers');
      const q = await queue();
      await ch.bindQueue(q, x, 'ignored.key', args);
      for (let i = 0; i < cases.length; i++) ch.publish(x, 'other.key', Buffer.from(String(i)), cases[i][0] ? { headers: cases[i][0] } : {});
      await ch.waitForConfirms();
      const got = new Set(await bodies(q));
      cases.forEach(([headers, expected], i) => {
        assert.equal(got.has(String(i)), expected, `binding ${JSON.stringify(args)} vs headers ${JSON.stringify(headers)}`);
      });
    });
  }

  it('an invalid x-match is 406 on queue.bind', async () => {
    const x = await exchange('headers');
    const q = await queue();
    assert.deepEqual(await failOnNew((c) => c.bindQueue(q, x, '', { 'x-match': 'bogus' })), {
      code: 406, classId: 50, methodId: 20,
      text: 'PRECONDITION_FAILED - Invalid x-match field value <<"bogus">>; expected all, any, all-with-x, or any-with-x',
    });
    assert.deepEqual(await failOnNew((c) => c.bindQueue(q, x, '', { 'x-match': 1 })), {
      code: 406, classId: 50, methodId: 20, text: 'PRECONDITION_FAILED - Invalid x-match field type byte (value 1); expected longstr',
    });
  });

  it('amq.headers and amq.match are headers exchanges', async () => {
    const q = await queue();
    const h = uniq('h');
    await ch.bindQueue(q, 'amq.headers', '', { [h]: 'a' });
    await ch.bindQueue(q, 'amq.match', '', { [h]: 'b' });
    await pub('amq.headers', '', { headers: { [h]: 'a' } }, 'a');
    await pub('amq.match', '', { headers: { [h]: 'b' } }, 'b');
    await pub('amq.headers', '', { headers: { [h]: 'b' } }, 'c');
    assert.deepEqual(await bodies(q), ['a', 'b']);
    await ch.unbindQueue(q, 'amq.headers', '', { [h]: 'a' });
    await ch.unbindQueue(q, 'amq.match', '', { [h]: 'b' });
  });
});

describe('exchange-to-exchange bindings', () => {
  it('a chain direct -> fanout -> topic routes with the original exchange and key', async () => {
    const [d, f, t] = [await exchange('direct'), await exchange('fanout'), await exchange('topic')];
    await ch.bindExchange(f, d, 'k');
    await ch.bindExchange(t, f, 'ignored');
    const [qa, qb, qc] = [await queue(), await queue(), await queue()];
    await ch.bindQueue(qa, t, 'k');
    await ch.bindQueue(qb, t, '#');
    await ch.bindQueue(qc, t, 'other');
    await pub(d, 'k', {}, 'k');
    await pub(d, 'nope', {}, 'nope'); // stops at the direct exchange
    const a = await drain(qa);
    assert.deepEqual(a.map((m) => [m.fields.exchange, m.fields.routingKey]), [[d, 'k']]);
    assert.deepEqual(await bodies(qb), ['k']);
    assert.deepEqual(await bodies(qc), []);
    await ch.unbindExchange(f, d, 'k');
    await pub(d, 'k');
    assert.deepEqual(await bodies(qb), []);
  });

  it('fanout into topic: the topic exchange filters on the original routing key', async () => {
    const [f, t] = [await exchange('fanout'), await exchange('topic')];
    await ch.bindExchange(t, f, '');
    const q = await queue();
    await ch.bindQueue(q, t, 'logs.*');
    for (const k of ['logs.error', 'metrics.cpu', 'logs.a.b']) await pub(f, k, {}, k);
    assert.deepEqual(await bodies(q), ['logs.error']);
  });

  it('a cycle neither loops nor duplicates', async () => {
    const [a, b, c] = [await exchange('topic'), await exchange('fanout'), await exchange('topic')];
    await ch.bindExchange(b, a, '#');
    await ch.bindExchange(c, b, '');
    await ch.bindExchange(a, c, '#'); // a -> b -> c -> a
    await ch.bindExchange(b, b, ''); // and a self-loop
    const [q1, q2] = [await queue(), await queue()];
    await ch.bindQueue(q1, c, 'k');
    await ch.bindQueue(q2, a, '#');
    await pub(a, 'k', {}, 'from-a');
    await pub(b, 'k', {}, 'from-b');
    await pub(c, 'z', {}, 'from-c');
    assert.deepEqual(await bodies(q1), ['from-a', 'from-b']);
    assert.deepEqual(await bodies(q2), ['from-a', 'from-b', 'from-c']);
  });

  it('a queue reachable along several paths gets one copy', async () => {
    const [src, mid] = [await exchange('topic'), await exchange('direct')];
    await ch.bindExchange(mid, src, 'a.*');
    const q = await queue();
    await ch.bindQueue(q, src, '#');
    await ch.bindQueue(q, src, 'a.b');
    await ch.bindQueue(q, mid, 'a.b');
    await pub(src, 'a.b', {}, 'once');
    assert.deepEqual(await bodies(q), ['once']);
  });
});

describe('the default exchange', () => {
  it('routes to the queue named by the routing key, with exchange ""', async () => {
    const q = await queue();
    await pub('', q, {}, 'direct-to-queue');
    const [m] = await drain(q);
    assert.deepEqual([m.fields.exchange, m.fields.routingKey, m.content.toString()], ['', q, 'direct-to-queue']);
  });

  it('an unknown queue name is unroutable (mandatory returns 312 NO_ROUTE)', async () => {
    const returned: Message[] = [];
    const onReturn = (m: Message) => { returned.push(m); };
    ch.on('return', onReturn);
    try {
      const name = uniq('route.noq');
      await pub('', name, { mandatory: true });
      await eventually(() => returned.length === 1);
      const f = returned[0].fields as unknown as { replyCode: number; replyText: string; exchange: string; routingKey: string };
      assert.deepEqual([f.replyCode, f.replyText, f.exchange, f.routingKey], [312, 'NO_ROUTE', '', name]);
    } finally {
      ch.off('return', onReturn);
    }
  });

  it('binding to or unbinding from it is 403', async () => {
    const q = await queue();
    const text = 'ACCESS_REFUSED - operation not permitted on the default exchange';
    assert.deepEqual(await failOnNew((c) => c.bindQueue(q, '', q)), { code: 403, classId: 50, methodId: 20, text });
    assert.deepEqual(await failOnNew((c) => c.unbindQueue(q, '', q)), { code: 403, classId: 50, methodId: 50, text });
    assert.deepEqual(await failOnNew((c) => c.bindExchange('amq.direct', '', 'k')), { code: 403, classId: 40, methodId: 30, text });
    assert.deepEqual(await failOnNew((c) => c.bindExchange('', 'amq.direct', 'k')), { code: 403, classId: 40, methodId: 30, text });
    assert.deepEqual(await failOnNew((c) => c.unbindExchange('', 'amq.direct', 'k')), { code: 403, classId: 40, methodId: 40, text });
  });
});

describe('CC and BCC headers', () => {
  async function threeQueues(x: string) {
    const qs = [await queue(), await queue(), await queue()];
    for (const [i, q] of qs.entries()) await ch.bindQueue(q, x, `k${i}`);
    return qs;
  }

  it('CC routes to extra keys and stays in the message; BCC routes and is stripped', async () => {
    const x = await exchange('direct');
    const [a, b, c] = await threeQueues(x);
    await pub(x, 'k0', { CC: ['k1'], BCC: ['k2'], headers: { keep: 'me' } });
    for (const q of [a, b, c]) {
      const ms = await drain(q);
      assert.equal(ms.length, 1, q);
      assert.equal(ms[0].fields.routingKey, 'k0', 'the routing key is not rewritten');
      assert.deepEqual(ms[0].properties.headers, { keep: 'me', CC: ['k1'] });
    }
  });

  it('CC/BCC alone route when the routing key matches nothing; duplicates arrive once', async () => {
    const x = await exchange('direct');
    const [a, b, c] = await threeQueues(x);
    await pub(x, 'nothing', { BCC: ['k2'] });
    await pub(x, 'k0', { CC: ['k0', 'k1'], BCC: ['k0', 'k1'] });
    assert.equal((await drain(a)).length, 1);
    assert.equal((await drain(b)).length, 1);
    const cm = await drain(c);
    assert.equal(cm.length, 1);
    assert.equal(cm[0].properties.headers?.BCC, undefined);
  });

  it('CC keys are matched by the exchange type (topic) and work on the default exchange', async () => {
    const t = await exchange('topic');
    const [a, b] = [await queue(), await queue()];
    await ch.bindQueue(a, t, 'a.*');
    await ch.bindQueue(b, t, 'b.#');
    await pub(t, 'a.1', { CC: ['b.x.y'] });
    assert.equal((await drain(a)).length, 1);
    assert.equal((await drain(b)).length, 1);
    await pub('', a, { CC: [b] });
    const [ma] = await drain(a);
    const [mb] = await drain(b);
    assert.deepEqual([ma.fields.routingKey, mb.fields.routingKey], [a, a]);
  });

  it('header names are case-sensitive and non-string array items are ignored', async () => {
    const x = await exchange('direct');
    const [a, b] = await threeQueues(x);
    await pub(x, 'k0', { headers: { cc: ['k1'] } });
    await pub(x, 'k0', { headers: { CC: [1, 'k1'] } });
    assert.equal((await drain(a)).length, 2);
    assert.equal((await drain(b)).length, 1);
  });

  it('a CC or BCC header that is not an array is 406 on basic.publish', async () => {
    for (const h of ['CC', 'BCC']) {
      assert.deepEqual(await failOnNew((c) => { c.publish('amq.direct', 'k', Buffer.from('x'), { headers: { [h]: 'k' } }); return c.checkExchange('amq.direct'); }), {
        code: 406, classId: 60, methodId: 40, text: `PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"${h}",longstr}`,
      });
    }
  });
});
