// How RabbitMQ (Erlang) sees decoded field values: `==` equality as the headers exchange uses it, and ~p
// rendering for error texts. Erlang keeps only values at a table's top level ({Key, Type, Value} with Value
// compared), so types count only inside arrays and nested tables, where they are part of the compared term.
import { Typed, type FieldTable, type FieldValue } from '../../amqp/table.js';

function isTable(v: FieldValue): v is FieldTable {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Typed);
}

/** The numeric value Erlang holds for integer, float and timestamp fields (not decimal, which is a tuple). */
function numOf(v: FieldValue): number | bigint | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof Typed && v.type !== 'D') return v.value as number | bigint;
  return undefined;
}

function bytesOf(v: string | Buffer): Buffer { return typeof v === 'string' ? Buffer.from(v, 'utf8') : v; }

function decimalEq(a: Typed, b: FieldValue): boolean {
  if (!(b instanceof Typed) || b.type !== 'D') return false;
  const x = a.value as { scale: number; value: number }, y = b.value as { scale: number; value: number };
  return x.scale === y.scale && x.value === y.value;
}

/**
 * Erlang `PV == DV` on two top-level values: integers, floats and timestamps compare numerically whatever
 * their widths (1 == 1.0), longstr and byte array are both binaries, booleans and void are atoms.
 */
export function valueEquals(p: FieldValue, d: FieldValue): boolean {
  const pn = numOf(p);
  if (pn !== undefined) { const dn = numOf(d); return dn !== undefined && pn == dn; } // number/bigint loosely
  if (typeof p === 'string') return typeof d === 'string' ? p === d : Buffer.isBuffer(d) && bytesOf(p).equals(d);
  if (Buffer.isBuffer(p)) return (typeof d === 'string' || Buffer.isBuffer(d)) && p.equals(bytesOf(d));
  if (typeof p === 'boolean' || p === null) return p === d;
  if (p instanceof Typed) return decimalEq(p, d);
  if (Array.isArray(p)) return Array.isArray(d) && arrayEquals(p, d);
  return isTable(p) && isTable(d) && tableEquals(p, d);
}

/**
 * The Erlang type a value carries inside an array or nested table. JS decoding cannot tell the integer widths
 * (or an integral double) apart, so those share one class and compare by value.
 */
function typeClass(v: FieldValue): string {
  if (v === null) return 'void';
  switch (typeof v) {
    case 'string': return 'longstr';
    case 'boolean': return 'bool';
    case 'number': case 'bigint': return 'num';
  }
  if (Buffer.isBuffer(v)) return 'binary';
  if (v instanceof Typed) return v.type === 'f' ? 'float' : v.type === 'T' ? 'timestamp' : v.type === 'D' ? 'decimal' : 'num';
  return Array.isArray(v) ? 'array' : 'table';
}

/** Erlang `==` on {Type, Value} pairs: the types must agree too. */
function typedEquals(p: FieldValue, d: FieldValue): boolean {
  const t = typeClass(p);
  if (t !== typeClass(d)) return false;
  if (t === 'longstr' || t === 'binary') return typeof p === 'string' ? p === d : (p as Buffer).equals(d as Buffer);
  return valueEquals(p, d);
}

function arrayEquals(p: FieldValue[], d: FieldValue[]): boolean {
  if (p.length !== d.length) return false;
  for (let i = 0; i < p.length; i++) if (!typedEquals(p[i]!, d[i]!)) return false;
  return true;
}

/** Nested tables are Erlang lists of {Key, Type, Value} in wire order, so order matters. */
function tableEquals(p: FieldTable, d: FieldTable): boolean {
  const pk = Object.keys(p).filter((k) => p[k] !== undefined);
  const dk = Object.keys(d).filter((k) => d[k] !== undefined);
  if (pk.length !== dk.length) return false;
  for (let i = 0; i < pk.length; i++) {
    if (pk[i] !== dk[i] || !typedEquals(p[pk[i]!]!, d[dk[i]!]!)) return false;
  }
  return true;
}

// ---- ~p rendering ----

const TYPED_NAMES: Record<string, string> = {
  b: 'byte', B: 'unsignedbyte', s: 'short', u: 'unsignedshort', I: 'signedint', i: 'unsignedint', l: 'long',
  f: 'float', d: 'double', D: 'decimal', T: 'timestamp',
};

/** The type atom rabbit_binary_parser would give this value (JS numbers: as our encoder would send them). */
export function erlType(v: FieldValue): string {
  if (v === null) return 'void';
  switch (typeof v) {
    case 'string': return 'longstr';
    case 'boolean': return 'bool';
    case 'bigint': return 'long';
    case 'number':
      return !Number.isInteger(v) ? 'double' : v >= -0x8000_0000 && v <= 0x7fff_ffff ? 'signedint' : 'long';
  }
  if (Buffer.isBuffer(v)) return 'binary';
  if (v instanceof Typed) return TYPED_NAMES[v.type] ?? 'long';
  return Array.isArray(v) ? 'array' : 'table';
}

const ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e' };

/** ~p of a binary: a quoted string when every byte is printable latin-1, else the byte list. */
export function erlBinary(b: Buffer): string {
  if (b.length === 0) return '<<>>';
  const printable = b.every((c) => (c >= 32 && c <= 126) || c >= 160 || ESCAPES[c] !== undefined);
  if (!printable) return `<<${Array.from(b).join(',')}>>`;
  const parts: number[] = [];
  for (const c of b) {
    const e = c === 0x22 ? '\\"' : c === 0x5c ? '\\\\' : ESCAPES[c];
    if (e === undefined) parts.push(c); else for (let i = 0; i < e.length; i++) parts.push(e.charCodeAt(i));
  }
  // RabbitMQ sends the formatted latin-1 characters as bytes, so UTF-8 input reads back as itself.
  return `<<"${Buffer.from(parts).toString('utf8')}">>`;
}

function erlFloat(x: number): string {
  const s = String(x);
  if (s.includes('e')) {
    const [m, e] = s.split('e') as [string, string];
    return `${m.includes('.') ? m : m + '.0'}e${e.replace('+', '')}`;
  }
  return s.includes('.') ? s : s + '.0';
}

/** ~p of the Erlang term RabbitMQ holds for this value. */
export function erlTerm(v: FieldValue): string {
  if (v === null) return 'undefined';
  switch (typeof v) {
    case 'string': return erlBinary(Buffer.from(v, 'utf8'));
    case 'boolean': case 'bigint': return String(v);
    case 'number': return Number.isInteger(v) ? String(v) : erlFloat(v);
  }
  if (Buffer.isBuffer(v)) return erlBinary(v);
  if (v instanceof Typed) {
    if (v.type === 'D') { const d = v.value as { scale: number; value: number }; return `{${d.scale},${d.value}}`; }
    return v.type === 'f' || v.type === 'd' ? erlFloat(v.value as number) : String(v.value);
  }
  if (Array.isArray(v)) return `[${v.map((x) => `{${erlType(x)},${erlTerm(x)}}`).join(',')}]`;
  const entries = Object.keys(v).filter((k) => v[k] !== undefined);
  return `[${entries.map((k) => `{${erlBinary(Buffer.from(k))},${erlType(v[k]!)},${erlTerm(v[k]!)}}`).join(',')}]`;
}
