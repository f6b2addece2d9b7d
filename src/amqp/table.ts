// AMQP field tables with RabbitMQ's type tags (its 0-9-1 errata, not the spec PDF):
// t bool, b int8, B uint8, s int16, u uint16, I int32, i uint32, l int64, f float32, d float64,
// D decimal, S longstr, A array, T timestamp, F table, V void, x byte array.
// Decoded values are plain JS values; the few types JS cannot tell apart on the way back (decimal, timestamp,
// float32, byte-exact integer widths) decode to `Typed` so that re-encoding gives the same bytes.
import { DecodeError } from './errors.js';

export class Typed {
  constructor(readonly type: string, readonly value: number | bigint | { scale: number; value: number }) {}
  toJSON(): unknown { return this.type === 'D' ? this.value : Number(this.value as number); }
}

export type FieldValue =
  | string | number | bigint | boolean | null | Buffer | Typed | FieldValue[] | FieldTable;
export interface FieldTable { [key: string]: FieldValue }

function need(pos: number, n: number, end: number): void {
  if (pos + n > end) throw new DecodeError('field table truncated');
}

export function readTable(buf: Buffer, pos: number, end: number): FieldTable {
  const t: FieldTable = {};
  while (pos < end) {
    need(pos, 1, end);
    const klen = buf[pos]!;
    need(pos + 1, klen, end);
    const key = buf.toString('utf8', pos + 1, pos + 1 + klen);
    pos += 1 + klen;
    const r = readValue(buf, pos, end);
    t[key] = r.v;
    pos = r.pos;
  }
  return t;
}

const out = { v: null as FieldValue, pos: 0 };

function readValue(buf: Buffer, pos: number, end: number): { v: FieldValue; pos: number } {
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
      while (pos < aend) { const r = readValue(buf, pos, aend); arr.push(r.v); pos = r.pos; }
      v = arr; break;
    }
    case 0x54: { // T
      need(pos, 8, end); v = new Typed('T', Number(buf.readBigUInt64BE(pos))); pos += 8; break;
    }
    case 0x46: { // F
      need(pos, 4, end); const n = buf.readUInt32BE(pos); pos += 4; need(pos, n, end);
      v = readTable(buf, pos, pos + n); pos += n; break;
    }
    case 0x56: v = null; break; // V
    default: throw new DecodeError(`unknown field table type '${String.fromCharCode(tag)}'`);
  }
  out.v = v; out.pos = pos;
  return out;
}

// ---- encoding ----

function valueSize(v: FieldValue): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'string': return 5 + Buffer.byteLength(v);
    case 'boolean': return 2;
    case 'number': return Number.isInteger(v) ? (v >= -0x8000_0000 && v <= 0x7fff_ffff ? 5 : 9) : 9;
    case 'bigint': return 9;
  }
  if (Buffer.isBuffer(v)) return 5 + v.length;
  if (v instanceof Typed) return v.type === 'f' ? 5 : v.type === 'D' ? 6 : 9;
  if (Array.isArray(v)) { let n = 5; for (const x of v) n += valueSize(x); return n; }
  return 5 + tableSize(v as FieldTable);
}

export function tableSize(t: FieldTable): number {
  let n = 0;
  for (const k in t) {
    const v = t[k];
    if (v === undefined) continue;
    n += 1 + Buffer.byteLength(k) + valueSize(v);
  }
  return n;
}

function writeValue(buf: Buffer, pos: number, v: FieldValue): number {
  if (v === null || v === undefined) { buf[pos] = 0x56; return pos + 1; }
  switch (typeof v) {
    case 'string': {
      buf[pos] = 0x53;
      const n = buf.write(v, pos + 5, 'utf8');
      buf.writeUInt32BE(n, pos + 1);
      return pos + 5 + n;
    }
    case 'boolean': buf[pos] = 0x74; buf[pos + 1] = v ? 1 : 0; return pos + 2;
    case 'number':
      if (Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff) { buf[pos] = 0x49; buf.writeInt32BE(v, pos + 1); return pos + 5; }
      if (Number.isInteger(v)) { buf[pos] = 0x6c; buf.writeBigInt64BE(BigInt(v), pos + 1); return pos + 9; }
      buf[pos] = 0x64; buf.writeDoubleBE(v, pos + 1); return pos + 9;
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
    let p = pos + 5;
    for (const x of v) p = writeValue(buf, p, x);
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
  for (const k in t) {
    const v = t[k];
    if (v === undefined) continue;
    const n = buf.write(k, pos + 1, 'utf8');
    buf[pos] = n;
    pos = writeValue(buf, pos + 1 + n, v);
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
