// How warrenctl prints rows: rabbitmqctl 3.10's table (tab-separated, header line), json (one object per line
// between "[" and "]") and csv formatters, and each Cell the way rabbitmqctl prints the Erlang term behind it.
import type { Cell, Row, TypedField, TypedValue } from '../../control/protocol.js';

/** A string as Erlang's ~p prints a binary's text inside quotes. */
const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Erlang prints integral floats with ".0". */
function erlNumber(v: number, type: string): string {
  return (type === 'double' || type === 'float') && Number.isInteger(v) ? `${v}.0` : String(v);
}

/** A typed table value as the table formatter prints it: strings quoted, nested tables as [{"k",v}]. */
function tableValue(type: string, v: TypedValue): string {
  switch (type) {
    case 'longstr': case 'binary': return quote(String(v));
    case 'void': return 'undefined';
    case 'table': return tableText(v as TypedField[]);
    case 'array': return `[${(v as [string, TypedValue][]).map(([t, x]) => tableValue(t, x)).join(',')}]`;
    case 'decimal': { const [scale, value] = v as number[]; return `{${scale},${value}}`; }
    default: return typeof v === 'number' ? erlNumber(v, type) : String(v);
  }
}

function tableText(fields: TypedField[]): string {
  return `[${fields.map(([k, t, v]) => `{${quote(k)},${tableValue(t, v)}}`).join(',')}]`;
}

/** A cell in the table and csv formatters. */
export function cellText(c: Cell): string {
  if (c === null) return '';
  if (typeof c !== 'object') return String(c);
  switch (c.t) {
    case 'pid': case 'ip': return c.v;
    case 'table': return tableText(c.v);
    case 'atoms': return `[${c.v.join(', ')}]`;
    case 'tuple': return `{${c.v.join(',')}}`;
    case 'map': return `[${Object.entries(c.v).map(([k, v]) => `{${k}, ${v}}`).join(', ')}]`;
  }
}

/** JSON of a typed table value: [key, type, value] triples, as rabbitmqctl's JSON formatter shows tables. */
function jsonTyped(type: string, v: TypedValue): unknown {
  if (type === 'void') return 'undefined';
  if (type === 'table') return (v as TypedField[]).map(([k, t, x]) => [k, t, jsonTyped(t, x)]);
  // rabbitmqctl turns an array's [{type, value}] list into a JSON object, which loses repeated types; Warren
  // keeps the pairs as [type, value] lists instead.
  if (type === 'array') return (v as [string, TypedValue][]).map(([t, x]) => [t, jsonTyped(t, x)]);
  return v;
}

function ipList(a: string): number[] {
  if (a.includes('.')) {
    const v4 = a.slice(a.lastIndexOf(':') + 1).split('.').map(Number);
    return a.includes(':') ? [0, 0, 0, 0, 0, 0xffff, (v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!] : v4;
  }
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [], t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => parseInt(g, 16));
}

/** A cell in the JSON formatter. */
export function cellJson(c: Cell): unknown {
  if (c === null) return '';
  if (typeof c !== 'object') return c;
  switch (c.t) {
    // rabbitmqctl prints pids as "#PID<11017.1260.0>" in JSON, a form close_connection does not take back;
    // Warren prints the same <node.a.b.c> form as the table formatter.
    case 'pid': return c.v;
    case 'ip': return ipList(c.v);
    case 'table': return c.v.map(([k, t, v]) => [k, t, jsonTyped(t, v)]);
    case 'atoms': return c.v;
    case 'tuple': return c.v;
    case 'map': return c.v;
  }
}

export type Formatter = 'table' | 'json' | 'csv';
export const FORMATTERS: readonly string[] = ['table', 'json', 'csv'];

export interface ListStyle {
  /**
   * rabbitmqctl streams the object lists (queues, exchanges, bindings, connections, channels, consumers): an
   * empty one prints no header and "[\n]" in JSON. The other lists print an empty line and "[]".
   */
  streamed: boolean;
  headers: boolean;
}

const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;

export function formatRows(rows: Row[], columns: readonly string[], fmt: Formatter, style: ListStyle): string {
  if (fmt === 'json') {
    if (rows.length === 0) return style.streamed ? '[\n]\n' : '[]\n';
    const objs = rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, cellJson(r[c] ?? null)]))));
    return `[\n${objs.join('\n,')}\n]\n`;
  }
  if (fmt === 'csv') {
    // An empty csv list prints nothing (rabbitmqctl prints a few stray CR/LF for some lists).
    if (rows.length === 0) return '';
    const lines = rows.map((r) => columns.map((c) => csvField(cellText(r[c] ?? null))).join(','));
    return [columns.map(csvField).join(','), ...lines].map((l) => `${l}\n`).join('');
  }
  if (rows.length === 0) return style.streamed ? '' : '\n';
  const lines = rows.map((r) => columns.map((c) => cellText(r[c] ?? null)).join('\t'));
  if (style.headers) lines.unshift(columns.join('\t'));
  return lines.map((l) => `${l}\n`).join('');
}

/** JSON with object keys sorted, as rabbitmqctl's JSON encoder writes maps (definitions, status). */
export function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])]));
    }
    return x;
  };
  return JSON.stringify(sort(v));
}

export const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
