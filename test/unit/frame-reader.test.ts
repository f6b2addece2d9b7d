// Unit tests for the frame layer: FrameReader on byte streams split anywhere, its frame_max and frame-end errors
// (RabbitMQ's texts), and Writer output (chunks, body slices split at frame_max) parsed back by the FrameReader.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameReader } from '../../src/amqp/frame-reader.js';
import { Writer, FrameType, FRAME_END } from '../../src/amqp/writer.js';
import { ConnectionError } from '../../src/amqp/errors.js';
import { encodeMethod, M, type Method } from '../../src/amqp/spec.generated.js';
import { encodeMethodRef, spec } from '../support/codec-model.js';

interface Frame { type: number; channel: number; payload: Buffer }

function encodeFrame(f: Frame, end = FRAME_END): Buffer {
  const h = Buffer.alloc(7);
  h[0] = f.type; h.writeUInt16BE(f.channel, 1); h.writeUInt32BE(f.payload.length, 3);
  return Buffer.concat([h, f.payload, Buffer.from([end])]);
}

/** A FrameReader that collects copies of the frames it parses. */
function collector(frameMax = 1 << 20): { reader: FrameReader; frames: Frame[] } {
  const frames: Frame[] = [];
  const reader = new FrameReader({
    onFrame(type, channel, buf, start, end) { frames.push({ type, channel, payload: Buffer.from(buf.subarray(start, end)) }); },
  });
  reader.frameMax = frameMax;
  return { reader, frames };
}

/** Feeds the chunks; returns the frames parsed and the bytes still buffered. */
function parse(chunks: Buffer[], frameMax?: number): { frames: Frame[]; buffered: number } {
  const { reader, frames } = collector(frameMax);
  for (const c of chunks) reader.push(c);
  return { frames, buffered: reader.buffered };
}

/** stream split at the given offsets. */
function splitAt(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) { out.push(stream.subarray(prev, p)); prev = p; }
  out.push(stream.subarray(prev));
  return out;
}

const frameArb: fc.Arbitrary<Frame> = fc.record({
  type: fc.constantFrom(FrameType.Method, FrameType.Header, FrameType.Body, FrameType.Heartbeat, 0, 65, 255),
  channel: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
}, { noNullPrototype: true });

const sample: Frame[] = [
  { type: FrameType.Method, channel: 0, payload: Buffer.from([0, 10, 0, 10]) },
  { type: FrameType.Heartbeat, channel: 0, payload: Buffer.alloc(0) },
  { type: FrameType.Method, channel: 1, payload: Buffer.from('0123456789abcdef'.repeat(5)) },
  { type: FrameType.Header, channel: 1, payload: Buffer.alloc(14, 7) },
  { type: FrameType.Body, channel: 1, payload: Buffer.from([FRAME_END, FRAME_END, 0, 1]) },
  { type: FrameType.Body, channel: 65535, payload: Buffer.alloc(1) },
];

describe('FrameReader', () => {
  const stream = Buffer.concat(sample.map((f) => encodeFrame(f)));

  it('parses a stream split at every possible point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = parse([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(r.frames, sample, `split at ${cut}`);
      assert.equal(r.buffered, 0);
    }
  });

  it('parses a stream fed one byte at a time, holding back only the unfinished frame', () => {
    const { reader, frames } = collector();
    const ends: number[] = [];
    let off = 0;
    for (const f of sample) { off += f.payload.length + 8; ends.push(off); }
    for (let i = 0; i < stream.length; i++) {
      reader.push(stream.subarray(i, i + 1));
      assert.equal(frames.length, ends.filter((e) => e <= i + 1).length);
      const lastEnd = ends.filter((e) => e <= i + 1).pop() ?? 0;
      assert.equal(reader.buffered, i + 1 - lastEnd);
    }
    assert.deepEqual(frames, sample);
  });

  it('parses random frames under random splits', () => {
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (fs, cuts) => {
      const s = Buffer.concat(fs.map((f) => encodeFrame(f)));
      const r = parse(splitAt(s, cuts));
      assert.deepEqual(r.frames, fs);
      assert.equal(r.buffered, 0);
    }), { numRuns: 500 });
  });

  it('accepts a frame of exactly frame_max octets; one more is 501 before its payload arrives', () => {
    const ok: Frame = { type: FrameType.Body, channel: 1, payload: Buffer.alloc(4096 - 8, 1) };
    assert.deepEqual(parse([encodeFrame(ok)], 4096).frames, [ok]);
    const big = encodeFrame({ type: FrameType.Method, channel: 1, payload: Buffer.alloc(5010) });
    const { reader } = collector(4096);
    assert.throws(() => reader.push(big.subarray(0, 7)), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.equal(e.code, 501);
      assert.equal(e.message, 'type 1, all octets = <<>>: {frame_too_large,5010,4088}');
      assert.equal(e.method, 0);
      return true;
    });
  });

  it('a frame-size word of garbage is frame_too_large, as RabbitMQ reports it', () => {
    const { reader } = collector(4096);
    assert.throws(() => reader.push(Buffer.from('this is random garbage')),
      { code: 501, message: 'type 116, all octets = <<>>: {frame_too_large,1931503987,4088}' });
  });

  it('a bad frame-end octet is 501 with RabbitMQ\'s payload snippet', () => {
    const cases: Array<[Frame, number, string]> = [
      [{ type: 1, channel: 1, payload: Buffer.from([0, 60, 0, 40, 0, 0, 0, 1, 120, 0]) }, 0,
        'type 1, all octets = <<0,60,0,40,0,0,0,1,120,0>>: {invalid_frame_end_marker,0}'],
      [{ type: 3, channel: 1, payload: Buffer.from('hello') }, 0x41, 'type 3, all octets = <<"hello">>: {invalid_frame_end_marker,65}'],
      [{ type: 1, channel: 1, payload: Buffer.from('ab"c\\d\n\r\t\x0b\x08\x0c\x1bxyz') }, 0xfe,
        'type 1, all octets = <<"ab\\"c\\\\d\\n\\r\\t\\v\\b\\f\\exyz">>: {invalid_frame_end_marker,\n' + ' '.repeat(55) + '254}'],
      [{ type: 1, channel: 1, payload: Buffer.from([10, 11, 12, 13, 14, 1, 2, 3, 4, 5]) }, 1,
        'type 1, all octets = <<10,11,12,13,14,1,2,3,4,5>>: {invalid_frame_end_marker,\n' + ' '.repeat(52) + '1}'],
      [{ type: 1, channel: 1, payload: Buffer.alloc(20, 0x80) }, 0x41,
        'type 1, first 16 octets = <<128,128,128,128,128,128,128,128,128,128,128,128,\n' + ' '.repeat(28) +
        '128,128,128,128>>: {invalid_frame_end_marker,65}'],
    ];
    for (const [f, end, text] of cases) {
      assert.throws(() => parse([encodeFrame(f, end)]), { code: 501, message: text, method: 0 });
    }
  });

  it('frames before a bad one are delivered; the error comes when the bad frame is complete', () => {
    const { reader, frames } = collector();
    const bad = encodeFrame({ type: 3, channel: 1, payload: Buffer.from('x') }, 0);
    reader.push(Buffer.concat([encodeFrame(sample[1]!), bad.subarray(0, 8)]));
    assert.equal(frames.length, 1);
    assert.throws(() => reader.push(bad.subarray(8)), ConnectionError);
  });
});

type Op =
  | { op: 'method'; name: string; table: number }
  | { op: 'content'; channel: number; size: number }
  | { op: 'heartbeat' }
  | { op: 'take' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('method' as const), name: fc.string({ maxLength: 40 }), table: fc.integer({ min: 0, max: 3000 }) }, { noNullPrototype: true }),
  fc.record({ op: fc.constant('content' as const), channel: fc.integer({ min: 1, max: 0xffff }),
    size: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 300_000 })) }, { noNullPrototype: true }),
  fc.constant({ op: 'heartbeat' as const }),
  fc.constant({ op: 'take' as const }),
);

/** Runs the ops on a Writer; returns the chunks it handed out and the frames they must parse to. */
function runWriter(ops: Op[], frameMax: number): { chunks: Buffer[]; expected: Frame[] } {
  const w = new Writer();
  const chunks: Buffer[] = [];
  const expected: Frame[] = [];
  let n = 0;
  for (const o of ops) {
    n++;
    if (o.op === 'take') { chunks.push(...w.take()); continue; }
    if (o.op === 'heartbeat') { w.heartbeat(); expected.push({ type: 8, channel: 0, payload: Buffer.alloc(0) }); continue; }
    if (o.op === 'method') {
      const m = { id: M.ConnectionUpdateSecret, newSecret: 's'.repeat(o.table * 30), reason: o.name } as Method;
      w.beginFrame(FrameType.Method, 0); encodeMethod(w, m); w.endFrame();
      expected.push({ type: 1, channel: 0, payload: encodeMethodRef(spec.methods.find((x) => x.id === m.id)!, m as unknown as Record<string, unknown>) });
      continue;
    }
    const header = Buffer.alloc(14); header.writeUInt16BE(60, 0); header.writeBigUInt64BE(BigInt(o.size), 4);
    w.beginFrame(FrameType.Header, o.channel); w.bytes(header.subarray(0, 12)); w.u16(0); w.endFrame();
    expected.push({ type: 2, channel: o.channel, payload: header });
    const body = Buffer.alloc(o.size);
    for (let i = 0; i < o.size; i += 997) body[i] = (n + i) & 0xff;
    w.body(o.channel, body, frameMax);
    for (let off = 0; off < o.size; off += frameMax - 8) {
      expected.push({ type: 3, channel: o.channel, payload: body.subarray(off, Math.min(o.size, off + frameMax - 8)) });
    }
  }
  chunks.push(...w.take());
  return { chunks, expected };
}

describe('Writer output through the FrameReader', () => {
  it('bodies split at frame_max, across Writer chunk boundaries, parse back to the frames written', () => {
    const ops: Op[] = [];
    for (let i = 0; i < 40; i++) ops.push({ op: 'method', name: `m${i}`, table: i * 7 }, { op: 'content', channel: 1 + i, size: i * 1500 });
    ops.push({ op: 'content', channel: 9, size: 300_000 }, { op: 'heartbeat' }, { op: 'method', name: 'big', table: 3000 });
    const { chunks, expected } = runWriter(ops, 4096);
    const total = chunks.reduce((a, c) => a + c.length, 0);
    assert.ok(total > 64 * 1024 * 3, `wrote ${total} bytes`);
    assert.ok(chunks.length > 10, `${chunks.length} chunks`);
    const r = parse(chunks);
    assert.equal(r.frames.length, expected.length);
    assert.deepEqual(r.frames, expected);
    for (const f of r.frames) if (f.type === 3) assert.ok(f.payload.length <= 4096 - 8);
  });

  it('a frame in progress when the chunk fills is carried whole into the next chunk', () => {
    const w = new Writer();
    // Fill the 64 KiB chunk with small frames until fewer than 100 bytes are left, then write one that cannot fit.
    let frames = 0;
    while (w.buf.length - w.pos >= 100) { w.heartbeat(); frames++; }
    const m = { id: M.ConnectionUpdateSecret, newSecret: 'x'.repeat(500), reason: 'carry' } as Method;
    w.beginFrame(FrameType.Method, 0); encodeMethod(w, m); w.endFrame();
    const chunks = w.take();
    assert.ok(chunks.length >= 2, 'the frame went to a new chunk');
    const r = parse(chunks);
    assert.equal(r.frames.length, frames + 1);
    assert.equal(r.frames.at(-1)!.payload.length, 4 + 4 + 500 + 1 + 5);
  });

  it('random Writer op sequences, re-split at random, parse back to the frames written', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 30 }), fc.constantFrom(4096, 8192, 131072),
      fc.array(fc.nat(), { maxLength: 10 }), (ops, frameMax, cuts) => {
        const { chunks, expected } = runWriter(ops, frameMax);
        assert.deepEqual(parse(chunks).frames, expected);
        assert.deepEqual(parse(splitAt(Buffer.concat(chunks), cuts)).frames, expected);
      }), { numRuns: 150 });
  });
});
