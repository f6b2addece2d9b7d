// Integration tests: malformed bytes from a client, each answered exactly as RabbitMQ 3.10.8 answers it (a
// connection.close with its code and text, or a silent drop), while a bystander connection keeps working.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type ChannelModel, type Channel, type GetMessage } from 'amqplib';
import fc from 'fast-check';
import { startBroker, type TestBroker } from '../support/broker.js';
import { uniq, eventually, sleep, WireSocket, wireHandshake, wireEnc, AMQP_HEADER } from '../support/amqp.js';
import { frame, method, P, openWire, expectClose, expectDrop, expectSilence } from '../support/wire-frames.js';

let broker: TestBroker;
const sockets: WireSocket[] = [];
/** A well-behaved amqplib connection opened before any bad one; it must never notice them. */
const by = { conn: undefined as unknown as ChannelModel, ch: undefined as unknown as Channel, errors: [] as unknown[] };

before(async () => {
  broker = await startBroker();
  by.conn = await amqp.connect(broker.url, { noDelay: true });
  by.conn.on('error', (e) => by.errors.push(e));
  by.conn.on('close', () => by.errors.push(new Error('bystander connection closed')));
  by.ch = await by.conn.createChannel();
  by.ch.on('error', (e) => by.errors.push(e));
});
after(async () => {
  for (const w of sockets) w.destroy();
  try { await by.conn.close(); } catch { /* reported by the tests */ }
  await broker.stop();
});

/** The broker is alive and the bystander can still publish to and get from a queue of its own. */
async function bystanderWorks(): Promise<void> {
  if (broker.proc) assert.deepEqual([broker.proc.exitCode, broker.proc.signalCode], [null, null], 'broker process alive');
  const q = uniq('bad.by');
  await by.ch.assertQueue(q, { exclusive: true });
  const body = Buffer.from(uniq('payload'));
  by.ch.sendToQueue(q, body);
  const msg = (await eventually(() => by.ch.get(q, { noAck: true }))) as GetMessage;
  assert.deepEqual(msg.content, body);
  await by.ch.deleteQueue(q);
  assert.deepEqual(by.errors, [], 'bystander saw no error');
}

const wire = () => openWire(broker, sockets);

/** A bad-input case, then the bystander check. */
function bad(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    await fn();
    await bystanderWorks();
  });
}
const close = (replyCode: number, replyText: string, classId = 0, methodId = 0) => ({ replyCode, replyText, classId, methodId });

describe('bad input from one client', { concurrency: true }, () => {
  bad('garbage instead of the protocol header: the server sends its own header and closes', async () => {
    for (const header of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from('\u0000garbage!!')]) {
      const w = await WireSocket.open(broker.host, broker.port, header);
      sockets.push(w);
      assert.deepEqual(await w.readBytes(8), AMQP_HEADER);
      await Promise.race([w.closed, sleep(3000)]);
      assert.ok(w.ended);
      assert.equal(w.buffered.length, 0);
    }
  });

  bad('a valid protocol header then garbage: dropped without a close (not open yet)', async () => {
    const w = await WireSocket.open(broker.host, broker.port);
    sockets.push(w);
    const start = await w.readMethod();
    assert.deepEqual([start.classId, start.methodId], [10, 10]);
    w.write(Buffer.from('this is random garbage, not a frame'));
    await expectDrop(w);
  });

  bad('garbage after connection.open: 501 frame_too_large for its size word', async () => {
    const w = await wire();
    w.write(Buffer.from('this is random garbage, not a frame'));
    await expectClose(w, close(501, 'FRAME_ERROR - type 116, all octets = <<>>: {frame_too_large,1931503987,4088}'));
  });

  bad('a truncated frame then the socket closing: the broker keeps serving', async () => {
    const a = await wire();
    a.write(frame(1, 1, P.publish('', 'x')).subarray(0, 10));
    await sleep(50);
    a.destroy();
    const b = await wire();
    b.write(Buffer.concat([frame(1, 1, P.publish('', 'x')), frame(2, 1, P.header(100)), frame(3, 1, Buffer.alloc(50)).subarray(0, 30)]));
    await sleep(50);
    b.destroy();
    const c = await wire();
    c.write(frame(1, 1, P.queueDeclare('', 4)));
    const ok = await c.readMethod();
    assert.deepEqual([ok.classId, ok.methodId], [50, 11], 'a new connection works');
  });

  bad('a frame larger than frame_max: 501 frame_too_large as soon as its header arrives', async () => {
    const a = await wire();
    a.write(frame(1, 1, Buffer.concat([P.publish('', 'x'), Buffer.alloc(5000)])));
    await expectClose(a, close(501, 'FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,5010,4088}'));
    const b = await wire();
    b.write(frame(3, 1, Buffer.alloc(100_000)).subarray(0, 7));
    await expectClose(b, close(501, 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,100000,4088}'));
  });

  bad('a bad frame-end octet: 501 invalid_frame_end_marker with the payload (Erlang ~p, wrapped at 80 columns)', async () => {
    const a = await wire();
    a.write(frame(1, 1, P.publish('', 'x'), 0));
    await expectClose(a, close(501, 'FRAME_ERROR - type 1, all octets = <<0,60,0,40,0,0,0,1,120,0>>: {invalid_frame_end_marker,0}'));
    const b = await wire();
    b.write(frame(1, 1, Buffer.from([10, 11, 12, 13, 14, 1, 2, 3, 4, 5]), 1));
    await expectClose(b, close(501, 'FRAME_ERROR - type 1, all octets = <<10,11,12,13,14,1,2,3,4,5>>: {invalid_frame_end_marker,\n' +
      ' '.repeat(52) + '1}'));
  });

  bad('an unknown frame type: 501 unknown_frame', async () => {
    const a = await wire();
    a.write(frame(5, 1, Buffer.from('abc')));
    await expectClose(a, close(501, 'FRAME_ERROR - type 5, all octets = <<"abc">>: unknown_frame'));
    const b = await wire();
    b.write(frame(255, 0, Buffer.alloc(16, 0x80)));
    await expectClose(b, close(501, 'FRAME_ERROR - type 255, all octets = <<128,128,128,128,128,128,128,128,128,128,128,128,128,\n' +
      ' '.repeat(25) + '128,128,128>>: unknown_frame'));
    const c = await wire();
    c.write(frame(5, 1, Buffer.from('hello world, this is a long printable payload')));
    await expectClose(c, close(501, 'FRAME_ERROR - type 5, first 16 octets = <<"hello world, thi">>: unknown_frame'));
  });

  bad('a heartbeat on a non-zero channel is 505; one with a payload is 501 unknown_frame', async () => {
    const a = await wire();
    a.write(frame(8, 1, Buffer.alloc(0)));
    await expectClose(a, close(505, 'UNEXPECTED_FRAME - type 8, all octets = <<>>'));
    const b = await wire();
    b.write(frame(8, 0, Buffer.from('xx')));
    await expectClose(b, close(501, 'FRAME_ERROR - type 8, all octets = <<"xx">>: unknown_frame'));
  });

  bad('method and content-header frames too short to hold their ids: 501 unknown_frame', async () => {
    const a = await wire();
    a.write(frame(1, 0, Buffer.from([0, 10, 0])));
    await expectClose(a, close(501, 'FRAME_ERROR - type 1, all octets = <<0,10,0>>: unknown_frame'));
    const b = await wire();
    b.write(Buffer.concat([frame(1, 1, P.publish('', 'x')), frame(2, 1, Buffer.alloc(5))]));
    await expectClose(b, close(501, 'FRAME_ERROR - type 2, all octets = <<0,0,0,0,0>>: unknown_frame'));
  });

  bad('a content header with no basic.publish before it: 505 UNEXPECTED_FRAME, no method', async () => {
    const w = await wire();
    w.write(frame(2, 1, P.header(3)));
    await expectClose(w, close(505, 'UNEXPECTED_FRAME - expected method frame, got non method frame instead'));
  });

  bad('content frames on channel 0 or on a channel never opened: 505 UNEXPECTED_FRAME', async () => {
    const a = await wire();
    a.write(frame(2, 0, P.header(3)));
    await expectClose(a, close(505, 'UNEXPECTED_FRAME - type 2, all octets = <<0,60,0,0,0,0,0,0,0,0,0,3,0,0>>'));
    const b = await wire();
    b.write(frame(3, 0, Buffer.from('hello')));
    await expectClose(b, close(505, 'UNEXPECTED_FRAME - type 3, all octets = <<"hello">>'));
    const c = await wire();
    c.write(frame(2, 3, P.header(3)));
    await expectClose(c, close(505, 'UNEXPECTED_FRAME - expected method frame, got non method frame instead'));
  });

  bad('a method where a content header was expected: 505 naming the pending basic.publish', async () => {
    const w = await wire();
    w.write(Buffer.concat([frame(1, 1, P.publish('', 'x')), frame(1, 1, P.publish('', 'x'))]));
    await expectClose(w, close(505, 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead', 60, 40));
  });

  bad('a method other than basic.publish where a content header was expected: still names basic.publish', async () => {
    const w = await wire();
    w.write(Buffer.concat([frame(1, 1, P.publish('', 'x')), frame(1, 1, P.qos(10))]));
    await expectClose(w, close(505, 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead', 60, 40));
  });

  bad('a method where a content body was expected: 505 expected content body', async () => {
    const w = await wire();
    w.write(Buffer.concat([frame(1, 1, P.publish('', 'x')), frame(2, 1, P.header(3)), frame(1, 1, P.qos(10))]));
    await expectClose(w, close(505, 'UNEXPECTED_FRAME - expected content body, got non content body frame instead', 60, 40));
  });

  bad('a body frame larger than the declared body size: ignored, the message is never routed, the channel waits for more body', async () => {
    const q = uniq('bad.body');
    await by.ch.assertQueue(q, { exclusive: true });
    const w = await wire();
    w.write(Buffer.concat([frame(1, 1, P.publish('', q)), frame(2, 1, P.header(3)), frame(3, 1, Buffer.from('abcdef'))]));
    await expectSilence(w, 300);
    w.write(frame(1, 1, P.qos(10)));
    await expectClose(w, close(505, 'UNEXPECTED_FRAME - expected content body, got non content body frame instead', 60, 40));
    assert.equal((await by.ch.checkQueue(q)).messageCount, 0);
    await by.ch.deleteQueue(q);
  });

  bad('a method on a closed or never-opened channel: 504 expected \'channel.open\'', async () => {
    const a = await wire();
    a.write(frame(1, 1, P.channelClose()));
    const ok = await a.readMethod();
    assert.deepEqual([ok.channel, ok.classId, ok.methodId], [1, 20, 41]);
    a.write(frame(1, 1, P.queueDeclare('', 4)));
    await expectClose(a, close(504, "CHANNEL_ERROR - expected 'channel.open'", 50, 10));
    const b = await wire();
    b.write(frame(1, 2, P.qos(1)));
    await expectClose(b, close(504, "CHANNEL_ERROR - expected 'channel.open'", 60, 10));
  });

  bad('a content header for a class other than 60: 505 naming basic.publish', async () => {
    const w = await wire();
    w.write(Buffer.concat([frame(1, 1, P.publish('', 'x')), frame(2, 1, P.header(3, 50))]));
    await expectClose(w, close(505, 'UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead', 60, 40));
  });

  bad('an unknown class or method id: the connection is dropped without a close (RabbitMQ\'s reader crashes)', async () => {
    const cases: Array<[number, Buffer]> = [[1, method(60, 999)], [1, method(99, 10)], [0, method(10, 99)], [7, method(60, 999)]];
    await Promise.all(cases.map(async ([ch, payload]) => {
      const w = await wire();
      w.write(frame(1, ch, payload));
      await expectDrop(w);
    }));
  });

  bad('a field table with an unknown type tag or an entry past its end: dropped without a close', async () => {
    const tag = Buffer.concat([wireEnc.shortstr('x-foo'), Buffer.from('Z'), Buffer.from([1, 2, 3, 4])]);
    const past = Buffer.concat([wireEnc.shortstr('x-foo'), Buffer.from('S'), wireEnc.u32(100), Buffer.from('ab')]);
    await Promise.all([tag, past].map(async (t) => {
      const w = await wire();
      w.write(frame(1, 1, P.queueDeclare(uniq('bad.t'), 4, Buffer.concat([wireEnc.u32(t.length), t]))));
      await expectDrop(w);
    }));
  });

  bad('a shortstr or table length pointing past the frame end: 501 cannot decode <<arguments>>', async () => {
    const a = await wire();
    a.write(frame(1, 1, method(50, 10, wireEnc.u16(0), Buffer.from([200]), Buffer.from('abc'))));
    await expectClose(a, close(501, 'FRAME_ERROR - cannot decode <<0,0,200,97,98,99>>', 50, 10));
    const b = await wire();
    b.write(frame(1, 1, method(50, 10, wireEnc.u16(0), wireEnc.shortstr('q'), wireEnc.u8(0), wireEnc.u32(1000))));
    await expectClose(b, close(501, 'FRAME_ERROR - cannot decode <<0,0,1,113,0,0,0,3,232>>', 50, 10));
  });

  bad('arguments with bytes left over: 501 cannot decode, the text cut at 252 bytes + "..."', async () => {
    const a = await wire();
    a.write(frame(1, 1, Buffer.concat([P.queueDeclare('tmb', 8), Buffer.from('junk')])));
    await expectClose(a, close(501, 'FRAME_ERROR - cannot decode <<0,0,3,116,109,98,8,0,0,0,0,106,117,110,107>>', 50, 10));
    const b = await wire();
    const args = Buffer.concat([P.queueDeclare('tmb', 8), Buffer.alloc(100, 7)]).subarray(4);
    b.write(frame(1, 1, Buffer.concat([wireEnc.u16(50), wireEnc.u16(10), args])));
    const full = `FRAME_ERROR - cannot decode <<${[...args].join(',')}>>`;
    await expectClose(b, close(501, `${full.slice(0, 252)}...`, 50, 10));
  });
});

/** A mutation of the byte stream sent after the handshake. */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'overwrite' | 'insert'; at: number; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constantFrom('overwrite' as const, 'insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
);

function mutate(b: Buffer, m: Mutation): Buffer {
  const at = m.at % (b.length + 1);
  switch (m.kind) {
    case 'flip': { const c = Buffer.from(b); if (at < c.length) c[at] ^= 1 << m.bit; return c; }
    case 'truncate': return b.subarray(0, at);
    case 'overwrite': { const c = Buffer.from(b); Buffer.from(m.bytes).copy(c, at); return c; }
    case 'insert': return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
  }
}

/** Valid frames to mutate: nothing in them can create anything durable or touch the bystander's queues. */
const baseFrames = (): Buffer[] => {
  const headers = wireEnc.table({ a: 'b', n: 7, t: true, nested: { x: 'y' } });
  const props = Buffer.concat([wireEnc.u16(0xb000), wireEnc.shortstr('text/plain'), headers, wireEnc.u8(1)]);
  return [
    Buffer.concat([frame(1, 1, P.publish('amq.direct', uniq('fuzz'))), frame(2, 1, P.header(5, 60, props)), frame(3, 1, Buffer.from('hello'))]),
    Buffer.concat([frame(1, 1, P.publish('', uniq('fuzz'))), frame(2, 1, P.header(0))]),
    frame(1, 1, P.qos(10)),
    frame(1, 1, method(40, 10, wireEnc.u16(0), wireEnc.shortstr('amq.direct'), wireEnc.shortstr('direct'), wireEnc.u8(1), wireEnc.table0())),
    frame(1, 1, P.queueDeclare(uniq('fuzz.missing'), 1 | 4)),
    frame(1, 1, method(85, 10, wireEnc.u8(0))),
    frame(1, 1, method(20, 20, wireEnc.u8(1))),
    frame(8, 0, Buffer.alloc(0)),
    frame(1, 2, P.channelOpen()),
  ];
};

describe('random mutations of valid frames', () => {
  it('never crash the broker nor disturb the bystander', async () => {
    const base = baseFrames();
    const q = uniq('bad.fuzz.by');
    await by.ch.assertQueue(q, { exclusive: true });
    let runs = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: base.length - 1 }), { minLength: 1, maxLength: 5 }),
      fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      async (picks, mutations, cuts) => {
        runs++;
        const w = await WireSocket.open(broker.host, broker.port);
        try {
          const { reply } = await wireHandshake(w, { tune: { frameMax: 4096, heartbeat: 0 } });
          assert.deepEqual([reply.classId, reply.methodId], [10, 41]);
          w.write(frame(1, 1, P.channelOpen()));
          let bytes: Buffer = Buffer.concat(picks.map((i) => base[i]!));
          for (const m of mutations) bytes = mutate(bytes, m);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          let prev = 0;
          for (const p of [...points, bytes.length]) {
            if (p > prev) w.write(bytes.subarray(prev, p));
            prev = p;
            await new Promise((r) => setImmediate(r));
          }
          await Promise.race([w.closed, sleep(10)]);
        } finally {
          w.destroy();
        }
        if (broker.proc) assert.deepEqual([broker.proc.exitCode, broker.proc.signalCode], [null, null], 'broker process alive');
        const body = Buffer.from(`run ${runs}`);
        by.ch.sendToQueue(q, body);
        const msg = (await eventually(() => by.ch.get(q, { noAck: true }), 3000, 2)) as GetMessage;
        assert.deepEqual(msg.content, body);
      }), { numRuns: Number(process.env.WARREN_FUZZ_RUNS ?? 200) });
    assert.deepEqual(by.errors, []);
    // Warren answers input it cannot handle with 541 INTERNAL_ERROR and logs it: that is a bug, never a reply.
    const internal = broker.output().split('\n').filter((l) => /internal error/i.test(l));
    assert.deepEqual(internal, [], 'no internal errors logged');
    await by.ch.deleteQueue(q);
    await bystanderWorks();
  });
});
