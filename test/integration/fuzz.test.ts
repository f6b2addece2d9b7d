// Integration test: the hostile-input fuzzer, bounded (test/support/fuzz.ts; tools/fuzz.ts runs it for
// millions of cases). Every case is one client's byte stream; the broker must answer it with well-formed frames
// and no 541 INTERNAL_ERROR, log no internal error, stay up, and leave a bystander connection untouched.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type ChannelModel, type Channel } from 'amqplib';
import fc from 'fast-check';
import { startWarren, type TestBroker } from '../support/broker.js';
import { api } from '../support/mgmt.js';
import { eventually, sleep } from '../support/amqp.js';
import { fuzzCaseArb, runCases, checkReply, handshakeBytes, runCase } from '../support/fuzz.js';

/** Cases per run: a few hundred keep this well under 30 s; FUZZ_CASES raises it. */
const CASES = Number(process.env.FUZZ_CASES ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000_000);

let broker: TestBroker;
let conn: ChannelModel, ch: Channel;
const errors: unknown[] = [];

before(async () => {
  broker = await startWarren();
  const a = api(broker);
  assert.equal((await a.put('/vhosts/fuzz')).status, 201);
  assert.equal((await a.put('/permissions/fuzz/guest', { configure: '.*', write: '.*', read: '.*' })).status, 201);
  conn = await amqp.connect(broker.url);
  conn.on('error', (e) => errors.push(e));
  conn.on('close', () => errors.push(new Error('bystander connection closed')));
  ch = await conn.createChannel();
});
after(async () => {
  try { await conn.close(); } catch { /* reported by the tests */ }
  await broker.stop();
});

async function bystanderWorks(): Promise<void> {
  assert.deepEqual([broker.proc!.exitCode, broker.proc!.signalCode], [null, null], 'broker process alive');
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  ch.sendToQueue(q, Buffer.from('still here'));
  const m = await eventually(async () => (await ch.get(q, { noAck: true })) || undefined);
  assert.equal(m!.content.toString(), 'still here');
  assert.deepEqual(errors, [], 'bystander saw no error');
}

describe('fuzzing the AMQP listener', () => {
  it('the reply checker accepts good replies and flags bad ones', () => {
    assert.equal(checkReply(Buffer.from([65, 77, 81, 80, 0, 0, 9, 1])), undefined);
    const close = (code: number) => {
      const text = Buffer.from('x');
      const p = Buffer.concat([Buffer.from([0, 10, 0, 50, code >> 8, code & 0xff, text.length]), text, Buffer.alloc(4)]);
      const h = Buffer.alloc(7); h[0] = 1; h.writeUInt32BE(p.length, 3);
      return Buffer.concat([h, p, Buffer.from([0xce])]);
    };
    assert.equal(checkReply(close(501)), undefined);
    assert.match(checkReply(close(541))!, /connection\.close 541/);
    const badEnd = close(501); badEnd[badEnd.length - 1] = 0;
    assert.match(checkReply(badEnd)!, /end octet/);
  });

  it('a valid pipelined session is processed: open-ok comes back', async () => {
    const r = await runCase(broker.host, broker.port, { bytes: handshakeBytes({ user: 'guest', password: 'guest', vhost: 'fuzz' }), cuts: [], pause: false, leave: 'linger', kind: 'valid' }, 200);
    assert.equal(r.problem, undefined);
    assert.ok(r.received > 0);
  });

  it(`${CASES} mutated and random cases (seed ${SEED}) end in processing or a protocol error for that client alone`, { timeout: 120_000 }, async () => {
    const cases = fc.sample(fuzzCaseArb({ user: 'guest', password: 'guest', vhost: 'fuzz' }), { numRuns: CASES, seed: SEED });
    const problems: string[] = [];
    await runCases(broker.host, broker.port, cases, 16, (c, r) => {
      if (r.problem) problems.push(`${c.kind}: ${r.problem}; bytes ${c.bytes.toString('hex').slice(0, 300)}`);
    });
    assert.deepEqual(problems, [], `seed ${SEED}`);
    assert.doesNotMatch(broker.output(), /internal error/, `seed ${SEED}`);
    await bystanderWorks();
    // Nothing the cases did outlives them: only the bystander's connection is left.
    let left: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100; i++) {
      left = (await api(broker).get<Array<Record<string, unknown>>>('/connections')).json;
      if (left.length === 1) break;
      await sleep(100);
    }
    assert.equal(left.length, 1, JSON.stringify(left.map((c) => [c.name, c.state, c.user, c.vhost, c.channels])));
  });
});
