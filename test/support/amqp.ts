// Test support: small helpers shared by the integration tests (names, waiting for server-side closes).
import { randomBytes } from 'node:crypto';
import type { Channel, ConfirmChannel, ChannelModel } from 'amqplib';

/** A name no other test (or earlier run against a shared RabbitMQ) uses. */
export function uniq(prefix = 't'): string {
  return `${prefix}.${randomBytes(5).toString('hex')}`;
}

/** The error amqplib reports when the server closes a channel or connection. */
export interface ServerClose extends Error {
  code?: number;
  classId?: number;
  methodId?: number;
}

/** Resolves with the error the server closed the channel (or its connection) with. */
export function channelClosed(ch: Channel | ConfirmChannel): Promise<ServerClose> {
  return new Promise((resolve) => {
    ch.once('error', (e: ServerClose) => resolve(e));
  });
}

/** Resolves with the error the server closed the connection with. */
export function connectionClosed(conn: ChannelModel): Promise<ServerClose> {
  return new Promise((resolve) => {
    conn.once('error', (e: ServerClose) => resolve(e));
  });
}

/**
 * Runs an operation expected to make the server close the channel; returns the close error
 * (reply code in .code, class and method id in .classId/.methodId).
 */
export async function expectChannelError(ch: Channel | ConfirmChannel, op: () => unknown): Promise<ServerClose> {
  const closed = channelClosed(ch);
  try { await op(); } catch { /* the operation's own promise rejects too */ }
  return closed;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value or the timeout passes. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 3000, stepMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(stepMs);
  }
}

// --- Raw protocol access (for methods amqplib's API does not expose: channel.flow, basic.recover
// requeue=false, basic.qos prefetch_size, publish immediate=true, tx.*, and connection.close details).

/** A method id the way amqplib numbers methods internally: class id << 16 | method id. */
export const amqpMethod = (classId: number, methodId: number): number => (classId << 16) | methodId;

/** The fields of a channel.close or connection.close the server sent. */
export interface CloseFields { replyCode: number; replyText: string; classId: number; methodId: number }

/**
 * Resolves with the fields of the connection.close the server sends on this connection (amqplib's
 * own connection error carries only the reply code). Install it before triggering the close.
 */
export function connectionCloseFrame(conn: ChannelModel): Promise<CloseFields> {
  return new Promise((resolve) => {
    const ch0 = (conn as any).connection.channels[0].channel;
    const accept = ch0.accept;
    ch0.accept = (f: any) => {
      if (f && f.id === amqpMethod(10, 50)) resolve({ ...f.fields });
      return accept(f);
    };
  });
}

/** Sends an arbitrary synchronous method on an amqplib channel and resolves with the reply's fields. */
export function rawRpc(ch: Channel | ConfirmChannel, method: [number, number], fields: Record<string, unknown>,
  reply: [number, number]): Promise<any> {
  return (ch as any).rpc(amqpMethod(...method), fields, amqpMethod(...reply));
}

/** Sends an arbitrary asynchronous method (no reply expected) on an amqplib channel. */
export function rawSend(ch: Channel | ConfirmChannel, method: [number, number], fields: Record<string, unknown>): void {
  (ch as any).sendImmediately(amqpMethod(...method), fields);
}

/**
 * basic.publish with every method field and property under the caller's control (amqplib's
 * publish() forces immediate=false and cluster_id unset).
 */
export function rawPublish(ch: Channel | ConfirmChannel,
  method: { exchange: string; routingKey: string; mandatory?: boolean; immediate?: boolean },
  properties: Record<string, unknown>, body: Buffer): boolean {
  return (ch as any).sendMessage({ mandatory: false, immediate: false, ...method }, properties, body);
}

/** A field-table value with its wire type tag kept: [tag, value] (tables and arrays recursively). */
export type TaggedValue = [string, unknown];

function decodeTagged(buf: Buffer, off: number): [TaggedValue, number] {
  const tag = String.fromCharCode(buf[off++]);
  switch (tag) {
    case 't': return [[tag, buf[off] !== 0], off + 1];
    case 'b': return [[tag, buf.readInt8(off)], off + 1];
    case 'B': return [[tag, buf.readUInt8(off)], off + 1];
    case 's': return [[tag, buf.readInt16BE(off)], off + 2];
    case 'u': return [[tag, buf.readUInt16BE(off)], off + 2];
    case 'I': return [[tag, buf.readInt32BE(off)], off + 4];
    case 'i': return [[tag, buf.readUInt32BE(off)], off + 4];
    case 'l': return [[tag, Number(buf.readBigInt64BE(off))], off + 8];
    case 'T': return [[tag, Number(buf.readBigUInt64BE(off))], off + 8];
    case 'f': return [[tag, buf.readFloatBE(off)], off + 4];
    case 'd': return [[tag, buf.readDoubleBE(off)], off + 8];
    case 'D': return [[tag, [buf[off], buf.readUInt32BE(off + 1)]], off + 5];
    case 'V': return [[tag, null], off];
    case 'S': case 'x': {
      const len = buf.readUInt32BE(off);
      const b = buf.subarray(off + 4, off + 4 + len);
      return [[tag, tag === 'S' ? b.toString('utf8') : b.toString('hex')], off + 4 + len];
    }
    case 'F': {
      const len = buf.readUInt32BE(off);
      return [[tag, decodeTaggedTable(buf.subarray(off + 4, off + 4 + len))], off + 4 + len];
    }
    case 'A': {
      const len = buf.readUInt32BE(off);
      const end = off + 4 + len;
      const items: TaggedValue[] = [];
      let p = off + 4;
      while (p < end) { const [v, next] = decodeTagged(buf, p); items.push(v); p = next; }
      return [[tag, items], end];
    }
    default: throw new Error(`unknown field type tag ${JSON.stringify(tag)}`);
  }
}

/** Decodes a field table (without its length prefix), keeping every value's wire type tag. */
export function decodeTaggedTable(buf: Buffer): Record<string, TaggedValue> {
  const out: Record<string, TaggedValue> = {};
  let p = 0;
  while (p < buf.length) {
    const klen = buf[p];
    const key = buf.toString('utf8', p + 1, p + 1 + klen);
    const [v, next] = decodeTagged(buf, p + 1 + klen);
    out[key] = v;
    p = next;
  }
  return out;
}

/**
 * Taps a connection's incoming bytes and records the headers table of every basic content header
 * frame received (deliveries, get-oks and returns, in arrival order) with wire type tags kept, so a
 * test can tell e.g. a float ('f') from a double ('d'), which amqplib decodes alike. Messages
 * without headers record undefined.
 */
export function tapHeaderTables(conn: ChannelModel): Array<Record<string, TaggedValue> | undefined> {
  const seen: Array<Record<string, TaggedValue> | undefined> = [];
  const stream = (conn as any).connection.stream;
  const read = stream.read.bind(stream);
  let pending = Buffer.alloc(0);
  stream.read = (...args: unknown[]) => {
    const chunk = read(...args);
    if (chunk) {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 7) {
        const size = pending.readUInt32BE(3);
        if (pending.length < size + 8) break;
        const payload = pending.subarray(7, 7 + size);
        if (pending[0] === 2 && payload.readUInt16BE(0) === 60) {
          const flags = payload.readUInt16BE(12);
          let p = 14;
          if (flags & 0x8000) p += 1 + payload[p]; // content-type
          if (flags & 0x4000) p += 1 + payload[p]; // content-encoding
          seen.push(flags & 0x2000 ? decodeTaggedTable(payload.subarray(p + 4, p + 4 + payload.readUInt32BE(p))) : undefined);
        }
        pending = pending.subarray(size + 8);
      }
    }
    return chunk;
  };
  return seen;
}

// --- A bare AMQP socket, for handshake-level tests no client library lets us drive (protocol
// header, connection.start/tune contents, tune-ok values, close frames during the handshake).

/** The AMQP 0-9-1 protocol header. */
export const AMQP_HEADER = Buffer.from([65, 77, 81, 80, 0, 0, 9, 1]);

/** One frame as read off the wire (payload without the frame-end octet). */
export interface WireFrame { type: number; channel: number; payload: Buffer }
/** A method frame split into class id, method id and encoded arguments. */
export interface WireMethod { channel: number; classId: number; methodId: number; args: Buffer }

/** Encoders for method arguments. */
export const wireEnc = {
  u8: (n: number) => Buffer.from([n & 0xff]),
  u16: (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; },
  u32: (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; },
  shortstr: (s: string) => { const v = Buffer.from(s, 'utf8'); return Buffer.concat([Buffer.from([v.length]), v]); },
  longstr: (s: string | Buffer) => { const v = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'); const l = Buffer.alloc(4); l.writeUInt32BE(v.length); return Buffer.concat([l, v]); },
  /** An empty field table. */
  table0: () => Buffer.alloc(4),
  /** A field table of strings (S), booleans (t), integers (I) and nested tables (F). */
  table: (t: Record<string, unknown>): Buffer => {
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries(t)) {
      parts.push(wireEnc.shortstr(k));
      if (typeof v === 'string') parts.push(Buffer.from('S'), wireEnc.longstr(v));
      else if (typeof v === 'boolean') parts.push(Buffer.from('t'), Buffer.from([v ? 1 : 0]));
      else if (typeof v === 'number') { const b = Buffer.alloc(5); b.write('I'); b.writeInt32BE(v, 1); parts.push(b); }
      else parts.push(Buffer.from('F'), wireEnc.table(v as Record<string, unknown>));
    }
    const body = Buffer.concat(parts);
    return Buffer.concat([wireEnc.u32(body.length), body]);
  },
  /** Packs booleans into one octet, first argument in the lowest bit. */
  bits: (...flags: boolean[]) => Buffer.from([flags.reduce((acc, f, i) => acc | (f ? 1 << i : 0), 0)]),
};

/** A raw TCP connection to the broker speaking AMQP frames by hand. */
export class WireSocket {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  /** True once the server closed (or reset) the socket. */
  ended = false;
  /** Resolves when the socket is closed by either side. */
  readonly closed: Promise<void>;
  private constructor(private readonly sock: import('node:net').Socket) {
    sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake?.(); });
    this.closed = new Promise((resolve) => sock.on('close', () => { this.ended = true; this.wake?.(); resolve(); }));
    sock.on('error', () => { /* a reset shows up as 'close' */ });
  }
  /** Opens a TCP connection and (unless header is null) sends the protocol header. */
  static async open(host: string, port: number, header: Buffer | null = AMQP_HEADER): Promise<WireSocket> {
    const net = await import('node:net');
    const sock = net.connect(port, host);
    sock.setNoDelay(true);
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    const w = new WireSocket(sock);
    if (header) sock.write(header);
    return w;
  }
  /** Wraps a socket already connected (a TLS one, say) and sends the protocol header unless it is null. */
  static wrap(sock: import('node:net').Socket, header: Buffer | null = AMQP_HEADER): WireSocket {
    const w = new WireSocket(sock);
    if (header) sock.write(header);
    return w;
  }
  write(b: Buffer): void { this.sock.write(b); }
  destroy(): void { this.sock.destroy(); }
  /** Bytes received and not yet consumed. */
  get buffered(): Buffer { return this.buf; }
  /** Waits for n bytes (or the socket end: then returns fewer). */
  async readBytes(n: number, timeoutMs = 3000): Promise<Buffer> {
    const end = Date.now() + timeoutMs;
    while (this.buf.length < n && !this.ended) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.buf.length})`);
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, left); this.wake = () => { clearTimeout(t); resolve(); }; });
      this.wake = undefined;
    }
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }
  /** Reads one frame; rejects if the socket ends first. */
  async readFrame(timeoutMs = 3000): Promise<WireFrame> {
    const head = await this.readBytes(7, timeoutMs);
    if (head.length < 7) throw new Error('socket closed before a frame arrived');
    const size = head.readUInt32BE(3);
    const rest = await this.readBytes(size + 1, timeoutMs);
    if (rest.length < size + 1) throw new Error('socket closed inside a frame');
    if (rest[size] !== 0xce) throw new Error(`bad frame end ${rest[size]}`);
    return { type: head[0], channel: head.readUInt16BE(1), payload: rest.subarray(0, size) };
  }
  /** Reads the next method frame, skipping heartbeats. */
  async readMethod(timeoutMs = 3000): Promise<WireMethod> {
    for (;;) {
      const f = await this.readFrame(timeoutMs);
      if (f.type === 8) continue;
      if (f.type !== 1) throw new Error(`expected a method frame, got type ${f.type}`);
      return { channel: f.channel, classId: f.payload.readUInt16BE(0), methodId: f.payload.readUInt16BE(2), args: f.payload.subarray(4) };
    }
  }
  /** Sends a method frame. */
  sendMethod(channel: number, classId: number, methodId: number, ...args: Buffer[]): void {
    const payload = Buffer.concat([wireEnc.u16(classId), wireEnc.u16(methodId), ...args]);
    const head = Buffer.alloc(7);
    head[0] = 1; head.writeUInt16BE(channel, 1); head.writeUInt32BE(payload.length, 3);
    this.sock.write(Buffer.concat([head, payload, Buffer.from([0xce])]));
  }
}

/** connection.start's arguments. */
export interface WireStart {
  versionMajor: number; versionMinor: number;
  serverProperties: Record<string, TaggedValue>; mechanisms: string; locales: string;
}
export function decodeStart(args: Buffer): WireStart {
  let p = 2;
  const tlen = args.readUInt32BE(p);
  const serverProperties = decodeTaggedTable(args.subarray(p + 4, p + 4 + tlen));
  p += 4 + tlen;
  const mlen = args.readUInt32BE(p);
  const mechanisms = args.toString('utf8', p + 4, p + 4 + mlen);
  p += 4 + mlen;
  const llen = args.readUInt32BE(p);
  return { versionMajor: args[0], versionMinor: args[1], serverProperties, mechanisms, locales: args.toString('utf8', p + 4, p + 4 + llen) };
}
/** connection.tune's (or tune-ok's) arguments. */
export interface WireTune { channelMax: number; frameMax: number; heartbeat: number }
export function decodeTune(args: Buffer): WireTune {
  return { channelMax: args.readUInt16BE(0), frameMax: args.readUInt32BE(2), heartbeat: args.readUInt16BE(6) };
}
/** connection.close's or channel.close's arguments. */
export function decodeClose(args: Buffer): CloseFields {
  const tlen = args[2];
  return {
    replyCode: args.readUInt16BE(0), replyText: args.toString('utf8', 3, 3 + tlen),
    classId: args.readUInt16BE(3 + tlen), methodId: args.readUInt16BE(5 + tlen),
  };
}

export interface WireHandshakeOptions {
  user?: string; password?: string; vhost?: string;
  /** start-ok's client-properties (default: an empty table). */
  clientProperties?: Record<string, unknown>;
  /** Values for tune-ok; each defaults to the server's proposal. */
  tune?: Partial<WireTune>;
}
/**
 * Runs the handshake up to connection.open on a fresh WireSocket. Returns the server's start and
 * tune, and the method that answered connection.open (open-ok 10/41, or a close 10/50). If the server
 * answers start-ok with a close (failed login), tune is undefined and reply is that close.
 */
export async function wireHandshake(w: WireSocket, opts: WireHandshakeOptions = {}):
  Promise<{ start: WireStart; tune?: WireTune; reply: WireMethod }> {
  const s = await w.readMethod();
  if (s.classId !== 10 || s.methodId !== 10) throw new Error(`expected connection.start, got ${s.classId}/${s.methodId}`);
  const start = decodeStart(s.args);
  const response = Buffer.from(`\u0000${opts.user ?? 'guest'}\u0000${opts.password ?? 'guest'}`, 'utf8');
  w.sendMethod(0, 10, 11, wireEnc.table(opts.clientProperties ?? {}), wireEnc.shortstr('PLAIN'), wireEnc.longstr(response), wireEnc.shortstr('en_US'));
  const t = await w.readMethod();
  if (t.classId === 10 && t.methodId === 50) return { start, reply: t };
  if (t.classId !== 10 || t.methodId !== 30) throw new Error(`expected connection.tune, got ${t.classId}/${t.methodId}`);
  const tune = decodeTune(t.args);
  const ok = { ...tune, ...opts.tune };
  w.sendMethod(0, 10, 31, wireEnc.u16(ok.channelMax), wireEnc.u32(ok.frameMax), wireEnc.u16(ok.heartbeat));
  w.sendMethod(0, 10, 40, wireEnc.shortstr(opts.vhost ?? '/'), wireEnc.shortstr(''), wireEnc.u8(0));
  return { start, tune, reply: await w.readMethod() };
}
