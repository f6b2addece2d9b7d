// WAL record formats. Every record starts with a type byte:
//   1 META   JSON of a metadata Command (field tables as base64 AMQP tables, so wire types survive)
//   2 PUB    u64 id | u16 nq | nq x (str16 vhost, str16 queue) | str8 exchange | str8 routing key |
//            u32 props length | props (raw content-header bytes) | body (the rest of the record)
//   3 ACK    str16 vhost | str16 queue | u32 n | n x u64 id        (messages gone from one queue)
//   4 PURGE  str16 vhost | str16 queue                              (everything published to it before)
import { encodeTable, readTable, type FieldTable } from '../amqp/table.js';
import type { Command } from '../broker/metadata.js';

export const RecordType = { Meta: 1, Pub: 2, Ack: 3, Purge: 4 } as const;

export function encodeMeta(cmd: Command): Buffer {
  const json = JSON.stringify(cmd, (k, v: unknown) => (k === 'args' ? { $table: encodeTable(v as FieldTable).toString('base64') } : v));
  return Buffer.concat([Buffer.from([RecordType.Meta]), Buffer.from(json, 'utf8')]);
}

export function decodeMeta(payload: Buffer): Command {
  return JSON.parse(payload.toString('utf8', 1), (_k, v: unknown) => {
    if (v && typeof v === 'object' && '$table' in v) {
      const b = Buffer.from((v as { $table: string }).$table, 'base64');
      return readTable(b, 4, b.length);
    }
    return v;
  }) as Command;
}

/** Serialises table-bearing state for snapshots the same way as commands. */
export const tableReplacer = (k: string, v: unknown) => (k === 'args' ? { $table: encodeTable(v as FieldTable).toString('base64') } : v);
export const tableReviver = (_k: string, v: unknown) => {
  if (v && typeof v === 'object' && '$table' in v) {
    const b = Buffer.from((v as { $table: string }).$table, 'base64');
    return readTable(b, 4, b.length);
  }
  return v;
};

export interface QueueRef { vhost: string; name: string }

/** Encoded names repeat on every record (queues, vhosts, exchanges): keep them, within a bound. */
const encoded16 = new Map<string, Buffer>(), encoded8 = new Map<string, Buffer>();
function cached(m: Map<string, Buffer>, s: string, make: (s: string) => Buffer): Buffer {
  let b = m.get(s);
  if (!b) {
    if (m.size >= 4096) m.clear();
    b = make(s);
    m.set(s, b);
  }
  return b;
}

function str16(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

function str8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([Math.min(255, b.length)]), b.subarray(0, 255)]);
}

/** The PUB record as parts: everything before the body, then the body itself (not copied). */
export function encodePub(id: number, queues: QueueRef[], exchange: string, routingKey: string, props: Buffer, body: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(11);
  head[0] = RecordType.Pub;
  head.writeUInt32BE(Math.floor(id / 0x1_0000_0000), 1);
  head.writeUInt32BE(id >>> 0, 5);
  head.writeUInt16BE(queues.length, 9);
  const parts: Buffer[] = [head];
  for (const q of queues) parts.push(cached(encoded16, q.vhost, str16), cached(encoded16, q.name, str16));
  const plen = Buffer.allocUnsafe(4);
  plen.writeUInt32BE(props.length, 0);
  parts.push(cached(encoded8, exchange, str8), str8(routingKey), plen, props, body);
  return parts;
}

export interface PubRecord { id: number; queues: QueueRef[]; exchange: string; routingKey: string; props: Buffer; body: Buffer }

class Cursor {
  constructor(readonly b: Buffer, public p: number) {}
  u8(): number { return this.b[this.p++]!; }
  u16(): number { const v = this.b.readUInt16BE(this.p); this.p += 2; return v; }
  u32(): number { const v = this.b.readUInt32BE(this.p); this.p += 4; return v; }
  u64(): number { const v = this.b.readUInt32BE(this.p) * 0x1_0000_0000 + this.b.readUInt32BE(this.p + 4); this.p += 8; return v; }
  str(n: number): string { const s = this.b.toString('utf8', this.p, this.p + n); this.p += n; return s; }
  str16(): string { return this.str(this.u16()); }
  str8(): string { return this.str(this.u8()); }
  bytes(n: number): Buffer { const s = this.b.subarray(this.p, this.p + n); this.p += n; return s; }
}

export function decodePub(payload: Buffer): PubRecord {
  const c = new Cursor(payload, 1);
  const id = c.u64();
  const nq = c.u16();
  const queues: QueueRef[] = [];
  for (let i = 0; i < nq; i++) queues.push({ vhost: c.str16(), name: c.str16() });
  const exchange = c.str8(), routingKey = c.str8();
  const props = c.bytes(c.u32());
  return { id, queues, exchange, routingKey, props, body: payload.subarray(c.p) };
}

export function encodeAck(q: QueueRef, ids: number[]): Buffer[] {
  const head = Buffer.allocUnsafe(1);
  head[0] = RecordType.Ack;
  const body = Buffer.allocUnsafe(4 + ids.length * 8);
  body.writeUInt32BE(ids.length, 0);
  ids.forEach((id, i) => { body.writeUInt32BE(Math.floor(id / 0x1_0000_0000), 4 + i * 8); body.writeUInt32BE(id >>> 0, 8 + i * 8); });
  return [head, str16(q.vhost), str16(q.name), body];
}

export function decodeAck(payload: Buffer): { queue: QueueRef; ids: number[] } {
  const c = new Cursor(payload, 1);
  const queue = { vhost: c.str16(), name: c.str16() };
  const n = c.u32();
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(c.u64());
  return { queue, ids };
}

export function encodePurge(q: QueueRef): Buffer[] {
  return [Buffer.from([RecordType.Purge]), str16(q.vhost), str16(q.name)];
}

export function decodePurge(payload: Buffer): QueueRef {
  const c = new Cursor(payload, 1);
  return { vhost: c.str16(), name: c.str16() };
}
