// Test support: an independent model of the AMQP 0-9-1 wire format for codec tests — method and property field
// lists read from tools/amqp0-9-1.rabbit.xml, a reference encoder, and fast-check arbitraries for every field type.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import { readTable, type FieldTable } from '../../src/amqp/table.js';

export type FieldType = 'bit' | 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'table' | 'timestamp';
export interface FieldSpec { name: string; type: FieldType }
export interface MethodSpec { id: number; name: string; fields: FieldSpec[] }

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function loadSpec(): { methods: MethodSpec[]; basicProps: FieldSpec[] } {
  const xml = readFileSync(join(root, 'tools', 'amqp0-9-1.rabbit.xml'), 'utf8');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const domains = new Map<string, string>();
  for (const d of Array.from(doc.getElementsByTagName('domain'))) domains.set(d.getAttribute('name')!, d.getAttribute('type')!);
  const typeOf = (f: Element) => (f.getAttribute('type') || domains.get(f.getAttribute('domain')!)) as FieldType;
  const methods: MethodSpec[] = [];
  let basicProps: FieldSpec[] = [];
  for (const c of Array.from(doc.getElementsByTagName('class'))) {
    const cid = Number(c.getAttribute('index'));
    const props: FieldSpec[] = [];
    for (const child of Array.from(c.childNodes) as unknown as Element[]) {
      if (child.nodeName === 'field') props.push({ name: camel(child.getAttribute('name')!), type: typeOf(child) });
      if (child.nodeName !== 'method') continue;
      const fields = Array.from(child.getElementsByTagName('field')).map((f) => ({ name: camel(f.getAttribute('name')!), type: typeOf(f) }));
      methods.push({ id: (cid << 16) | Number(child.getAttribute('index')), name: `${c.getAttribute('name')}.${child.getAttribute('name')}`, fields });
    }
    if (c.getAttribute('name') === 'basic') basicProps = props;
  }
  // RabbitMQ's extensions that the XML lacks (rabbit_framing_amqp_0_9_1).
  methods.push(
    { id: (10 << 16) | 60, name: 'connection.blocked', fields: [{ name: 'reason', type: 'shortstr' }] },
    { id: (10 << 16) | 61, name: 'connection.unblocked', fields: [] },
    { id: (10 << 16) | 70, name: 'connection.update-secret', fields: [{ name: 'newSecret', type: 'longstr' }, { name: 'reason', type: 'shortstr' }] },
    { id: (10 << 16) | 71, name: 'connection.update-secret-ok', fields: [] },
  );
  return { methods, basicProps };
}

export const spec = loadSpec();

// ---- reference encoder ----

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u64 = (n: number | bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };
const shortstr = (s: string) => { const v = Buffer.from(s); return Buffer.concat([u8(v.length), v]); };
const longstr = (s: string) => { const v = Buffer.from(s); return Buffer.concat([u32(v.length), v]); };

/**
 * Encodes one field value. Tables are given as the exact bytes they stand for (see TableSample), since only
 * the tagged model knows which wire tag each number had.
 */
function encodeField(type: FieldType, v: unknown): Buffer {
  switch (type) {
    case 'octet': return u8(v as number);
    case 'short': return u16(v as number);
    case 'long': return u32(v as number);
    case 'longlong': case 'timestamp': return u64(v as number);
    case 'shortstr': return shortstr(v as string);
    case 'longstr': return longstr(v as string);
    case 'table': return tableBytes(v as FieldTable);
    default: throw new Error(`no encoder for ${type}`);
  }
}

/** Arguments as the spec lays them out: consecutive bits packed into octets, lowest bit first. */
export function encodeArgs(fields: FieldSpec[], values: Record<string, unknown>): Buffer {
  const parts: Buffer[] = [];
  let bits = -1, nbits = 0;
  const flush = () => { if (nbits) parts.push(u8(bits)); bits = -1; nbits = 0; };
  for (const f of fields) {
    if (f.type === 'bit') {
      if (nbits === 8) flush();
      if (nbits === 0) bits = 0;
      if (values[f.name]) bits |= 1 << nbits;
      nbits++;
      continue;
    }
    flush();
    parts.push(encodeField(f.type, values[f.name]));
  }
  flush();
  return Buffer.concat(parts);
}

/** A whole method payload: class id, method id, arguments. */
export function encodeMethodRef(m: MethodSpec, values: Record<string, unknown>): Buffer {
  return Buffer.concat([u32(m.id), encodeArgs(m.fields, values)]);
}

/** Basic properties: the flags word (first property = bit 15), then the present values in order. */
export function encodePropsRef(values: Record<string, unknown>): Buffer {
  let flags = 0;
  const parts: Buffer[] = [];
  spec.basicProps.forEach((p, i) => {
    if (values[p.name] === undefined) return;
    flags |= 1 << (15 - i);
    parts.push(encodeField(p.type, values[p.name]));
  });
  return Buffer.concat([u16(flags), ...parts]);
}

// ---- field tables: a tagged model ----

/** A field value with its wire type tag. */
export type Tagged =
  | { t: 't'; v: boolean } | { t: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd'; v: number }
  | { t: 'l' | 'T'; v: bigint } | { t: 'D'; scale: number; v: number } | { t: 'S'; v: string }
  | { t: 'x'; v: Uint8Array } | { t: 'V' } | { t: 'A'; v: Tagged[] } | { t: 'F'; v: TaggedTable };
export type TaggedTable = Array<[string, Tagged]>;

function encTagged(x: Tagged): Buffer {
  const tag = Buffer.from(x.t, 'latin1');
  const num = (n: number, write: (b: Buffer) => void) => { const b = Buffer.alloc(n); write(b); return Buffer.concat([tag, b]); };
  switch (x.t) {
    case 't': return Buffer.concat([tag, u8(x.v ? 1 : 0)]);
    case 'b': return num(1, (b) => b.writeInt8(x.v));
    case 'B': return num(1, (b) => b.writeUInt8(x.v));
    case 's': return num(2, (b) => b.writeInt16BE(x.v));
    case 'u': return num(2, (b) => b.writeUInt16BE(x.v));
    case 'I': return num(4, (b) => b.writeInt32BE(x.v));
    case 'i': return num(4, (b) => b.writeUInt32BE(x.v));
    case 'f': return num(4, (b) => b.writeFloatBE(x.v));
    case 'd': return num(8, (b) => b.writeDoubleBE(x.v));
    case 'l': return num(8, (b) => b.writeBigInt64BE(x.v));
    case 'T': return num(8, (b) => b.writeBigUInt64BE(x.v));
    case 'D': return Buffer.concat([tag, u8(x.scale), u32(x.v)]);
    case 'S': return Buffer.concat([tag, longstr(x.v)]);
    case 'x': return Buffer.concat([tag, u32(x.v.length), Buffer.from(x.v)]);
    case 'V': return tag;
    case 'A': { const body = Buffer.concat(x.v.map(encTagged)); return Buffer.concat([tag, u32(body.length), body]); }
    case 'F': { const body = encTaggedTableBody(x.v); return Buffer.concat([tag, u32(body.length), body]); }
  }
}

/** A table's entries without the length prefix. */
export function encTaggedTableBody(t: TaggedTable): Buffer {
  return Buffer.concat(t.flatMap(([k, v]) => [shortstr(k), encTagged(v)]));
}
/** A table with its 4-byte length prefix. */
export function encTaggedTable(t: TaggedTable): Buffer {
  const body = encTaggedTableBody(t);
  return Buffer.concat([u32(body.length), body]);
}

const tableBytesOf = new WeakMap<object, Buffer>();
/** A decoded table sample remembers the bytes it came from, for the reference encoder. */
function tableBytes(t: FieldTable): Buffer {
  const b = tableBytesOf.get(t);
  if (!b) throw new Error('table sample without reference bytes');
  return b;
}
/** Warren's decoding of a tagged table, tied to the table's reference bytes. */
export function tableSample(t: TaggedTable): FieldTable {
  const body = encTaggedTableBody(t);
  const v = readTable(body, 0, body.length);
  tableBytesOf.set(v, encTaggedTable(t));
  return v;
}

// ---- arbitraries ----

/** Strings that survive UTF-8 both ways, at most 4 * maxLength bytes. */
export const str = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
/**
 * Table keys: short strings, sometimes "__proto__"; never array-index-like ("0", "17"), which JS objects
 * list before all other keys, so their order on the wire could not be kept.
 */
const key = fc.oneof({ weight: 1, arbitrary: fc.constant('__proto__') }, { weight: 20, arbitrary: str(20) })
  .filter((k) => !/^(0|[1-9]\d*)$/.test(k));

export const tagged: fc.Arbitrary<Tagged> = fc.letrec<{ value: Tagged; table: TaggedTable }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.boolean().map((v) => ({ t: 't', v }) as Tagged),
    fc.integer({ min: -0x80, max: 0x7f }).map((v) => ({ t: 'b', v }) as Tagged),
    fc.integer({ min: 0, max: 0xff }).map((v) => ({ t: 'B', v }) as Tagged),
    fc.integer({ min: -0x8000, max: 0x7fff }).map((v) => ({ t: 's', v }) as Tagged),
    fc.integer({ min: 0, max: 0xffff }).map((v) => ({ t: 'u', v }) as Tagged),
    fc.integer().map((v) => ({ t: 'I', v }) as Tagged),
    fc.integer({ min: 0, max: 0xffff_ffff }).map((v) => ({ t: 'i', v }) as Tagged),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ t: 'l', v }) as Tagged),
    fc.float({ noNaN: true }).map((v) => ({ t: 'f', v }) as Tagged),
    fc.double({ noNaN: true }).map((v) => ({ t: 'd', v }) as Tagged),
    fc.record({ scale: fc.integer({ min: 0, max: 255 }), v: fc.integer({ min: 0, max: 0xffff_ffff }) }).map(({ scale, v }) => ({ t: 'D', scale, v }) as Tagged),
    str(30).map((v) => ({ t: 'S', v }) as Tagged),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ t: 'T', v }) as Tagged),
    fc.uint8Array({ maxLength: 20 }).map((v) => ({ t: 'x', v }) as Tagged),
    fc.constant({ t: 'V' } as Tagged),
    fc.array(tie('value'), { maxLength: 5 }).map((v) => ({ t: 'A', v }) as Tagged),
    tie('table').map((v) => ({ t: 'F', v }) as Tagged),
  ),
  table: fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: ([k]) => k }),
})).value;

export const taggedTable: fc.Arbitrary<TaggedTable> =
  fc.uniqueArray(fc.tuple(key, tagged), { maxLength: 6, selector: ([k]) => k });

/** A value for a field of the given type. */
export function fieldArb(type: FieldType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bit': return fc.boolean();
    case 'octet': return fc.integer({ min: 0, max: 0xff });
    case 'short': return fc.integer({ min: 0, max: 0xffff });
    case 'long': return fc.integer({ min: 0, max: 0xffff_ffff });
    case 'longlong': case 'timestamp': return fc.maxSafeNat();
    case 'shortstr': return str(63);
    case 'longstr': return str(100);
    case 'table': return taggedTable.map(tableSample);
  }
}

/** A method value: { id, ...fields } with every field drawn from its type. */
export function methodArb(m: MethodSpec): fc.Arbitrary<Record<string, unknown>> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of m.fields) rec[f.name] = fieldArb(f.type);
  return fc.record(rec).map((v) => ({ id: m.id, ...v }));
}

/** Any method with a sample value. */
export const anyMethod = fc.constantFrom(...spec.methods).chain((m) => methodArb(m).map((v) => ({ m, v })));
