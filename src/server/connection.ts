// One client connection: protocol header, start/tune/open handshake (SASL in sasl.ts), heartbeats both
// ways, channel table, frame dispatch, and error handling: ChannelError closes the channel, ConnectionError
// the connection, each with the class and method id of the method being handled. Writes are gathered and
// flushed once per event-loop turn. Backpressure (docs/flow-control.md): past WRITE_HIGH_WATER unsent bytes
// the connection takes no deliveries and is not read until the socket drains; during an alarm a publisher
// is not read at all.
import type { Socket } from 'node:net';
import { ChannelError, ConnectionError, DecodeError, ReplyCode, replyText } from '../amqp/errors.js';
import { FrameReader, type FrameSink } from '../amqp/frame-reader.js';
import { Reader } from '../amqp/reader.js';
import { decodeMethod, encodeMethod, M, methodNames, type Method } from '../amqp/spec.generated.js';
import { TableError, type FieldTable } from '../amqp/table.js';
import { erlW, frameText } from '../amqp/erl-format.js';
import { FrameType, Writer } from '../amqp/writer.js';
import type { Message } from '../broker/message.js';
import type { OpContext } from '../broker/ops.js';
import { Channel } from './channel.js';
import { checkConnectionLimits, checkUserChannelLimit } from './limits.js';
import type { Server } from './server.js';
import type { LogFields } from '../log.js';

const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** Flush early once this much is waiting, so one busy turn cannot build an unbounded batch. */
const FLUSH_THRESHOLD = 256 * 1024;
/**
 * Unsent bytes past which the connection takes no deliveries and is not read (its peer does not read: a slow
 * consumer, or a publisher ignoring its confirms and returns) until the socket drains. With FLUSH_THRESHOLD
 * this bounds what one connection holds to about 1.25 MiB plus one message, whatever the peer does.
 */
const WRITE_HIGH_WATER = 1024 * 1024;
const CLOSE_TIMEOUT_MS = 3000;

type State = 'header' | 'start' | 'tune' | 'open' | 'opened' | 'closing' | 'closed';

export class Connection implements FrameSink {
  state: State = 'header';
  readonly reader = new FrameReader(this);
  readonly writer = new Writer();
  readonly channels = new Map<number, Channel>();
  /** Names of the exclusive queues declared here (in ctx.vhost), deleted with the connection; may hold stale names. */
  readonly exclusiveQueues = new Set<string>();
  frameMax = 131072;
  channelMax = 2047;
  heartbeat = 0;
  user = '';
  ctx: OpContext | undefined;
  clientProperties: FieldTable = {};
  /** The SASL mechanism the client logged in with (for the management API). */
  authMechanism = '';
  capabilities = { consumerCancelNotify: false, authFailureClose: false, connectionBlocked: false };
  readonly connectedAt = Date.now();
  private headerBuf: Buffer | null = null;
  /** A login was refused: input is dropped until the delayed close. */
  private refused = false;
  private flushQueued = false;
  private dirty = new Set<Channel>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private receivedSinceTick = true;
  private sentSinceTick = false;
  private missedTicks = 0;
  /** Method being handled, for the class/method ids of a close. */
  private currentMethod = 0;
  /** teardown() runs on connection.close and again on the socket's close; the close is logged once. */
  private closeLogged = false;
  /** Socket reads and writes (one per flush), as RabbitMQ's recv_cnt/send_cnt count packets. */
  recvCount = 0;
  sendCount = 0;

  constructor(readonly server: Server, readonly socket: Socket, readonly id: number) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => { /* reported through close */ });
    socket.on('close', () => this.teardown());
    // handshake_timeout: from accept to connection.open-ok, whatever the client does or does not send.
    if (server.handshakeTimeout !== Infinity) {
      this.handshakeTimer = setTimeout(() => this.handshakeTimedOut(), server.handshakeTimeout);
      this.handshakeTimer.unref();
    }
  }

  get key(): string { return `${this.server.nodeName}/${this.id}`; }

  get name(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort} -> ${this.socket.localAddress}:${this.socket.localPort}`;
  }

  /** Structured log fields (JSON log lines): as RabbitMQ names the connection, its user, vhost and peer. */
  logFields(): LogFields {
    return { domain: 'rabbitmq.connection', connection: this.name, user: this.user || undefined,
      vhost: this.ctx?.vhost.name, peer: `${this.socket.remoteAddress}:${this.socket.remotePort}` };
  }

  /** Checked per delivery: a boolean kept by flush() and 'drain', so O(1). */
  canWrite(): boolean { return !this.outputFull && this.state === 'opened'; }

  // ---- input ----

  private onData(d: Buffer): void {
    this.recvCount++;
    this.receivedSinceTick = true;
    if (this.state === 'closed' || this.refused) return;
    try {
      if (this.state === 'header') {
        d = this.headerBuf ? Buffer.concat([this.headerBuf, d]) : d;
        if (d.length < 8) { this.headerBuf = d; return; }
        this.headerBuf = null;
        if (!d.subarray(0, 8).equals(PROTOCOL_HEADER)) {
          this.socket.end(PROTOCOL_HEADER);
          this.state = 'closed';
          return;
        }
        this.state = 'start';
        this.sendStart();
        d = d.subarray(8);
        if (d.length === 0) return;
      }
      this.reader.push(d);
    } catch (e) {
      this.fail(e);
    }
    this.scheduleFlush();
  }

  // ---- resource alarms ----

  /** Blocked: a publisher during an alarm; its socket is not read until every alarm clears. */
  blocked = false;
  private sentBlocked = false;
  /** Unsent output is past WRITE_HIGH_WATER: no deliveries, no reading, until 'drain'. */
  outputFull = false;
  /** Whether reading is stopped now (blocked or outputFull). */
  private readingStopped = false;
  /** Bytes the kernel had taken at the last heartbeat tick, to tell a slow reader from a dead one while output is full. */
  private writtenAtTick = 0;

  /** A publish arrived while an alarm is raised: stop reading after this frame (RabbitMQ's "blocked"). */
  private block(): void {
    if (this.blocked) return;
    this.blocked = true;
    this.updateReading();
    this.notifyBlocked();
  }

  /**
   * Stops or restarts reading as blocked/outputFull say. Stopping takes effect after the frame being handled
   * (the reader keeps the rest, at most one socket read); restarting first handles what the reader kept.
   */
  private updateReading(): void {
    const stop = this.blocked || this.outputFull;
    if (stop === this.readingStopped) return;
    this.readingStopped = stop;
    if (stop) { this.reader.paused = true; this.socket.pause(); return; }
    this.socket.resume();
    try { this.reader.resume(); } catch (e) { this.fail(e); }
    this.scheduleFlush();
  }

  /** The socket wrote out everything: deliver and read again. */
  private onDrain(): void {
    if (this.outputFull) { this.outputFull = false; this.updateReading(); }
    for (const ch of this.channels.values()) ch.drainQueues();
  }

  private notifyBlocked(): void {
    if (!this.capabilities.connectionBlocked || this.sentBlocked || this.state !== 'opened') return;
    const reason = this.server.alarms.has('memory') ? 'low on memory' : 'low on disk';
    this.sentBlocked = true;
    this.send(0, { id: M.ConnectionBlocked, reason });
  }

  /** The set of raised alarms changed. */
  alarmsChanged(): void {
    // As RabbitMQ: a connection is told it is blocked when it publishes during an alarm, not before.
    if (this.server.alarms.size > 0) return;
    if (this.sentBlocked && this.state === 'opened') { this.sentBlocked = false; this.send(0, { id: M.ConnectionUnblocked }); }
    if (!this.blocked) return;
    this.blocked = false;
    this.updateReading();
  }

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.state === 'closed') return;
    try {
      this.frame(type, channel, buf, start, end);
    } catch (e) {
      if (e instanceof ChannelError && channel !== 0 && this.channels.has(channel)) this.closeChannel(channel, e);
      else throw e;
    }
    this.currentMethod = 0; // errors between frames (size, frame end) carry no method
  }

  private frame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    // As RabbitMQ's rabbit_command_assembler:analyze_frame: anything else is an unknown frame.
    const size = end - start;
    if (!(type === FrameType.Method && size >= 4) && !(type === FrameType.Header && size >= 12) &&
        type !== FrameType.Body && !(type === FrameType.Heartbeat && size === 0)) {
      throw new ConnectionError(ReplyCode.FrameError, frameText(type, buf.subarray(start, end), 'unknown_frame'), 0);
    }
    if (type === FrameType.Heartbeat) {
      if (channel !== 0) throw new ConnectionError(ReplyCode.UnexpectedFrame, frameText(type, buf.subarray(start, end)), 0);
      return;
    }
    if (type === FrameType.Method) {
      const m = this.decode(buf, start, end);
      if (!m) return;
      this.currentMethod = m.id;
      if (channel === 0) return this.connectionMethod(m);
      if (m.id === M.BasicPublish && this.server.alarms.size > 0) this.block();
      if (this.state !== 'opened') {
        if (this.state === 'closing') return;
        throw new ConnectionError(ReplyCode.ChannelError, `unexpected method on channel ${channel} before connection.open`);
      }
      return this.channelMethod(channel, m);
    }
    if (this.state === 'closing') return;
    if (channel === 0) throw new ConnectionError(ReplyCode.UnexpectedFrame, frameText(type, buf.subarray(start, end)), 0);
    const ch = this.channels.get(channel);
    // RabbitMQ creates the channel's frame assembler, which wants a method first.
    if (!ch) throw new ConnectionError(ReplyCode.UnexpectedFrame, 'expected method frame, got non method frame instead', 0);
    if (ch.closing) return;
    this.currentMethod = M.BasicPublish;
    if (type === FrameType.Header) ch.onHeader(buf, start, end); else ch.onBody(buf, start, end);
  }

  /** As RabbitMQ's reader: a connection not yet open when handshake_timeout fires is dropped without a close. */
  private handshakeTimedOut(): void {
    if (this.state === 'opened' || this.state === 'closing' || this.state === 'closed') return;
    const waitingFor = this.state === 'header' ? 'the protocol header' : this.state === 'start' ? 'connection.start-ok'
      : this.state === 'tune' ? 'connection.tune-ok' : 'connection.open';
    this.server.log('warning', `closing connection ${this.name}: handshake_timeout (${this.server.handshakeTimeout} ms) waiting for ${waitingFor}`);
    this.state = 'closed';
    this.socket.destroy();
  }

  /** Drops the socket without a close, as RabbitMQ's reader does when it crashes on undecodable input. */
  private drop(why: string): undefined {
    if (this.state === 'closing') return undefined;
    this.server.log('warning', `closing connection ${this.name}: ${why}`);
    this.state = 'closed';
    this.socket.destroy();
    return undefined;
  }

  /**
   * Decodes a method frame's payload as RabbitMQ does: arguments that do not fill the payload exactly are a
   * 501 "cannot decode <<args>>" naming the method. On an unknown method id or a malformed field table
   * RabbitMQ's reader process crashes, so the socket is dropped without a close (returns undefined).
   */
  private decode(buf: Buffer, start: number, end: number): Method | undefined {
    const id = buf.readUInt32BE(start);
    if (methodNames[id] === undefined) return this.drop(`unknown method ${id >>> 16}/${id & 0xffff}`);
    const r = new Reader(buf, start, end);
    try {
      const m = decodeMethod(r);
      if (r.pos === end) return m;
    } catch (e) {
      if (e instanceof TableError) return this.drop(`${methodNames[id]}: ${e.message}`);
      if (!(e instanceof DecodeError)) throw e;
    }
    throw new ConnectionError(ReplyCode.FrameError, `cannot decode ${erlW(buf.subarray(start + 4, end))}`, id);
  }

  private channelMethod(n: number, m: Method): void {
    const ch = this.channels.get(n);
    if (m.id === M.ChannelOpen) {
      if (ch) throw new ConnectionError(ReplyCode.ChannelError, `second 'channel.open' seen`);
      // RabbitMQ limits how many channels are open, not their numbers.
      if (this.channels.size >= this.channelMax) {
        throw new ConnectionError(ReplyCode.NotAllowed,
          `number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`, 0);
      }
      checkUserChannelLimit(this.server, this.user);
      this.channels.set(n, new Channel(this, n));
      this.server.churn.channelCreated++;
      this.send(n, { id: M.ChannelOpenOk, reserved1: '' });
      return;
    }
    if (!ch) throw new ConnectionError(ReplyCode.ChannelError, `expected 'channel.open'`);
    if (m.id === M.ChannelClose) {
      if (!ch.closing) ch.teardown();
      this.channels.delete(n);
      this.send(n, { id: M.ChannelCloseOk });
      return;
    }
    if (m.id === M.ChannelCloseOk) {
      if (ch.closing) this.channels.delete(n);
      return;
    }
    if (ch.closing) return; // everything but close/close-ok is dropped after we closed the channel
    ch.onMethod(m);
  }

  private connectionMethod(m: Method): void {
    switch (m.id) {
      case M.ConnectionStartOk: {
        if (this.state !== 'start') break;
        this.clientProperties = m.clientProperties;
        this.authMechanism = m.mechanism;
        const caps = m.clientProperties.capabilities;
        if (caps && typeof caps === 'object' && !Array.isArray(caps) && !Buffer.isBuffer(caps)) {
          const c = caps as FieldTable;
          this.capabilities = {
            consumerCancelNotify: c.consumer_cancel_notify === true,
            authFailureClose: c.authentication_failure_close === true,
            connectionBlocked: c['connection.blocked'] === true,
          };
        }
        const outcome = this.server.sasl.login(m.mechanism, m.response, this.socket);
        const loopbackOnly = 'user' in outcome && this.server.broker.loopbackUsers.has(outcome.user) && !isLoopback(this.socket.remoteAddress);
        this.server.authAttempts.record('amqp091', 'user' in outcome && !loopbackOnly);
        if (!('user' in outcome) || loopbackOnly) {
          const why = 'user' in outcome ? `user '${outcome.user}' can only connect via localhost` : outcome.refused;
          this.refuseLogin(m.mechanism, why, 'user' in outcome ? outcome.user : outcome.tried);
          return;
        }
        this.user = outcome.user;
        this.state = 'tune';
        this.send(0, { id: M.ConnectionTune, channelMax: this.server.channelMax, frameMax: this.server.frameMax, heartbeat: this.server.heartbeat });
        return;
      }
      case M.ConnectionTuneOk: {
        if (this.state !== 'tune') break;
        const sf = this.server.frameMax, sc = this.server.channelMax;
        if (m.frameMax !== 0 && m.frameMax < 4096) this.negotiationFailed('frame_max', m.frameMax, 'lower', 'minimum', 4096);
        if (m.frameMax === 0 || m.frameMax > sf) this.negotiationFailed('frame_max', m.frameMax, 'higher', 'maximum', sf);
        if (m.channelMax === 0 || m.channelMax > sc) this.negotiationFailed('channel_max', m.channelMax, 'higher', 'maximum', sc);
        this.frameMax = m.frameMax;
        this.reader.frameMax = m.frameMax;
        this.channelMax = m.channelMax;
        this.heartbeat = m.heartbeat;
        this.state = 'open';
        this.startHeartbeats();
        return;
      }
      case M.ConnectionOpen: {
        if (this.state !== 'open') break;
        const vh = this.server.broker.vhosts.get(m.virtualHost);
        if (!vh) throw new ConnectionError(ReplyCode.NotAllowed, `vhost ${m.virtualHost} not found`);
        checkConnectionLimits(this.server, this.user, m.virtualHost);
        if (!this.server.broker.canAccessVhost(this.user, m.virtualHost)) {
          throw new ConnectionError(ReplyCode.NotAllowed, `access to vhost '${m.virtualHost}' refused for user '${this.user}'`);
        }
        this.ctx = { broker: this.server.broker, user: this.user, vhost: vh, connKey: this.key };
        this.state = 'opened';
        clearTimeout(this.handshakeTimer);
        this.send(0, { id: M.ConnectionOpenOk, reserved1: '' });
        this.server.log('info', `connection ${this.name}: user '${this.user}' authenticated and granted access to vhost '${m.virtualHost}'`,
          { ...this.logFields(), event: 'connection_opened' });
        return;
      }
      case M.ConnectionClose: {
        this.send(0, { id: M.ConnectionCloseOk });
        this.flush();
        this.state = 'closed';
        this.socket.end();
        this.teardown();
        return;
      }
      case M.ConnectionCloseOk: {
        if (this.state === 'closing') { this.state = 'closed'; this.socket.destroy(); }
        return;
      }
      case M.ConnectionUpdateSecret: {
        if (this.state !== 'opened') break;
        // The internal user database, like RabbitMQ's rabbit_auth_backend_internal, keeps no per-connection
        // secret after login, so the new secret is accepted as it is (token backends will check it).
        this.send(0, { id: M.ConnectionUpdateSecretOk });
        return;
      }
      case M.ConnectionBlocked: case M.ConnectionUnblocked: return;
      default: break;
    }
    if (this.state === 'closing') return;
    if (this.state === 'opened') throw new ConnectionError(ReplyCode.ChannelError, 'unexpected method in connection state running');
    throw new ConnectionError(ReplyCode.CommandInvalid, `unexpected method on channel 0 in state ${this.state}`);
  }

  private negotiationFailed(field: string, client: number, hl: string, mm: string, server: number): never {
    throw new ConnectionError(ReplyCode.NotAllowed, `negotiated ${field} = ${client} is ${hl} than the ${mm} allowed value (${server})`);
  }

  /**
   * A refused login: logged with the user and peer as RabbitMQ logs it, answered after authFailureDelayMs
   * with the same 403 whatever was wrong (or a bare close for clients without authentication_failure_close).
   * The delay is a timer, so other connections do not wait.
   */
  private refuseLogin(mechanism: string, why: string, user: string | undefined): void {
    this.server.log('error', `Error on AMQP connection ${this.name} (state: starting): ${mechanism} login refused: ${why}`,
      { ...this.logFields(), user, event: 'auth_failure' });
    // Nothing more is read from a refused client; its socket still is, so that its leaving is noticed.
    this.refused = true;
    this.reader.paused = true;
    const text = `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`;
    setTimeout(() => {
      if (this.state !== 'start') return; // the client left, or the broker is shutting down
      if (this.capabilities.authFailureClose) this.close(ReplyCode.AccessRefused, text);
      else { this.state = 'closed'; this.socket.destroy(); }
    }, this.server.authFailureDelayMs).unref();
  }

  private sendStart(): void {
    this.send(0, { id: M.ConnectionStart, versionMajor: 0, versionMinor: 9, serverProperties: this.server.serverProperties(),
      mechanisms: this.server.sasl.offered(this.socket), locales: 'en_US' });
  }

  // ---- heartbeats ----

  private startHeartbeats(): void {
    if (this.heartbeat === 0) return;
    const tick = (this.heartbeat * 1000) / 2;
    this.heartbeatTimer = setInterval(() => {
      // A blocked connection is not read, so its heartbeats are not expected (as RabbitMQ). Neither are those
      // of one not read because its output is full, as long as the peer still takes bytes (a slow reader);
      // a peer that takes nothing for two intervals is gone (half-open) and is closed like a silent one.
      // (bytesWritten counts what is still buffered too; minus writableLength it is what the kernel took.)
      const written = this.socket.bytesWritten - this.socket.writableLength;
      const alive = this.receivedSinceTick || this.blocked || (this.outputFull && written !== this.writtenAtTick);
      this.writtenAtTick = written;
      if (alive) { this.receivedSinceTick = false; this.missedTicks = 0; }
      else if (++this.missedTicks >= 4) { // two heartbeat intervals with nothing received
        this.server.log('warning', `closing connection ${this.name}: missed heartbeats from client, timeout: ${this.heartbeat}s`);
        this.socket.destroy();
        return;
      }
      if (!this.sentSinceTick) { this.writer.heartbeat(); this.flush(); }
      this.sentSinceTick = false;
    }, tick);
    this.heartbeatTimer.unref();
  }

  // ---- output ----

  send(channel: number, m: Method): void {
    const w = this.writer;
    w.beginFrame(FrameType.Method, channel);
    encodeMethod(w, m);
    w.endFrame();
    this.scheduleFlush();
  }

  private content(channel: number, msg: Message): void {
    const w = this.writer;
    w.beginFrame(FrameType.Header, channel);
    w.u16(60); w.u16(0); w.u64(msg.body.length);
    w.bytes(msg.propsRaw);
    w.endFrame();
    if (msg.body.length) w.body(channel, msg.body, this.frameMax);
    this.scheduleFlush();
  }

  sendDeliver(channel: number, consumerTag: string, deliveryTag: number, redelivered: boolean, msg: Message): void {
    const w = this.writer;
    w.beginFrame(FrameType.Method, channel);
    w.u32(M.BasicDeliver);
    w.shortstr(consumerTag); w.u64(deliveryTag); w.u8(redelivered ? 1 : 0);
    w.shortstr(msg.exchange); w.shortstr(msg.routingKey);
    w.endFrame();
    this.content(channel, msg);
  }

  sendGetOk(channel: number, deliveryTag: number, redelivered: boolean, msg: Message, remaining: number): void {
    this.send(channel, { id: M.BasicGetOk, deliveryTag, redelivered, exchange: msg.exchange, routingKey: msg.routingKey, messageCount: remaining });
    this.content(channel, msg);
  }

  sendReturn(channel: number, code: number, text: string, msg: Message): void {
    this.send(channel, { id: M.BasicReturn, replyCode: code, replyText: text, exchange: msg.exchange, routingKey: msg.routingKey });
    this.content(channel, msg);
  }

  markDirty(ch: Channel): void { this.dirty.add(ch); this.scheduleFlush(); }

  scheduleFlush(): void {
    if (this.writer.pending >= FLUSH_THRESHOLD) { this.flush(); return; }
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => { this.flushQueued = false; this.flush(); });
  }

  flush(): void {
    if (this.dirty.size) {
      for (const ch of this.dirty) ch.flushConfirms();
      this.dirty.clear();
    }
    const chunks = this.writer.take();
    if (chunks.length === 0 || this.socket.destroyed) return;
    this.sentSinceTick = true;
    this.sendCount++;
    if (chunks.length === 1) this.socket.write(chunks[0]!);
    else {
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    }
    // Past the mark write() has returned false, so 'drain' (onDrain) is sure to follow.
    if (!this.outputFull && this.socket.writableLength >= WRITE_HIGH_WATER) { this.outputFull = true; this.updateReading(); }
  }

  // ---- closing ----

  closeChannel(n: number, e: ChannelError): void {
    const ch = this.channels.get(n)!;
    const id = this.currentMethod;
    ch.teardown();
    this.send(n, { id: M.ChannelClose, replyCode: e.code, replyText: replyText(e.code, e.message), classId: id >>> 16, methodId: id & 0xffff });
  }

  /** Starts a server-initiated close: connection.close, then wait for close-ok (or time out). */
  close(code: number, text: string, method = 0): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.send(0, { id: M.ConnectionClose, replyCode: code, replyText: replyText(code, text), classId: method >>> 16, methodId: method & 0xffff });
    this.flush();
    for (const ch of this.channels.values()) ch.teardown();
    setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS).unref();
  }

  private fail(e: unknown): void {
    if (e instanceof ConnectionError || e instanceof ChannelError) {
      // Before connection.open RabbitMQ drops the socket without a close (auth failures aside).
      if (this.state === 'start' || this.state === 'tune') { this.state = 'closed'; this.socket.destroy(); return; }
      const method = e instanceof ConnectionError && e.method !== undefined ? e.method : this.currentMethod;
      this.close(e.code, e.message, method);
      return;
    }
    this.server.log('error', `internal error on connection ${this.name}: ${(e as Error)?.stack ?? e}`);
    this.close(ReplyCode.InternalError, 'internal error', this.currentMethod);
  }

  private teardown(): void {
    clearTimeout(this.handshakeTimer);
    if (this.heartbeatTimer) { clearInterval(this.heartbeatTimer); this.heartbeatTimer = undefined; }
    for (const ch of this.channels.values()) if (!ch.closing) ch.teardown();
    this.channels.clear();
    if (this.state !== 'closed') this.state = 'closed';
    if (this.ctx && !this.closeLogged) {
      this.closeLogged = true;
      this.server.log('info', `closing AMQP connection ${this.name} (vhost: '${this.ctx.vhost.name}', user: '${this.user}')`,
        { ...this.logFields(), event: 'connection_closed' });
    }
    this.server.connectionClosed(this);
  }
}

function isLoopback(addr: string | undefined): boolean {
  return !!addr && (addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.'));
}
