// Unit tests for the AMQP codec: every method and the basic properties against an independent reference encoder
// (bit packing included), byte-exact field-table round trips, and malformed input that may only raise DecodeError.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMethod, encodeMethod, decodeProperties, encodeProperties, M, methodNames,
  type Method, type BasicProperties } from '../../src/amqp/spec.generated.js';
import { Reader } from '../../src/amqp/reader.js';
import { Writer } from '../../src/amqp/writer.js';
import { ConnectionError, DecodeError } from '../../src/amqp/errors.js';
import { readTable, encodeTable, Typed, type FieldTable, type FieldValue } from '../../src/amqp/table.js';
import { spec, encodeMethodRef, encodePropsRef, encTaggedTable, encTaggedTableBody, tableSample, taggedTable,
  anyMethod, methodArb, fieldArb, type Tagged, type TaggedTable } from '../support/codec-model.js';

const encM = (m: Record<string, unknown>): Buffer => { const w = new Writer(); encodeMethod(w, m as unknown as Method); return Buffer.concat(w.take()); };
const decM = (b: Buffer, end = b.length): Method => decodeMethod(new Reader(b, 0, end));
const encP = (p: BasicProperties): Buffer => { const w = new Writer(); encodeProperties(w, p); return Buffer.concat(w.take()); };
const decP = (b: Buffer, end = b.length): BasicProperties => decodeProperties(new Reader(b, 0, end));
const byName = (name: string) => spec.methods.find((m) => m.name === name)!;

/** Runs fn; it may return or throw DecodeError (a ConnectionError), nothing else. */
function onlyDecodeErrors(fn: () => unknown): void {
  try { fn(); } catch (e) {
    if (e instanceof DecodeError || e instanceof ConnectionError) return;
    throw new Error(`expected DecodeError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

describe('methods', () => {
  it('the generated M table and methodNames cover exactly the methods of the spec', () => {
    assert.deepEqual(Object.values(M).sort(), spec.methods.map((m) => m.id).sort());
    for (const m of spec.methods) assert.equal(methodNames[m.id], m.name);
  });

  for (const m of spec.methods) {
    it(`${m.name}: encodes as the reference encoder and decodes back`, () => {
      fc.assert(fc.property(methodArb(m), (v) => {
        const ref = encodeMethodRef(m, v);
        assert.deepEqual(encM(v), ref);
        assert.deepEqual(decM(ref), v);
      }), { numRuns: 40 });
    });
  }

  it('queue.declare packs its 5 bits into one octet, lowest bit first', () => {
    const qd = byName('queue.declare');
    const names = ['passive', 'durable', 'exclusive', 'autoDelete', 'noWait'];
    names.forEach((name, i) => {
      const v = { id: M.QueueDeclare, reserved1: 0, queue: 'q', passive: false, durable: false, exclusive: false,
        autoDelete: false, noWait: false, arguments: tableSample([]), [name]: true };
      const b = encM(v);
      // id(4) reserved-1(2) queue(1+1) bits(1) arguments(4)
      assert.equal(b.length, 13);
      assert.equal(b[8], 1 << i, name);
      assert.deepEqual(b, encodeMethodRef(qd, v));
      assert.deepEqual(decM(b), v);
    });
  });

  it('basic.nack packs multiple and requeue into one octet; exchange.declare packs 5 bits after a shortstr', () => {
    for (const [multiple, requeue] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const b = encM({ id: M.BasicNack, deliveryTag: 7, multiple, requeue });
      assert.equal(b.length, 4 + 8 + 1);
      assert.equal(b[12], (multiple ? 1 : 0) | (requeue ? 2 : 0));
    }
    const v = { id: M.ExchangeDeclare, reserved1: 0, exchange: 'e', type: 'topic', passive: true, durable: false,
      autoDelete: true, internal: false, noWait: true, arguments: tableSample([]) };
    const b = encM(v);
    assert.equal(b[4 + 2 + 2 + 6], 0b10101);
    assert.deepEqual(decM(b), v);
  });

  it('bits a method does not define are ignored when decoding (as RabbitMQ does)', () => {
    const b = encM({ id: M.BasicNack, deliveryTag: 1, multiple: false, requeue: true });
    b[12] = 0xfe;
    assert.deepEqual(decM(b), { id: M.BasicNack, deliveryTag: 1, multiple: false, requeue: true });
  });

  it('an unknown class or method id is a DecodeError', () => {
    for (const id of [(60 << 16) | 999, (99 << 16) | 10, 0]) {
      const b = Buffer.alloc(4); b.writeUInt32BE(id >>> 0);
      assert.throws(() => decM(b), DecodeError);
    }
  });
});

describe('basic properties', () => {
  const sample: Record<string, unknown> = {
    contentType: 'text/plain', contentEncoding: 'gzip', headers: tableSample([['k', { t: 'b', v: -3 }], ['n', { t: 'S', v: 'v' }]]),
    deliveryMode: 2, priority: 9, correlationId: 'c-1', replyTo: 'amq.rabbitmq.reply-to', expiration: '60000',
    messageId: 'm-1', timestamp: 1_700_000_000, type: 'evt', userId: 'guest', appId: 'warren', reserved: 'cluster',
  };

  it('has the 14 properties of the spec, in flag order', () => {
    assert.equal(spec.basicProps.length, 14);
    assert.deepEqual(spec.basicProps.map((p) => p.name), Object.keys(sample));
  });

  it('round-trips every one of the 2^14 present/absent combinations', () => {
    for (let mask = 0; mask < 1 << 14; mask++) {
      const p: Record<string, unknown> = {};
      spec.basicProps.forEach((f, i) => { if (mask & (1 << (13 - i))) p[f.name] = sample[f.name]; });
      const ref = encodePropsRef(p);
      assert.equal(ref.readUInt16BE(0), mask << 2);
      assert.deepEqual(encP(p as BasicProperties), ref);
      assert.deepEqual(decP(ref), p);
    }
  });

  it('round-trips random values, each property present or absent', () => {
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of spec.basicProps) rec[f.name] = fieldArb(f.type);
    fc.assert(fc.property(fc.record(rec, { requiredKeys: [], noNullPrototype: true }), (p) => {
      const ref = encodePropsRef(p);
      assert.deepEqual(encP(p as BasicProperties), ref);
      assert.deepEqual(decP(ref), p);
    }), { numRuns: 300 });
  });

  it('the flags continuation bit is a DecodeError', () => {
    assert.throws(() => decP(Buffer.from([0, 1])), DecodeError);
  });
});

/** Checks a decoded value against the tagged model: the JS value Warren hands to the broker for each tag. */
function checkDecoded(got: FieldValue, want: Tagged, path: string): void {
  const safe = (v: bigint) => v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
  switch (want.t) {
    case 't': case 'b': case 'B': case 's': case 'u': case 'I': case 'i': case 'd': case 'S':
      assert.ok(Object.is(got, want.v), `${path}: ${String(got)} !== ${String(want.v)}`); return;
    case 'l': assert.equal(got, safe(want.v) ? Number(want.v) : want.v, path); return;
    case 'f': assert.ok(got instanceof Typed && got.type === 'f' && Object.is(got.value, want.v), path); return;
    case 'T': assert.ok(got instanceof Typed && got.type === 'T' && got.value === (safe(want.v) ? Number(want.v) : want.v), path); return;
    case 'D': assert.ok(got instanceof Typed && got.type === 'D'); assert.deepEqual(got.value, { scale: want.scale, value: want.v }, path); return;
    case 'x': assert.ok(Buffer.isBuffer(got)); assert.deepEqual([...got], [...want.v], path); return;
    case 'V': assert.equal(got, null, path); return;
    case 'A':
      assert.ok(Array.isArray(got), path);
      assert.equal(got.length, want.v.length, path);
      want.v.forEach((x, i) => checkDecoded(got[i]!, x, `${path}[${i}]`));
      return;
    case 'F': checkTable(got as FieldTable, want.v, path);
  }
}
function checkTable(got: FieldTable, want: TaggedTable, path: string): void {
  assert.ok(got !== null && typeof got === 'object' && !Array.isArray(got), path);
  assert.deepEqual(Object.keys(got), want.map(([k]) => k), `${path}: keys in wire order`);
  for (const [k, v] of want) checkDecoded(got[k]!, v, `${path}.${k}`);
}

describe('field tables', () => {
  it('decode gives the expected values and encode reproduces the same bytes, for every type tag', () => {
    fc.assert(fc.property(taggedTable, (t) => {
      const bytes = encTaggedTable(t);
      const decoded = new Reader(bytes, 0, bytes.length).table();
      checkTable(decoded, t, 'table');
      assert.deepEqual(encodeTable(decoded), bytes);
      // Copies made by object spread (as the broker does to add headers) keep the wire tags too.
      assert.deepEqual(encodeTable({ ...decoded }), bytes);
    }), { numRuns: 500 });
  });

  it('every type tag appears in the generated tables', () => {
    const seen = new Set<string>();
    const walk = (x: Tagged) => { seen.add(x.t); if (x.t === 'A') x.v.forEach(walk); if (x.t === 'F') x.v.forEach(([, v]) => walk(v)); };
    for (const t of fc.sample(taggedTable, 300)) t.forEach(([, v]) => walk(v));
    assert.deepEqual([...seen].sort(), [...'tbBsuIilfdDSATFVx'].sort());
  });

  it('a key named __proto__ is an ordinary entry', () => {
    const t = tableSample([['__proto__', { t: 'F', v: [['polluted', { t: 't', v: true }]] }], ['a', { t: 'I', v: 1 }]]);
    assert.deepEqual(Object.keys(t), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(t), Object.prototype);
    assert.equal((t as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(encodeTable(t), encTaggedTable([['__proto__', { t: 'F', v: [['polluted', { t: 't', v: true }]] }], ['a', { t: 'I', v: 1 }]]));
  });

  it('a remembered tag is used only while the value still fits it', () => {
    const t = tableSample([['n', { t: 'b', v: 5 }]]);
    const copy = { ...t, n: 1000 };
    assert.deepEqual(encodeTable(copy), encTaggedTable([['n', { t: 'I', v: 1000 }]]));
  });

  it('a table cut short anywhere is a DecodeError', () => {
    fc.assert(fc.property(taggedTable, (t) => {
      const bytes = encTaggedTable(t);
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.throws(() => new Reader(bytes, 0, cut).table(), DecodeError, `cut at ${cut} of ${bytes.length}`);
      }
      // Without the length prefix a cut may fall between entries (a valid shorter table) but never elsewhere.
      const body = encTaggedTableBody(t);
      for (let cut = 0; cut < body.length; cut++) onlyDecodeErrors(() => readTable(body, 0, cut));
    }), { numRuns: 200 });
  });

  it('random bytes and bit flips in a table raise nothing but DecodeError', () => {
    fc.assert(fc.property(taggedTable, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (t, flips) => {
        const bytes = encTaggedTable(t);
        for (const [at, x] of flips) bytes[at % bytes.length] ^= x;
        onlyDecodeErrors(() => new Reader(bytes, 0, bytes.length).table());
        onlyDecodeErrors(() => readTable(bytes, 4, bytes.length));
      }), { numRuns: 1000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
      const b = Buffer.from(raw);
      onlyDecodeErrors(() => readTable(b, 0, b.length));
    }), { numRuns: 1000 });
  });
});

describe('malformed method payloads', () => {
  it('a method payload cut short anywhere is a DecodeError', () => {
    fc.assert(fc.property(anyMethod, ({ m, v }) => {
      const bytes = encodeMethodRef(m, v);
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.throws(() => decM(bytes, cut), DecodeError, `${m.name} cut at ${cut} of ${bytes.length}`);
      }
    }), { numRuns: 300 });
  });

  it('bit flips, random bytes and re-cut payloads raise nothing but DecodeError', () => {
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      extra: fc.uint8Array({ maxLength: 8 }),
    });
    fc.assert(fc.property(anyMethod, mutation, ({ m, v }, { flips, cut, extra }) => {
      let bytes = Buffer.concat([encodeMethodRef(m, v), extra]);
      // Keep the method id mostly intact so the flips reach the arguments.
      for (const [at, x] of flips) { const i = 4 + (at % Math.max(1, bytes.length - 4)); if (i < bytes.length) bytes[i] ^= x; }
      if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
      onlyDecodeErrors(() => decM(bytes));
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), fc.constantFrom(...spec.methods), (raw, m) => {
      const b = Buffer.concat([Buffer.from([m.id >>> 24, (m.id >>> 16) & 0xff, (m.id >>> 8) & 0xff, m.id & 0xff]), raw]);
      onlyDecodeErrors(() => decM(b));
    }), { numRuns: 2000 });
  });

  it('basic properties cut short or flipped raise nothing but DecodeError', () => {
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of spec.basicProps) rec[f.name] = fieldArb(f.type);
    fc.assert(fc.property(fc.record(rec, { requiredKeys: [], noNullPrototype: true }), fc.nat(), fc.integer({ min: 1, max: 255 }), (p, at, x) => {
      const bytes = encodePropsRef(p);
      for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decP(bytes, cut), DecodeError);
      bytes[at % bytes.length] ^= x;
      onlyDecodeErrors(() => decP(bytes));
    }), { numRuns: 300 });
  });
});
