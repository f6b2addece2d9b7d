// Test and load-test support: a lean AMQP 0-9-1 client over a bare socket, for the backpressure, slow-client
// and load tests. Unlike WireSocket (test/support/amqp.ts) it parses frames as they stream in without
// re-concatenating its whole input, so it can take hundreds of MB, and it can stop reading (pause) on demand.
// Every frame goes to one callback; waitFor() awaits the next method frame matching a predicate.
import { connect, type Socket } from 'node:net';
import { AMQP_HEADER, decodeTune, wireEnc } from './amqp.js';

export interface RawFrame { type: number; channel: number; payload: Buffer }

export interface RawOptions {
  host: string;
  port: number;
  /** tune-ok's heartbeat in seconds (default 0: none). */
  heartbeat?: number;
  /** tune-ok's frame_max (default: the server's). */
  frameMax?: number;
  vhost?: string;
  /** The client-provided connection name (management API: user_provided_name). */
  name?: string;
}

/** Method ids as (class << 16 | method). */
export const RM = {
  ConnectionStart: 0x000a000a, ConnectionTune: 0x000a001e, ConnectionOpenOk: 0x000a0029, ConnectionClose: 0x000a0032,
  ConnectionCloseOk: 0x000a0033, ChannelOpenOk: 0x0014000b, ChannelCloseOk: 0x00140029,
  QueueDeclareOk: 0x0032000b, QueueBindOk: 0x00320015, BasicConsumeOk: 0x003c0015, BasicDeliver: 0x003c003c,
  BasicReturn: 0x003c0032, BasicAck: 0x003c0050, ConfirmSelectOk: 0x0055000b,
} as const;

const HEARTBEAT = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]);

export const methodId = (f: RawFrame): number => (f.type === 1 && f.payload.length >= 4 ? f.payload.readUInt32BE(0) : -1);

/** A whole frame as one buffer. */
export function rawFrame(type: number, channel: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(8 + payload.length);
  b[0] = type; b.writeUInt16BE(channel, 1); b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[7 + payload.length] = 0xce;
  return b;
}

export const rawMethod = (classId: number, id: number, ...args: Buffer[]): Buffer =>
  Buffer.concat([wireEnc.u16(classId), wireEnc.u16(id), ...args]);

/** The three frames of basic.publish with an empty property list. */
export function publishFrames(channel: number, exchange: string, routingKey: string, body: Buffer, mandatory = false): Buffer[] {
  const header = Buffer.alloc(14);
  header.writeUInt16BE(60, 0); header.writeBigUInt64BE(BigInt(body.length), 4); // weight 0, property flags 0
  const out = [
    rawFrame(1, channel, rawMethod(60, 40, wireEnc.u16(0), wireEnc.shortstr(exchange), wireEnc.shortstr(routingKey), wireEnc.u8(mandatory ? 1 : 0))),
    rawFrame(2, channel, header),
  ];
  if (body.length) out.push(rawFrame(3, channel, body));
  return out;
}

export class RawClient {
  /** Every complete frame, in order. Replace to observe; waitFor() chains in front of it. */
  onFrame: (f: RawFrame) => void = () => {};
  readonly closed: Promise<void>;
  ended = false;
  bytesIn = 0;
  private chunks: Buffer[] = [];
  private have = 0;
  private waiters: Array<{ pred: (f: RawFrame) => boolean; resolve: (f: RawFrame) => void; reject: (e: Error) => void }> = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => { /* seen as close */ });
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('socket closed'));
      resolve();
    }));
  }

  /** A TCP connection with nothing sent yet. */
  static async socket(host: string, port: number): Promise<RawClient> {
    const s = connect(port, host);
    await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
    return new RawClient(s);
  }

  /** Connects and runs the handshake up to connection.open-ok. */
  static async open(o: RawOptions): Promise<RawClient> {
    const c = await RawClient.socket(o.host, o.port);
    try {
      await c.handshake(o);
    } catch (e) { c.destroy(); throw e; }
    return c;
  }

  async handshake(o: RawOptions): Promise<void> {
    this.write(AMQP_HEADER);
    await this.waitFor((f) => methodId(f) === RM.ConnectionStart);
    const props = o.name ? wireEnc.table({ connection_name: o.name }) : wireEnc.table0();
    this.method(0, 10, 11, props, wireEnc.shortstr('PLAIN'), wireEnc.longstr('\u0000guest\u0000guest'), wireEnc.shortstr('en_US'));
    const t = decodeTune((await this.waitFor((f) => methodId(f) === RM.ConnectionTune)).payload.subarray(4));
    this.method(0, 10, 31, wireEnc.u16(t.channelMax), wireEnc.u32(o.frameMax ?? t.frameMax), wireEnc.u16(o.heartbeat ?? 0));
    this.method(0, 10, 40, wireEnc.shortstr(o.vhost ?? '/'), wireEnc.shortstr(''), wireEnc.u8(0));
    await this.expect(0, RM.ConnectionOpenOk);
  }

  write(b: Buffer): boolean { return this.socket.write(b); }

  method(channel: number, classId: number, id: number, ...args: Buffer[]): boolean {
    return this.write(rawFrame(1, channel, rawMethod(classId, id, ...args)));
  }

  /** Waits for the next method `id` on `channel`; a connection.close or channel.close instead is an error. */
  async expect(channel: number, id: number, timeoutMs = 10_000): Promise<RawFrame> {
    const f = await this.waitFor((x) => x.channel === channel && x.type === 1, timeoutMs);
    const got = methodId(f);
    if (got !== id) throw new Error(`expected method ${id.toString(16)} on channel ${channel}, got ${got.toString(16)}: ${f.payload.subarray(4).toString('latin1')}`);
    return f;
  }

  async openChannel(n: number): Promise<void> {
    this.method(n, 20, 10, wireEnc.shortstr(''));
    await this.expect(n, RM.ChannelOpenOk);
  }

  /** queue.declare (bits: durable 2, exclusive 4, auto-delete 8); returns the queue name. */
  async declareQueue(channel: number, name: string, bits = 0): Promise<string> {
    this.method(channel, 50, 10, wireEnc.u16(0), wireEnc.shortstr(name), wireEnc.u8(bits), wireEnc.table0());
    const f = await this.expect(channel, RM.QueueDeclareOk);
    return f.payload.toString('utf8', 5, 5 + f.payload[4]!);
  }

  async bindQueue(channel: number, queue: string, exchange: string, key: string): Promise<void> {
    this.method(channel, 50, 20, wireEnc.u16(0), wireEnc.shortstr(queue), wireEnc.shortstr(exchange), wireEnc.shortstr(key), wireEnc.u8(0), wireEnc.table0());
    await this.expect(channel, RM.QueueBindOk);
  }

  async consume(channel: number, queue: string, noAck: boolean, tag = 'c'): Promise<void> {
    this.method(channel, 60, 20, wireEnc.u16(0), wireEnc.shortstr(queue), wireEnc.shortstr(tag), wireEnc.u8(noAck ? 2 : 0), wireEnc.table0());
    await this.expect(channel, RM.BasicConsumeOk);
  }

  async confirmSelect(channel: number): Promise<void> {
    this.method(channel, 85, 10, wireEnc.u8(0));
    await this.expect(channel, RM.ConfirmSelectOk);
  }

  /** connection.close, then close-ok and the socket end. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.method(0, 10, 50, wireEnc.u16(200), wireEnc.shortstr('bye'), wireEnc.u16(0), wireEnc.u16(0));
    await this.waitFor((f) => methodId(f) === RM.ConnectionCloseOk).catch(() => {});
    this.socket.end();
    await this.closed;
  }

  destroy(): void { this.socket.destroy(); }
  /** Stops reading: the kernel buffers fill, then the broker's writes back up. */
  pause(): void { this.socket.pause(); }
  resume(): void { this.socket.resume(); }

  /** Resolves with the next frame (from now on) matching pred; such a frame is not passed to onFrame. */
  waitFor(pred: (f: RawFrame) => boolean, timeoutMs = 10_000): Promise<RawFrame> {
    return new Promise((resolve, reject) => {
      if (this.ended) { reject(new Error('socket closed')); return; }
      const t = setTimeout(() => { this.waiters = this.waiters.filter((x) => x !== w); reject(new Error('timed out waiting for a frame')); }, timeoutMs);
      const w = { pred, resolve: (f: RawFrame) => { clearTimeout(t); resolve(f); }, reject: (e: Error) => { clearTimeout(t); reject(e); } };
      this.waiters.push(w);
    });
  }

  private onData(d: Buffer): void {
    this.bytesIn += d.length;
    this.chunks.push(d);
    this.have += d.length;
    for (;;) {
      if (this.have < 7) return;
      let head = this.chunks[0]!;
      if (head.length < 7) { head = Buffer.concat(this.chunks); this.chunks = [head]; }
      const size = head.readUInt32BE(3);
      if (this.have < size + 8) return;
      if (head.length < size + 8) { head = Buffer.concat(this.chunks); this.chunks = [head]; }
      const f = { type: head[0]!, channel: head.readUInt16BE(1), payload: head.subarray(7, 7 + size) };
      if (head.length === size + 8) this.chunks.shift(); else this.chunks[0] = head.subarray(size + 8);
      this.have -= size + 8;
      // Heartbeats are answered while the client reads (a paused one neither reads nor answers).
      if (f.type === 8 && f.channel === 0) { this.write(HEARTBEAT); continue; }
      const i = this.waiters.findIndex((w) => w.pred(f));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(f); else this.onFrame(f);
    }
  }
}
