// AMQP 0-9-1 client connection: the socket (TCP or TLS), the handshake (PLAIN), tune, heartbeats, the close
// handshake in both directions, connection.blocked/unblocked, and the frame loop that hands every channel its
// frames synchronously. Outgoing frames are gathered in one Writer and reach the socket once per microtask turn
// (sooner past FLUSH_AT bytes), so a burst of publishes or acks costs one write, not one per frame.
// Events: 'blocked' (reason), 'unblocked', 'close' (error or undefined for a clean close), 'error' (only
// emitted when someone listens, so an unexpected close never throws out of an EventEmitter).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { EventEmitter } from 'node:events';
import { FrameReader } from '../amqp/frame-reader.js';
import { Reader } from '../amqp/reader.js';
import { Writer, FrameType } from '../amqp/writer.js';
import { decodeMethod, encodeMethod, M, type Method, type ConnectionStart, type ConnectionTune } from '../amqp/spec.generated.js';
import type { FieldTable } from '../amqp/table.js';
import { parseUri, type AmqpUri } from './uri.js';
import { Channel } from './channel.js';
import { ConnectionError, replyText } from '../amqp/errors.js';
import { AmqpCloseError, ClosedError } from './errors.js';

const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
/** Flush before the turn ends once this much is queued: bounds the writer's memory in a long publish loop. */
const FLUSH_AT = 128 * 1024;
/** Past this many bytes waiting in the socket, publish() answers false and waitForDrain() waits. */
const HIGH_WATER = 1024 * 1024;
/** The frame size we propose: RabbitMQ's default, so a body of up to ~128 KB is one frame. */
const DEFAULT_FRAME_MAX = 131072;
const DEFAULT_CHANNEL_MAX = 2047;

export interface ConnectOptions {
  /** Heartbeat seconds; 0 disables; default: the broker's proposal (RabbitMQ: 60). Overrides the URI's. */
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  /** Milliseconds for TCP connect plus handshake (default 10000). */
  connectionTimeout?: number;
  /** Shown by the broker as the connection's user-provided name. */
  connectionName?: string;
  clientProperties?: FieldTable;
  /** Extra node:tls options for amqps:// (ca, cert, key, rejectUnauthorized...). */
  tls?: TlsOptions;
}

/** Opens a connection and completes the handshake. */
export async function connect(uri: string | AmqpUri, opts: ConnectOptions = {}): Promise<Connection> {
  const u = typeof uri === 'string' ? parseUri(uri) : uri;
  const conn = new Connection(u, opts);
  await conn.ready;
  return conn;
}

/** The smaller of two tune values where 0 means "no limit". */
const negotiate = (a: number, b: number) => (a === 0 ? b : b === 0 ? a : Math.min(a, b));

export class Connection extends EventEmitter {
  readonly socket: Socket;
  /** Outgoing frames; Channel writes publishes straight into it. */
  readonly writer = new Writer();
  private readonly reader: FrameReader;
  private readonly channels = new Map<number, Channel>();
  readonly ready: Promise<void>;
  serverProperties: FieldTable = {};
  frameMax = DEFAULT_FRAME_MAX;
  channelMax = DEFAULT_CHANNEL_MAX;
  heartbeat = 0;
  /** True between connection.blocked and connection.unblocked. */
  blocked = false;
  closed = false;
  /** Why the connection closed, when it was not a clean close by us. */
  closeError: Error | undefined;

  private opened = false;
  private handshake!: { resolve: () => void; reject: (e: Error) => void };
  private closeOk: (() => void) | undefined;
  private flushQueued = false;
  private readonly flushTask = () => { this.flushQueued = false; this.flush(); };
  private drain: Promise<void> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sentSinceTick = false;
  private recvSinceTick = false;
  private missedTicks = 0;
  private socketError: Error | undefined;

  constructor(private readonly uri: AmqpUri, private readonly opts: ConnectOptions) {
    super();
    this.reader = new FrameReader(this);
    this.reader.frameMax = DEFAULT_FRAME_MAX;
    this.ready = new Promise<void>((resolve, reject) => { this.handshake = { resolve, reject }; });
    const timeout = opts.connectionTimeout ?? uri.connectionTimeout ?? 10000;
    const timer = setTimeout(() => this.fail(new Error(`AMQP handshake with ${uri.host}:${uri.port} timed out after ${timeout} ms`)), timeout);
    this.ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
    const onConnect = () => { this.socket.write(PROTOCOL_HEADER); };
    this.socket = uri.tls
      // SNI carries host names only, never addresses.
      ? tlsConnect({ host: uri.host, port: uri.port, ...(isIP(uri.host) ? {} : { servername: uri.host }), ...opts.tls }, onConnect)
      : netConnect({ host: uri.host, port: uri.port }, onConnect);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.recvSinceTick = true;
      try { this.reader.push(chunk); } catch (e) { this.fail(e as Error); }
    });
    this.socket.on('error', (e) => { this.socketError = e; });
    this.socket.on('close', () => {
      this.closeOk?.();
      if (!this.closed) this.finish(new ClosedError('connection', this.socketError ?? new Error('socket closed by the peer')));
    });
    this.socket.on('drain', () => this.emit('drain'));
  }

  // ---- frames in ----

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameType.Method) {
      const m = decodeMethod(new Reader(buf, start, end));
      if (channel === 0) this.onMethod(m);
      else this.channels.get(channel)?.onMethod(m);
    } else if (type === FrameType.Header) {
      this.channels.get(channel)?.onHeader(buf, start, end);
    } else if (type === FrameType.Body) {
      this.channels.get(channel)?.onBody(buf, start, end);
    }
    // Heartbeat frames need nothing: every received byte already counts as a sign of life.
  }

  private onMethod(m: Method): void {
    switch (m.id) {
      case M.ConnectionStart: return this.onStart(m);
      case M.ConnectionTune: return this.onTune(m);
      case M.ConnectionOpenOk:
        this.opened = true;
        this.startHeartbeats();
        this.handshake.resolve();
        return;
      case M.ConnectionClose: {
        // The broker closes: answer close-ok, then the socket ends; everything open fails with its reason.
        this.sendMethod(0, { id: M.ConnectionCloseOk });
        this.flush();
        const err = new AmqpCloseError('connection', m.replyCode, m.replyText, m.classId, m.methodId);
        this.finish(err);
        this.socket.end();
        return;
      }
      case M.ConnectionCloseOk:
        this.closeOk?.();
        return;
      case M.ConnectionBlocked:
        this.blocked = true;
        this.emit('blocked', m.reason);
        return;
      case M.ConnectionUnblocked:
        this.blocked = false;
        this.emit('unblocked');
        return;
      default:
        this.fail(new Error(`unexpected method ${m.id.toString(16)} on channel 0`));
    }
  }

  private onStart(m: ConnectionStart): void {
    if (!m.mechanisms.split(' ').includes('PLAIN')) {
      this.fail(new Error(`the broker offers no PLAIN authentication (offers: ${m.mechanisms})`));
      return;
    }
    this.serverProperties = m.serverProperties;
    const capabilities: FieldTable = {
      publisher_confirms: true, exchange_exchange_bindings: true, 'basic.nack': true,
      consumer_cancel_notify: true, 'connection.blocked': true, authentication_failure_close: true,
      per_consumer_qos: true,
    };
    const clientProperties: FieldTable = {
      product: 'Warren client', platform: `Node.js ${process.version}`, capabilities,
      ...(this.opts.connectionName ? { connection_name: this.opts.connectionName } : {}),
      ...this.opts.clientProperties,
    };
    this.sendMethod(0, {
      id: M.ConnectionStartOk, clientProperties, mechanism: 'PLAIN', locale: 'en_US',
      response: `\0${this.uri.username}\0${this.uri.password}`,
    });
  }

  private onTune(m: ConnectionTune): void {
    this.channelMax = negotiate(m.channelMax, this.opts.channelMax ?? this.uri.channelMax ?? DEFAULT_CHANNEL_MAX);
    this.frameMax = negotiate(m.frameMax, this.opts.frameMax ?? this.uri.frameMax ?? DEFAULT_FRAME_MAX);
    // Like pika: an explicit heartbeat (0 too) wins; otherwise the broker's proposal stands.
    this.heartbeat = this.opts.heartbeat ?? this.uri.heartbeat ?? m.heartbeat;
    this.reader.frameMax = this.frameMax === 0 ? 0xffffffff : Math.max(this.frameMax, 4096);
    if (this.frameMax === 0) this.frameMax = 0x7fffffff;
    this.sendMethod(0, { id: M.ConnectionTuneOk, channelMax: this.channelMax, frameMax: this.frameMax, heartbeat: this.heartbeat });
    this.sendMethod(0, { id: M.ConnectionOpen, virtualHost: this.uri.vhost, reserved1: '', reserved2: false });
  }

  // ---- frames out ----

  /** Queues one method frame. */
  sendMethod(channel: number, m: Method): void {
    const w = this.writer;
    w.beginFrame(FrameType.Method, channel);
    encodeMethod(w, m);
    w.endFrame();
    this.wrote();
  }

  /** Called after frames were queued in the writer: flush now if a lot is waiting, else at the end of the turn. */
  wrote(): void {
    if (this.writer.pending >= FLUSH_AT) this.flush();
    else if (!this.flushQueued) { this.flushQueued = true; queueMicrotask(this.flushTask); }
  }

  /** Hands everything queued to the socket. */
  flush(): void {
    const bufs = this.writer.take();
    if (bufs.length === 0 || this.socket.destroyed) return;
    this.sentSinceTick = true;
    if (bufs.length === 1) { this.socket.write(bufs[0]!); return; }
    this.socket.cork();
    for (const b of bufs) this.socket.write(b);
    this.socket.uncork();
  }

  /** False when the socket holds more than HIGH_WATER bytes: the caller should await waitForDrain(). */
  get writable(): boolean {
    return this.socket.writableLength < HIGH_WATER;
  }

  /** Resolves once the socket has room again (at once if it has); also resolves when the connection closes. */
  waitForDrain(): Promise<void> {
    this.flush();
    if (this.closed || this.writable) return Promise.resolve();
    this.drain ??= new Promise<void>((resolve) => {
      const done = () => { this.off('drain', done); this.off('close', done); this.drain = undefined; resolve(); };
      this.on('drain', done);
      this.on('close', done);
    });
    return this.drain;
  }

  // ---- heartbeats ----

  private startHeartbeats(): void {
    if (this.heartbeat <= 0) return;
    // Tick at half the interval: send one when nothing else went out; give up after two silent intervals.
    this.heartbeatTimer = setInterval(() => {
      if (!this.sentSinceTick) { this.writer.heartbeat(); this.flush(); }
      this.sentSinceTick = false;
      this.missedTicks = this.recvSinceTick ? 0 : this.missedTicks + 1;
      this.recvSinceTick = false;
      if (this.missedTicks >= 4) this.fail(new Error(`missed heartbeats from the broker (${this.heartbeat} s)`));
    }, this.heartbeat * 500);
    this.heartbeatTimer.unref();
  }

  // ---- channels ----

  /** Opens a channel on the lowest free number. */
  async createChannel(): Promise<Channel> {
    if (this.closed) throw new ClosedError('connection', this.closeError);
    let id = 1;
    while (this.channels.has(id)) id++;
    if (id > (this.channelMax || 65535)) throw new Error(`no free channel (channel_max ${this.channelMax})`);
    const ch = new Channel(this, id);
    this.channels.set(id, ch);
    await ch.open();
    return ch;
  }

  /** Called by a channel once it is closed, so its number can be reused. */
  releaseChannel(id: number): void { this.channels.delete(id); }

  // ---- closing ----

  /** The close handshake: connection.close, wait for close-ok (at most 5 s), end the socket. */
  async close(code = 200, text = 'Goodbye'): Promise<void> {
    if (this.closed) return;
    const gotOk = new Promise<void>((resolve) => { this.closeOk = resolve; });
    this.sendMethod(0, { id: M.ConnectionClose, replyCode: code, replyText: text, classId: 0, methodId: 0 });
    const timer = setTimeout(() => this.closeOk?.(), 5000);
    await gotOk;
    clearTimeout(timer);
    if (!this.closed) this.finish(undefined);
    this.socket.end();
  }

  /**
   * Something broke (bad frame, timeout, missed heartbeats): fail everything and drop the socket. A protocol
   * error from the broker's bytes is first reported to it with connection.close, as the spec asks.
   */
  private fail(err: Error): void {
    if (this.closed) return;
    if (err instanceof ConnectionError && this.opened && !this.socket.destroyed) {
      this.sendMethod(0, { id: M.ConnectionClose, replyCode: err.code, replyText: replyText(err.code, err.message), classId: 0, methodId: 0 });
      this.flush();
    }
    this.finish(err);
    this.socket.destroy();
  }

  private finish(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    clearInterval(this.heartbeatTimer);
    const chErr = err ?? new ClosedError('connection');
    for (const ch of [...this.channels.values()]) ch.onConnectionClosed(chErr);
    this.channels.clear();
    if (!this.opened) this.handshake.reject(err ?? new ClosedError('connection'));
    this.emit('close', err);
    if (err && this.listenerCount('error') > 0) this.emit('error', err);
  }
}
