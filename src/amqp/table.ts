// AMQP field tables with RabbitMQ's type tags (its 0-9-1 errata, not the spec PDF):
// t bool, b int8, B uint8, s int16, u uint16, I int32, i uint32, l int64, f float32, d float64,
// D decimal, S longstr, A array, T timestamp, F table, V void, x byte array.
// Decoded values are plain JS values; decimal, timestamp and float32 decode to `Typed`, and numbers whose width
// JS cannot tell (b B s u i, small l, integral d) keep their wire tag under WIRE_TAGS, so re-encoding a decoded
// table gives the same bytes (RabbitMQ keeps every value's type, e.g. in headers it re-encodes).
import { DecodeError } from './errors.js';

/** Malformed bytes inside a field table (RabbitMQ's parser crashes on these rather than sending a close). */
export class TableError extends DecodeError {}

/**
 * On a decoded table or array: key (or index) → wire tag of the numbers that would otherwise re-encode with
 * another tag. A symbol property, so object spread carries it; a tag is used only while the value still fits.
 */
export const WIRE_TAGS: unique symbol = Symbol('amqp.wireTags');
type Tags = Map<string | number, number>;
const tagsOf = (o: object): Tags | undefined => (o as { [WIRE_TAGS]?: Tags })[WIRE_TAGS];
const setTags = (o: object, tags: Tags) => { (o as { [WIRE_TAGS]?: Tags })[WIRE_TAGS] = tags; };

export class Typed {
  constructor(readonly type: string, readonly value: number | bigint | { scale: number; value: number }) {}
  toJSON(): unknown { return this.type === 'D' ? this.value : Number(this.value as number); }
}

export type FieldValue =
  | string | number | bigint | boolean | null | Buffer | Typed | FieldValue[] | FieldTable;
export interface FieldTable { [key: string]: FieldValue }

function need(pos: number, n: number, end: number): void {
  if (pos + n > end) throw new TableError('field table truncated');
}

export function readTable(buf: Buffer, pos: number, end: number): FieldTable {
  const t: FieldTable = {};
  let tags: Tags | undefined;
  while (pos < end) {
    need(pos, 1, end);
    const klen = buf[pos]!;
    need(pos + 1, klen, end);
    const key = buf.toString('utf8', pos + 1, pos + 1 + klen);
    pos += 1 + klen;
    const r = readValue(buf, pos, end);
    // A key "__proto__" is an ordinary entry, not the object's prototype.
    if (key === '__proto__') Object.defineProperty(t, key, { value: r.v, enumerable: true, writable: true, configurable: true });
    else t[key] = r.v;
    if (typeof r.v === 'number' && r.tag !== numTag(r.v, undefined)) (tags ??= new Map()).set(key, r.tag);
    else tags?.delete(key);
    pos = r.pos;
  }
  if (tags) setTags(t, tags);
  return t;
}

const out = { v: null as FieldValue, pos: 0, tag: 0 };

function readValue(buf: Buffer, pos: number, end: number): { v: FieldValue; pos: number; tag: number } {
  need(pos, 1, end);
  const tag = buf[pos++]!;
  let v: FieldValue;
  switch (tag) {
    case 0x74: need(pos, 1, end); v = buf[pos] !== 0; pos += 1; break; // t
    case 0x62: need(pos, 1, end); v = buf.readInt8(pos); pos += 1; break; // b
    case 0x42: need(pos, 1, end); v = buf[pos]!; pos += 1; break; // B
    case 0x73: need(pos, 2, end); v = buf.readInt16BE(pos); pos += 2; break; // s
    case 0x75: need(pos, 2, end); v = buf.readUInt16BE(pos); pos += 2; break; // u
    case 0x49: need(pos, 4, end); v = buf.readInt32BE(pos); pos += 4; break; // I
    case 0x69: need(pos, 4, end); v = buf.readUInt32BE(pos); pos += 4; break; // i
    case 0x6c: { // l
      need(pos, 8, end);
      const b = buf.readBigInt64BE(pos); pos += 8;
      v = b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
      break;
    }
    case 0x66: need(pos, 4, end); v = new Typed('f', buf.readFloatBE(pos)); pos += 4; break; // f
    case 0x64: need(pos, 8, end); v = buf.readDoubleBE(pos); pos += 8; break; // d
    case 0x44: need(pos, 5, end); v = new Typed('D', { scale: buf[pos]!, value: buf.readUInt32BE(pos + 1) }); pos += 5; break;
    case 0x53: { // S
      need(pos, 4, end); const n = buf.readUInt32BE(pos); pos += 4; need(pos, n, end);
      v = buf.toString('utf8', pos, pos + n); pos += n; break;
    }
    case 0x78: { // x
      need(pos, 4, end); const n = buf.readUInt32BE(pos); pos += 4; need(pos, n, end);
      v = Buffer.from(buf.subarray(pos, pos + n)); pos += n; break;
    }
    case 0x41: { // A
      need(pos, 4, end); const n = buf.readUInt32BE(pos); pos += 4; need(pos, n, end);
      const arr: FieldValue[] = [];
      const aend = pos + n;
      let tags: Tags | undefined;
      while (pos < aend) {
        const r = readValue(buf, pos, aend);
        if (typeof r.v === 'number' && r.tag !== numTag(r.v, undefined)) (tags ??= new Map()).set(arr.length, r.tag);
        arr.push(r.v); pos = r.pos;
      }
      if (tags) setTags(arr, tags);
      v = arr; break;
    }
    case 0x54: { // T
      need(pos, 8, end);
      const b = buf.readBigUInt64BE(pos); pos += 8;
      v = new Typed('T', b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b); break;
    }
    case 0x46: { // F
      need(pos, 4, end); const n = buf.readUInt32BE(pos); pos += 4; need(pos, n, end);
      v = readTable(buf, pos, pos + n); pos += n; break;
    }
    case 0x56: v = null; break; // V
    default: throw new TableError(`unknown field table type '${String.fromCharCode(tag)}'`);
  }
  out.v = v; out.pos = pos; out.tag = tag;
  return out;
}

// ---- encoding ----

const NUM_RANGE: Record<number, [number, number]> = {
  0x62: [-0x80, 0x7f], 0x42: [0, 0xff], 0x73: [-0x8000, 0x7fff], 0x75: [0, 0xffff], // b B s u
  0x49: [-0x8000_0000, 0x7fff_ffff], 0x69: [0, 0xffff_ffff], 0x6c: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], // I i l
};
const NUM_SIZE: Record<number, number> = { 0x62: 2, 0x42: 2, 0x73: 3, 0x75: 3, 0x49: 5, 0x69: 5, 0x6c: 9, 0x64: 9 };

/** The tag a number is written with: its remembered wire tag while the value fits it, else I, l or d. */
function numTag(v: number, hint: number | undefined): number {
  if (hint === 0x64) return hint;
  if (hint !== undefined && Number.isInteger(v)) {
    const r = NUM_RANGE[hint];
    if (r && v >= r[0] && v <= r[1]) return hint;
  }
  if (!Number.isSafeInteger(v)) return 0x64;
  return v >= -0x8000_0000 && v <= 0x7fff_ffff ? 0x49 : 0x6c;
}

function writeNum(buf: Buffer, pos: number, v: number, tag: number): number {
  buf[pos] = tag;
  switch (tag) {
    case 0x62: buf.writeInt8(v, pos + 1); break;
    case 0x42: buf.writeUInt8(v, pos + 1); break;
    case 0x73: buf.writeInt16BE(v, pos + 1); break;
    case 0x75: buf.writeUInt16BE(v, pos + 1); break;
    case 0x49: buf.writeInt32BE(v, pos + 1); break;
    case 0x69: buf.writeUInt32BE(v, pos + 1); break;
    case 0x6c: buf.writeBigInt64BE(BigInt(v), pos + 1); break;
    default: buf.writeDoubleBE(v, pos + 1);
  }
  return pos + NUM_SIZE[tag]!;
}

function valueSize(v: FieldValue, hint?: number): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'string': return 5 + Buffer.byteLength(v);
    case 'boolean': return 2;
    case 'number': return NUM_SIZE[numTag(v, hint)]!;
    case 'bigint': return 9;
  }
  if (Buffer.isBuffer(v)) return 5 + v.length;
  if (v instanceof Typed) return v.type === 'f' ? 5 : v.type === 'D' ? 6 : 9;
  if (Array.isArray(v)) {
    const tags = tagsOf(v);
    let n = 5;
    for (let i = 0; i < v.length; i++) n += valueSize(v[i]!, tags?.get(i));
    return n;
  }
  return 5 + tableSize(v as FieldTable);
}

export function tableSize(t: FieldTable): number {
  const tags = tagsOf(t);
  let n = 0;
  for (const k in t) {
    const v = t[k];
    if (v === undefined) continue;
    n += 1 + Buffer.byteLength(k) + valueSize(v, tags?.get(k));
  }
  return n;
}

function writeValue(buf: Buffer, pos: number, v: FieldValue, hint?: number): number {
  if (v === null || v === undefined) { buf[pos] = 0x56; return pos + 1; }
  switch (typeof v) {
    case 'string': {
      buf[pos] = 0x53;
      const n = buf.write(v, pos + 5, 'utf8');
      buf.writeUInt32BE(n, pos + 1);
      return pos + 5 + n;
    }
    case 'boolean': buf[pos] = 0x74; buf[pos + 1] = v ? 1 : 0; return pos + 2;
    case 'number': return writeNum(buf, pos, v, numTag(v, hint));
    case 'bigint': buf[pos] = 0x6c; buf.writeBigInt64BE(v, pos + 1); return pos + 9;
  }
  if (Buffer.isBuffer(v)) { buf[pos] = 0x78; buf.writeUInt32BE(v.length, pos + 1); v.copy(buf, pos + 5); return pos + 5 + v.length; }
  if (v instanceof Typed) {
    buf[pos] = v.type.charCodeAt(0);
    if (v.type === 'f') { buf.writeFloatBE(v.value as number, pos + 1); return pos + 5; }
    if (v.type === 'D') { const d = v.value as { scale: number; value: number }; buf[pos + 1] = d.scale; buf.writeUInt32BE(d.value >>> 0, pos + 2); return pos + 6; }
    if (v.type === 'T') { buf.writeBigUInt64BE(BigInt(v.value as number), pos + 1); return pos + 9; }
    buf.writeBigInt64BE(BigInt(v.value as number), pos + 1); return pos + 9;
  }
  if (Array.isArray(v)) {
    buf[pos] = 0x41;
    const tags = tagsOf(v);
    let p = pos + 5;
    for (let i = 0; i < v.length; i++) p = writeValue(buf, p, v[i]!, tags?.get(i));
    buf.writeUInt32BE(p - pos - 5, pos + 1);
    return p;
  }
  buf[pos] = 0x46;
  const p = writeTable(buf, pos + 5, v as FieldTable);
  buf.writeUInt32BE(p - pos - 5, pos + 1);
  return p;
}

/** Writes the table's entries (no length prefix) at pos; returns the end. The caller sized buf by tableSize. */
export function writeTable(buf: Buffer, pos: number, t: FieldTable): number {
  const tags = tagsOf(t);
  for (const k in t) {
    const v = t[k];
    if (v === undefined) continue;
    const n = buf.write(k, pos + 1, 'utf8');
    buf[pos] = n;
    pos = writeValue(buf, pos + 1 + n, v, tags?.get(k));
  }
  return pos;
}

/** A table as bytes with its 4-byte length prefix. */
export function encodeTable(t: FieldTable): Buffer {
  const n = tableSize(t);
  const b = Buffer.allocUnsafe(4 + n);
  b.writeUInt32BE(n, 0);
  writeTable(b, 4, t);
  return b;
}
