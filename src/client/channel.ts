// One AMQP channel of a client Connection. RPCs (declare, bind, qos, consume, get, ...) are pipelined: they
// are sent at once and their replies matched first-in first-out, as the protocol answers synchronous methods in
// order. Deliveries, returns and confirms arrive through callbacks and events on the frame loop's own turn, so
// the hot paths allocate no Promise per message. Content (method, header, bodies) is assembled here; a body
// that arrives in one frame is handed out as a slice of the socket's chunk, without a copy.
// Events: 'return' (ReturnedMessage), 'cancel' (consumer tag, when the broker cancels a consumer),
// 'close' (AmqpCloseError when the broker closed the channel, else undefined), 'error' (same error; only
// emitted when someone listens).
import { EventEmitter } from 'node:events';
import { Reader } from '../amqp/reader.js';
import { FrameType } from '../amqp/writer.js';
import { decodeProperties, encodeProperties, M, type BasicProperties, type Method } from '../amqp/spec.generated.js';
import type { FieldTable } from '../amqp/table.js';
import type { Connection } from './connection.js';
import { ConfirmTracker, type ConfirmListener } from './confirms.js';
import { AmqpCloseError, ClosedError } from './errors.js';

export interface DeliveryFields {
  consumerTag: string;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  /** basic.get only: messages left in the queue. */
  messageCount?: number;
}
export interface Message { fields: DeliveryFields; properties: BasicProperties; body: Buffer }
export interface ReturnedMessage {
  replyCode: number; replyText: string; exchange: string; routingKey: string;
  properties: BasicProperties; body: Buffer;
}
export type OnMessage = (msg: Message) => void;

export interface ExchangeOptions { durable?: boolean; autoDelete?: boolean; internal?: boolean; passive?: boolean; arguments?: FieldTable }
export interface QueueOptions { durable?: boolean; exclusive?: boolean; autoDelete?: boolean; passive?: boolean; arguments?: FieldTable }
export interface QueueDeclared { queue: string; messageCount: number; consumerCount: number }
export interface ConsumeOptions { consumerTag?: string; noAck?: boolean; exclusive?: boolean; noLocal?: boolean; arguments?: FieldTable }

/** What basic.get's RPC resolves with once the content is complete (the method alone says too little). */
interface GotMessage { id: typeof M.BasicGetOk; message: Message }
interface Rpc { expect: number; resolve: (m: Method | GotMessage) => void; reject: (e: Error) => void }
/** Content being assembled: what the method said, then the header's properties and size, then the bodies. */
interface Incoming {
  kind: 'deliver' | 'get' | 'return';
  fields: DeliveryFields;
  ret?: { replyCode: number; replyText: string };
  properties: BasicProperties;
  size: number;
  got: number;
  body: Buffer | undefined;
}

const EMPTY_PROPS: BasicProperties = {};
const EMPTY_BODY = Buffer.alloc(0);

export class Channel extends EventEmitter {
  closed = false;
  closeError: Error | undefined;
  /** Set by confirmSelect(). */
  confirms: ConfirmTracker | undefined;
  private readonly rpcs: Rpc[] = [];
  private readonly consumers = new Map<string, OnMessage>();
  private incoming: Incoming | undefined;
  private closing = false;

  constructor(readonly connection: Connection, readonly id: number) { super(); }

  // ---- RPCs ----

  private rpc<T extends Method | GotMessage>(m: Method, expect: number): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError(`channel ${this.id}`, this.closeError));
    return new Promise<T>((resolve, reject) => {
      this.rpcs.push({ expect, resolve: resolve as (m: Method | GotMessage) => void, reject });
      this.connection.sendMethod(this.id, m);
    });
  }

  /** Sends a method that has no reply. */
  private send(m: Method): void {
    if (this.closed) throw new ClosedError(`channel ${this.id}`, this.closeError);
    this.connection.sendMethod(this.id, m);
  }

  async open(): Promise<void> { await this.rpc({ id: M.ChannelOpen, reserved1: '' }, M.ChannelOpenOk); }

  /** The close handshake: channel.close, then close-ok from the broker. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    try {
      await this.rpc({ id: M.ChannelClose, replyCode: 200, replyText: 'Goodbye', classId: 0, methodId: 0 }, M.ChannelCloseOk);
    } catch (e) {
      // The broker closed it first (its reason is in 'close'/closeError), or the connection went: closed either way.
      if (!this.closed) throw e;
      return;
    }
    this.finish(undefined);
  }

  async exchangeDeclare(exchange: string, type: string, o: ExchangeOptions = {}): Promise<void> {
    await this.rpc({
      id: M.ExchangeDeclare, reserved1: 0, exchange, type, passive: o.passive ?? false, durable: o.durable ?? false,
      autoDelete: o.autoDelete ?? false, internal: o.internal ?? false, noWait: false, arguments: o.arguments ?? {},
    }, M.ExchangeDeclareOk);
  }
  async exchangeDelete(exchange: string, o: { ifUnused?: boolean } = {}): Promise<void> {
    await this.rpc({ id: M.ExchangeDelete, reserved1: 0, exchange, ifUnused: o.ifUnused ?? false, noWait: false }, M.ExchangeDeleteOk);
  }
  async exchangeBind(destination: string, source: string, routingKey: string, args: FieldTable = {}): Promise<void> {
    await this.rpc({ id: M.ExchangeBind, reserved1: 0, destination, source, routingKey, noWait: false, arguments: args }, M.ExchangeBindOk);
  }
  async exchangeUnbind(destination: string, source: string, routingKey: string, args: FieldTable = {}): Promise<void> {
    await this.rpc({ id: M.ExchangeUnbind, reserved1: 0, destination, source, routingKey, noWait: false, arguments: args }, M.ExchangeUnbindOk);
  }

  async queueDeclare(queue = '', o: QueueOptions = {}): Promise<QueueDeclared> {
    const ok = await this.rpc<Extract<Method, { id: typeof M.QueueDeclareOk }>>({
      id: M.QueueDeclare, reserved1: 0, queue, passive: o.passive ?? false, durable: o.durable ?? false,
      exclusive: o.exclusive ?? false, autoDelete: o.autoDelete ?? false, noWait: false, arguments: o.arguments ?? {},
    }, M.QueueDeclareOk);
    return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  }
  async queueBind(queue: string, exchange: string, routingKey: string, args: FieldTable = {}): Promise<void> {
    await this.rpc({ id: M.QueueBind, reserved1: 0, queue, exchange, routingKey, noWait: false, arguments: args }, M.QueueBindOk);
  }
  async queueUnbind(queue: string, exchange: string, routingKey: string, args: FieldTable = {}): Promise<void> {
    await this.rpc({ id: M.QueueUnbind, reserved1: 0, queue, exchange, routingKey, arguments: args }, M.QueueUnbindOk);
  }
  /** Returns how many messages were purged. */
  async queuePurge(queue: string): Promise<number> {
    const ok = await this.rpc<Extract<Method, { id: typeof M.QueuePurgeOk }>>({ id: M.QueuePurge, reserved1: 0, queue, noWait: false }, M.QueuePurgeOk);
    return ok.messageCount;
  }
  /** Returns how many messages the queue held. */
  async queueDelete(queue: string, o: { ifUnused?: boolean; ifEmpty?: boolean } = {}): Promise<number> {
    const ok = await this.rpc<Extract<Method, { id: typeof M.QueueDeleteOk }>>({
      id: M.QueueDelete, reserved1: 0, queue, ifUnused: o.ifUnused ?? false, ifEmpty: o.ifEmpty ?? false, noWait: false,
    }, M.QueueDeleteOk);
    return ok.messageCount;
  }

  async qos(prefetchCount: number, global = false, prefetchSize = 0): Promise<void> {
    await this.rpc({ id: M.BasicQos, prefetchSize, prefetchCount, global }, M.BasicQosOk);
  }

  /** Starts a consumer; `onMessage` runs on the frame loop for every delivery. Returns the consumer tag. */
  async consume(queue: string, onMessage: OnMessage, o: ConsumeOptions = {}): Promise<string> {
    if (!this.closed) this.consumeQueue.push(onMessage);
    const ok = await this.rpc<Extract<Method, { id: typeof M.BasicConsumeOk }>>({
      id: M.BasicConsume, reserved1: 0, queue, consumerTag: o.consumerTag ?? '', noLocal: o.noLocal ?? false,
      noAck: o.noAck ?? false, exclusive: o.exclusive ?? false, noWait: false, arguments: o.arguments ?? {},
    }, M.BasicConsumeOk);
    return ok.consumerTag;
  }
  /** Stops a consumer; deliveries already in flight still reach its callback. */
  async cancel(consumerTag: string): Promise<void> {
    await this.rpc({ id: M.BasicCancel, consumerTag, noWait: false }, M.BasicCancelOk);
    this.consumers.delete(consumerTag);
  }

  /** basic.get: one message, or null when the queue is empty. */
  async get(queue: string, o: { noAck?: boolean } = {}): Promise<Message | null> {
    const m = await this.rpc<Method | GotMessage>({ id: M.BasicGet, reserved1: 0, queue, noAck: o.noAck ?? false }, M.BasicGetOk);
    return 'message' in m ? m.message : null;
  }

  async recover(requeue = true): Promise<void> {
    await this.rpc({ id: M.BasicRecover, requeue }, M.BasicRecoverOk);
  }

  ack(deliveryTag: number, multiple = false): void { this.send({ id: M.BasicAck, deliveryTag, multiple }); }
  nack(deliveryTag: number, multiple = false, requeue = true): void { this.send({ id: M.BasicNack, deliveryTag, multiple, requeue }); }
  reject(deliveryTag: number, requeue = true): void { this.send({ id: M.BasicReject, deliveryTag, requeue }); }

  /** Puts the channel in confirm mode; `listener` (optional) hears every ack/nack with how many it settled. */
  async confirmSelect(listener?: ConfirmListener): Promise<void> {
    this.confirms ??= new ConfirmTracker();
    if (listener) this.confirms.listener = listener;
    await this.rpc({ id: M.ConfirmSelect, nowait: false }, M.ConfirmSelectOk);
  }

  // ---- publishing ----

  /**
   * Queues one message (method, header and body frames written straight into the connection's writer).
   * Returns false when the socket is backed up: await waitForDrain() before publishing more.
   * Bodies of 4 KB and more are sent as slices of `body`, so do not modify it until the next turn.
   */
  publish(exchange: string, routingKey: string, body: Buffer, properties: BasicProperties = EMPTY_PROPS, mandatory = false): boolean {
    if (this.closed) throw new ClosedError(`channel ${this.id}`, this.closeError);
    const conn = this.connection, w = conn.writer, id = this.id;
    w.beginFrame(FrameType.Method, id);
    w.u32(M.BasicPublish); w.u16(0); w.shortstr(exchange); w.shortstr(routingKey); w.u8(mandatory ? 1 : 0);
    w.endFrame();
    w.beginFrame(FrameType.Header, id);
    w.u16(60); w.u16(0); w.u64(body.length);
    encodeProperties(w, properties);
    w.endFrame();
    if (body.length > 0) w.body(id, body, conn.frameMax);
    this.confirms?.track();
    conn.wrote();
    return conn.writable;
  }

  /** In confirm mode: publishes and resolves on the broker's ack, rejects (ConfirmNackError) on its nack. */
  publishConfirmed(exchange: string, routingKey: string, body: Buffer, properties: BasicProperties = EMPTY_PROPS, mandatory = false): Promise<void> {
    const confirms = this.confirms;
    if (!confirms) throw new Error('publishConfirmed needs confirmSelect() first');
    if (this.closed) return Promise.reject(new ClosedError(`channel ${this.id}`, this.closeError));
    // publish() would track it without a waiter; take the number first so the promise owns it.
    this.confirms = undefined;
    try { this.publish(exchange, routingKey, body, properties, mandatory); } finally { this.confirms = confirms; }
    return confirms.trackPromise();
  }

  waitForDrain(): Promise<void> { return this.connection.waitForDrain(); }

  // ---- frames in (called by the Connection's frame loop) ----

  onMethod(m: Method): void {
    switch (m.id) {
      case M.BasicDeliver:
        this.incoming = {
          kind: 'deliver', properties: EMPTY_PROPS, size: 0, got: 0, body: undefined,
          fields: { consumerTag: m.consumerTag, deliveryTag: m.deliveryTag, redelivered: m.redelivered, exchange: m.exchange, routingKey: m.routingKey },
        };
        return;
      case M.BasicGetOk:
        this.incoming = {
          kind: 'get', properties: EMPTY_PROPS, size: 0, got: 0, body: undefined,
          fields: { consumerTag: '', deliveryTag: m.deliveryTag, redelivered: m.redelivered, exchange: m.exchange, routingKey: m.routingKey, messageCount: m.messageCount },
        };
        return;
      case M.BasicReturn:
        this.incoming = {
          kind: 'return', properties: EMPTY_PROPS, size: 0, got: 0, body: undefined,
          fields: { consumerTag: '', deliveryTag: 0, redelivered: false, exchange: m.exchange, routingKey: m.routingKey },
          ret: { replyCode: m.replyCode, replyText: m.replyText },
        };
        return;
      case M.BasicAck: this.confirms?.settle(true, m.deliveryTag, m.multiple); return;
      case M.BasicNack: this.confirms?.settle(false, m.deliveryTag, m.multiple); return;
      case M.ChannelClose: {
        // The broker closes the channel (a soft error): answer close-ok, fail what waits, report the reason.
        this.connection.sendMethod(this.id, { id: M.ChannelCloseOk });
        this.finish(new AmqpCloseError('channel', m.replyCode, m.replyText, m.classId, m.methodId));
        return;
      }
      case M.BasicCancel:
        // consumer_cancel_notify: the broker cancelled a consumer (e.g. its queue was deleted).
        this.consumers.delete(m.consumerTag);
        this.emit('cancel', m.consumerTag);
        return;
      case M.ChannelFlow:
        this.connection.sendMethod(this.id, { id: M.ChannelFlowOk, active: m.active });
        return;
      case M.BasicGetEmpty: {
        const head = this.rpcs[0];
        if (head?.expect === M.BasicGetOk) { this.rpcs.shift(); head.resolve(m); }
        return;
      }
      default: {
        const head = this.rpcs[0];
        if (head && head.expect === m.id) {
          this.rpcs.shift();
          // A consumer must exist before the next frame of this same read is handled: register it here,
          // not after the caller's await resumes.
          if (m.id === M.BasicConsumeOk) this.pendingConsumer(m.consumerTag);
          head.resolve(m);
        }
      }
    }
  }

  /** The callbacks of consume() calls waiting for consume-ok, in order. */
  private readonly consumeQueue: OnMessage[] = [];
  private pendingConsumer(tag: string): void {
    const cb = this.consumeQueue.shift();
    if (cb) this.consumers.set(tag, cb);
  }

  onHeader(buf: Buffer, start: number, end: number): void {
    const inc = this.incoming;
    if (!inc) return;
    const r = new Reader(buf, start, end);
    r.u16(); r.u16(); // class id, weight
    inc.size = r.u64();
    inc.properties = buf.readUInt16BE(r.pos) === 0 ? EMPTY_PROPS : decodeProperties(r);
    if (inc.size === 0) { inc.body = EMPTY_BODY; this.complete(inc); }
  }

  onBody(buf: Buffer, start: number, end: number): void {
    const inc = this.incoming;
    if (!inc) return;
    const n = end - start;
    if (inc.got === 0 && n === inc.size) {
      inc.body = buf.subarray(start, end);
    } else {
      inc.body ??= Buffer.allocUnsafe(inc.size);
      buf.copy(inc.body, inc.got, start, end);
    }
    inc.got += n;
    if (inc.got >= inc.size) this.complete(inc);
  }

  private complete(inc: Incoming): void {
    this.incoming = undefined;
    const body = inc.body ?? EMPTY_BODY;
    if (inc.kind === 'deliver') {
      const cb = this.consumers.get(inc.fields.consumerTag);
      if (!cb) return;
      try { cb({ fields: inc.fields, properties: inc.properties, body }); } catch (e) { this.reportError(e as Error); }
    } else if (inc.kind === 'get') {
      const head = this.rpcs[0];
      if (head?.expect === M.BasicGetOk) {
        this.rpcs.shift();
        head.resolve({ id: M.BasicGetOk, message: { fields: inc.fields, properties: inc.properties, body } });
      }
    } else {
      const ret: ReturnedMessage = { ...inc.ret!, exchange: inc.fields.exchange, routingKey: inc.fields.routingKey, properties: inc.properties, body };
      this.emit('return', ret);
    }
  }

  /** A consumer callback threw: tell 'error' listeners, or let it surface as an uncaught exception. */
  private reportError(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
    else queueMicrotask(() => { throw e; });
  }

  onConnectionClosed(err: Error): void { this.finish(err, false); }

  private finish(err: Error | undefined, release = true): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    const rpcErr = err ?? new ClosedError(`channel ${this.id}`);
    for (const r of this.rpcs.splice(0)) r.reject(rpcErr);
    this.confirms?.failAll(rpcErr);
    this.consumeQueue.length = 0;
    if (release) this.connection.releaseChannel(this.id);
    this.emit('close', err);
    if (err instanceof AmqpCloseError && this.listenerCount('error') > 0) this.emit('error', err);
  }
}
