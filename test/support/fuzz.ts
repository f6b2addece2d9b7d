// Test support: the hostile-input fuzzer shared by test/integration/fuzz.test.ts (a bounded run) and
// tools/fuzz.ts (long runs). A case is a byte stream one client sends: a pipelined handshake and a session of
// valid frames built with Warren's own codec, then mutated (bit flips, truncation, overwritten, inserted or
// repeated bytes, method fields drawn at random), or raw random bytes before or after the protocol header;
// it is written in random chunks and the socket is then half-closed, reset, or left to the broker.
// runCase checks what came back: only whole, well-formed frames, and no 541 INTERNAL_ERROR in any close.
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { encodeMethod, decodeMethod, M, type Method } from '../../src/amqp/spec.generated.js';
import { Reader } from '../../src/amqp/reader.js';
import { FrameType, Writer } from '../../src/amqp/writer.js';
import { anyMethod, taggedTable, tableSample, encodePropsRef, spec, fieldArb } from './codec-model.js';

const AMQP_HEADER = Buffer.from([65, 77, 81, 80, 0, 0, 9, 1]);

/** One case: the bytes, where to cut them into writes, and how the client leaves. */
export interface FuzzCase {
  bytes: Buffer;
  /** Write boundaries (ascending offsets inside bytes). */
  cuts: number[];
  /** Yield to the event loop between chunks, so the broker sees them as separate reads. */
  pause: boolean;
  /** end: half-close (FIN); reset: destroy right after writing; linger: wait for the broker to close first. */
  leave: 'end' | 'reset' | 'linger';
  /** What made it, for reports. */
  kind: string;
}

export interface SessionOptions { user: string; password: string; vhost: string }

function bytesOf(build: (w: Writer) => void): Buffer {
  const w = new Writer();
  build(w);
  return Buffer.concat(w.take());
}
function methodFrame(w: Writer, channel: number, m: Method): void {
  w.beginFrame(FrameType.Method, channel);
  encodeMethod(w, m);
  w.endFrame();
}

/** header, start-ok (PLAIN), tune-ok, open: everything a client sends before the server's open-ok, in one go. */
export function handshakeBytes(o: SessionOptions, frameMax = 131072, heartbeat = 0): Buffer {
  return Buffer.concat([AMQP_HEADER, bytesOf((w) => {
    methodFrame(w, 0, { id: M.ConnectionStartOk, clientProperties: { product: 'warren-fuzz', capabilities: { authentication_failure_close: true, consumer_cancel_notify: true, 'connection.blocked': true } },
      mechanism: 'PLAIN', response: `\0${o.user}\0${o.password}`, locale: 'en_US' });
    methodFrame(w, 0, { id: M.ConnectionTuneOk, channelMax: 2047, frameMax, heartbeat });
    methodFrame(w, 0, { id: M.ConnectionOpen, virtualHost: o.vhost, reserved1: '', reserved2: false });
  })]);
}

// ---- a session of valid frames ----

const ch = fc.integer({ min: 1, max: 3 });
const queue = fc.constantFrom('fz.q1', 'fz.q2', 'fz.q3', '', 'amq.fz', 'fz.missing');
const exchange = fc.constantFrom('', 'amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'fz.x', 'fz.missing');
const rkey = fc.constantFrom('', 'fz.q1', 'fz.q2', 'a.b', '#', '*.b', 'x'.repeat(255));
const tag = fc.constantFrom('', 'c1', 'c2');
const deliveryTag = fc.integer({ min: 0, max: 12 });
/** Queue arguments RabbitMQ knows, valid and not, and random tables. */
const queueArgs = fc.oneof(
  fc.constant({}),
  fc.record({
    'x-message-ttl': fc.oneof(fc.integer({ min: -1, max: 100 }), fc.constant('x') as fc.Arbitrary<unknown>),
    'x-max-length': fc.integer({ min: -1, max: 3 }),
    'x-max-priority': fc.integer({ min: -1, max: 300 }),
    'x-dead-letter-exchange': fc.constantFrom('', 'amq.fanout', 'fz.x'),
    'x-overflow': fc.constantFrom('drop-head', 'reject-publish', 'reject-publish-dlx', 'bogus'),
    'x-queue-mode': fc.constantFrom('lazy', 'default', 'bogus'),
    'x-expires': fc.integer({ min: 0, max: 50 }),
    'x-single-active-consumer': fc.boolean(),
  }, { requiredKeys: [] }),
  taggedTable.map(tableSample),
) as fc.Arbitrary<Record<string, never>>;

/** Basic properties as bytes: valid ones from the reference encoder, or a random flags word and tail. */
const propsBytes = fc.oneof(
  { weight: 4, arbitrary: fc.record(Object.fromEntries(spec.basicProps.map((p) => [p.name, fieldArb(p.type)])), { requiredKeys: [] }).map(encodePropsRef) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 2, maxLength: 40 }).map((b) => Buffer.from(b)) },
);

/** One step of a session: the frames a client would send for it. */
const step: fc.Arbitrary<(w: Writer, frameMax: number) => void> = fc.oneof(
  ch.map((c) => (w: Writer) => methodFrame(w, c, { id: M.ChannelOpen, reserved1: '' })),
  ch.map((c) => (w: Writer) => methodFrame(w, c, { id: M.ChannelClose, replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 })),
  fc.tuple(ch, queue, fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), queueArgs).map(([c, q, b, args]) => (w: Writer) =>
    methodFrame(w, c, { id: M.QueueDeclare, reserved1: 0, queue: q, passive: b[0]!, durable: b[1]!, exclusive: b[2]!, autoDelete: b[3]!, noWait: b[4]!, arguments: args })),
  fc.tuple(ch, exchange, fc.constantFrom('direct', 'fanout', 'topic', 'headers', 'x-bogus'), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 })).map(([c, x, type, b]) => (w: Writer) =>
    methodFrame(w, c, { id: M.ExchangeDeclare, reserved1: 0, exchange: x, type, passive: b[0]!, durable: b[1]!, autoDelete: b[2]!, internal: b[3]!, noWait: b[4]!, arguments: {} })),
  fc.tuple(ch, queue, exchange, rkey, fc.boolean()).map(([c, q, x, k, nw]) => (w: Writer) =>
    methodFrame(w, c, { id: M.QueueBind, reserved1: 0, queue: q, exchange: x, routingKey: k, noWait: nw, arguments: {} })),
  fc.tuple(ch, queue, exchange, rkey).map(([c, q, x, k]) => (w: Writer) =>
    methodFrame(w, c, { id: M.QueueUnbind, reserved1: 0, queue: q, exchange: x, routingKey: k, arguments: {} })),
  fc.tuple(ch, exchange, exchange, rkey).map(([c, d, s, k]) => (w: Writer) =>
    methodFrame(w, c, { id: M.ExchangeBind, reserved1: 0, destination: d, source: s, routingKey: k, noWait: false, arguments: {} })),
  fc.tuple(ch, exchange, rkey, fc.boolean(), propsBytes, fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 20000 })), fc.integer({ min: -2, max: 2 })).map(
    ([c, x, k, mandatory, props, size, lie]) => (w: Writer, frameMax: number) => {
      methodFrame(w, c, { id: M.BasicPublish, reserved1: 0, exchange: x, routingKey: k, mandatory, immediate: false });
      w.beginFrame(FrameType.Header, c);
      w.u16(60); w.u16(0); w.u64(Math.max(0, size + lie)); w.bytes(props);
      w.endFrame();
      if (size) w.body(c, Buffer.alloc(size, 0x61), frameMax);
    }),
  fc.tuple(ch, queue, tag, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 })).map(([c, q, t, b]) => (w: Writer) =>
    methodFrame(w, c, { id: M.BasicConsume, reserved1: 0, queue: q, consumerTag: t, noLocal: b[0]!, noAck: b[1]!, exclusive: b[2]!, noWait: b[3]!, arguments: {} })),
  fc.tuple(ch, tag).map(([c, t]) => (w: Writer) => methodFrame(w, c, { id: M.BasicCancel, consumerTag: t, noWait: false })),
  fc.tuple(ch, queue, fc.boolean()).map(([c, q, na]) => (w: Writer) => methodFrame(w, c, { id: M.BasicGet, reserved1: 0, queue: q, noAck: na })),
  fc.tuple(ch, deliveryTag, fc.boolean()).map(([c, t, m]) => (w: Writer) => methodFrame(w, c, { id: M.BasicAck, deliveryTag: t, multiple: m })),
  fc.tuple(ch, deliveryTag, fc.boolean(), fc.boolean()).map(([c, t, m, r]) => (w: Writer) => methodFrame(w, c, { id: M.BasicNack, deliveryTag: t, multiple: m, requeue: r })),
  fc.tuple(ch, deliveryTag, fc.boolean()).map(([c, t, r]) => (w: Writer) => methodFrame(w, c, { id: M.BasicReject, deliveryTag: t, requeue: r })),
  fc.tuple(ch, fc.nat({ max: 5 }), fc.boolean()).map(([c, n, g]) => (w: Writer) => methodFrame(w, c, { id: M.BasicQos, prefetchSize: 0, prefetchCount: n, global: g })),
  fc.tuple(ch, fc.boolean()).map(([c, r]) => (w: Writer) => methodFrame(w, c, { id: M.BasicRecover, requeue: r })),
  fc.tuple(ch, fc.boolean()).map(([c, a]) => (w: Writer) => methodFrame(w, c, { id: M.ChannelFlow, active: a })),
  ch.map((c) => (w: Writer) => methodFrame(w, c, { id: M.ConfirmSelect, nowait: false })),
  fc.tuple(ch, fc.constantFrom(M.TxSelect, M.TxCommit, M.TxRollback)).map(([c, id]) => (w: Writer) => methodFrame(w, c, { id } as Method)),
  fc.tuple(ch, queue, fc.boolean(), fc.boolean()).map(([c, q, iu, ie]) => (w: Writer) =>
    methodFrame(w, c, { id: M.QueueDelete, reserved1: 0, queue: q, ifUnused: iu, ifEmpty: ie, noWait: false })),
  fc.tuple(ch, queue).map(([c, q]) => (w: Writer) => methodFrame(w, c, { id: M.QueuePurge, reserved1: 0, queue: q, noWait: false })),
  fc.tuple(ch, exchange, fc.boolean()).map(([c, x, iu]) => (w: Writer) => methodFrame(w, c, { id: M.ExchangeDelete, reserved1: 0, exchange: x, ifUnused: iu, noWait: false })),
  fc.constant((w: Writer) => w.heartbeat()),
  // Any method of the spec, on any channel, with every field drawn at random.
  fc.tuple(fc.integer({ min: 0, max: 4 }), anyMethod).map(([c, { v }]) => (w: Writer) => methodFrame(w, c, v as unknown as Method)),
  fc.constant((w: Writer) => methodFrame(w, 0, { id: M.ConnectionClose, replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 })),
);

const session = fc.record({
  frameMax: fc.constantFrom(4096, 131072),
  steps: fc.array(step, { minLength: 1, maxLength: 12 }),
});

// ---- mutations ----

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'overwrite' | 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('overwrite' as const, 'insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }) },
);

/** Applies mutations to b at offsets from `from` on (so the handshake can be kept intact). */
function mutate(b: Buffer, muts: Mutation[], from: number): Buffer {
  let out = Buffer.from(b);
  for (const m of muts) {
    if (out.length <= from) break;
    const at = from + (m.at % (out.length - from));
    switch (m.kind) {
      case 'flip': out[at]! ^= 1 << m.bit; break;
      case 'truncate': out = out.subarray(0, at); break;
      case 'overwrite': out.set(m.bytes.subarray(0, out.length - at), at); break;
      case 'insert': out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]); break;
      case 'repeat': out = Buffer.concat([out.subarray(0, at + m.len), out.subarray(at)]); break;
    }
  }
  return out;
}

const randomBytes = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max }).map((b) => Buffer.from(b));

/** The bytes of a case, with a name for its family. */
function payloadArb(o: SessionOptions): fc.Arbitrary<{ bytes: Buffer; kind: string }> {
  const sessionBytes = session.map(({ frameMax, steps }) => ({
    hs: handshakeBytes(o, frameMax),
    body: bytesOf((w) => { for (const s of steps) s(w, frameMax); }),
  }));
  return fc.oneof(
    // A valid session: must be processed correctly.
    { weight: 1, arbitrary: sessionBytes.map(({ hs, body }) => ({ bytes: Buffer.concat([hs, body]), kind: 'valid' })) },
    // A valid session mutated after the handshake (the deep states), or anywhere (handshake included).
    { weight: 6, arbitrary: fc.tuple(sessionBytes, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([{ hs, body }, muts]) =>
      ({ bytes: mutate(Buffer.concat([hs, body]), muts, hs.length), kind: 'mutated' })) },
    { weight: 2, arbitrary: fc.tuple(sessionBytes, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([{ hs, body }, muts]) =>
      ({ bytes: mutate(Buffer.concat([hs, body]), muts, 0), kind: 'mutated-handshake' })) },
    // Raw random bytes: instead of the header, right after it, and after a good handshake.
    { weight: 1, arbitrary: fc.tuple(randomBytes(64), fc.boolean()).map(([r, then]) =>
      ({ bytes: then ? Buffer.concat([r, handshakeBytes(o)]) : r, kind: 'raw-before-header' })) },
    { weight: 1, arbitrary: randomBytes(200).map((r) => ({ bytes: Buffer.concat([AMQP_HEADER, r]), kind: 'raw-after-header' })) },
    { weight: 2, arbitrary: randomBytes(300).map((r) => ({ bytes: Buffer.concat([handshakeBytes(o, 4096), r]), kind: 'raw-after-open' })) },
    // Random bytes dressed as frames: plausible headers (type, channel, size) with random payloads.
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.constantFrom(1, 2, 3, 8, 0, 4, 255), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 60 }), fc.boolean()), { minLength: 1, maxLength: 8 })
      .map((fs) => ({ bytes: Buffer.concat([handshakeBytes(o, 4096), ...fs.map(([t, c, p, good]) => {
        const h = Buffer.alloc(7); h[0] = t; h.writeUInt16BE(c, 1); h.writeUInt32BE(p.length, 3);
        return Buffer.concat([h, p, Buffer.from([good ? 0xce : 0])]);
      })]), kind: 'random-frames' })) },
  );
}

/** Cases against a broker reached with these credentials and vhost. */
export function fuzzCaseArb(o: SessionOptions): fc.Arbitrary<FuzzCase> {
  return fc.tuple(payloadArb(o), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), fc.constantFrom('end', 'end', 'reset', 'linger') as fc.Arbitrary<FuzzCase['leave']>)
    .map(([{ bytes, kind }, cutSeeds, pause, leave]) => {
      const cuts = bytes.length > 1 ? [...new Set(cutSeeds.map((c) => 1 + (c % (bytes.length - 1))))].sort((a, b) => a - b) : [];
      return { bytes, cuts, pause, leave, kind };
    });
}

// ---- running a case ----

/** Reply codes a close may carry; 541 INTERNAL_ERROR (an exception inside the broker) is a finding. */
const CLOSE_CODES = new Set([200, 311, 312, 313, 320, 402, 403, 404, 405, 406, 501, 502, 503, 504, 505, 506, 530, 540]);

export interface CaseResult { received: number; problem?: string }

/**
 * Checks the bytes the broker sent: its protocol header alone (for a bad header), or whole frames of known
 * types ending in 0xCE, methods that decode, and closes with known codes. A cut-off last frame is allowed
 * (the client may have reset the socket mid-delivery).
 */
export function checkReply(b: Buffer): string | undefined {
  if (b.length >= 4 && b.subarray(0, 4).toString('latin1') === 'AMQP') {
    return b.equals(AMQP_HEADER) ? undefined : `protocol header reply of ${b.length} bytes: ${b.toString('hex').slice(0, 80)}`;
  }
  let p = 0;
  while (b.length - p >= 8) {
    const type = b[p]!, channel = b.readUInt16BE(p + 1), size = b.readUInt32BE(p + 3);
    if (b.length - p < size + 8) break;
    if (b[p + 7 + size] !== 0xce) return `frame without its end octet at ${p}`;
    if (![1, 2, 3, 8].includes(type)) return `frame of type ${type}`;
    if (type === 1) {
      let m: Method;
      try {
        const r = new Reader(b, p + 7, p + 7 + size);
        m = decodeMethod(r);
        if (r.pos !== p + 7 + size) return `method ${m.id} with ${p + 7 + size - r.pos} extra bytes`;
      } catch (e) { return `undecodable method frame: ${(e as Error).message}`; }
      if ((m.id === M.ConnectionClose || m.id === M.ChannelClose) && !CLOSE_CODES.has(m.replyCode)) {
        return `${m.id === M.ConnectionClose ? 'connection' : `channel ${channel}`}.close ${m.replyCode} ${m.replyText}`;
      }
    }
    p += size + 8;
  }
  return undefined;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Sends one case on a fresh socket and checks the reply. Never rejects: connection errors are part of the game. */
export function runCase(host: string, port: number, c: FuzzCase, lingerMs = 30): Promise<CaseResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const sock: Socket = connect({ host, port, noDelay: true });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const reply = Buffer.concat(chunks);
      resolve({ received: reply.length, problem: checkReply(reply) });
    };
    // A case never takes long; one the broker leaves open (a login delay, a linger) is cut here.
    const timer = setTimeout(finish, 5000);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', () => { /* the broker may reset us: part of the game */ });
    sock.on('close', finish);
    sock.once('connect', async () => {
      let at = 0;
      for (const cut of [...c.cuts, c.bytes.length]) {
        if (sock.destroyed) return;
        sock.write(c.bytes.subarray(at, cut));
        at = cut;
        if (c.pause) await tick();
      }
      if (c.leave === 'reset') { await tick(); finish(); return; }
      if (c.leave === 'end') { sock.end(); return; }
      setTimeout(() => sock.end(), lingerMs);
    });
  });
}

/** Runs cases over `parallel` sockets at a time; calls onResult for each. */
export async function runCases(host: string, port: number, cases: FuzzCase[], parallel: number,
  onResult: (c: FuzzCase, r: CaseResult) => void, lingerMs?: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      onResult(c, await runCase(host, port, c, lingerMs));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
