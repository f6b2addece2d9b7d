// One AMQP channel: method handling, publish assembly (method, header, body), consumers and the unacked map,
// prefetch, publisher confirms and transactions. Errors are thrown as ChannelError/ConnectionError; the
// connection turns them into channel.close / connection.close.
import { randomBytes } from 'node:crypto';
import { ChannelError, ConnectionError, ReplyCode } from '../amqp/errors.js';
import { Reader } from '../amqp/reader.js';
import { M, type Method } from '../amqp/spec.generated.js';
import { decodePropsRaw, makeMessage, withProps, type Message } from '../broker/message.js';
import * as ops from '../broker/ops.js';
import { argType } from '../broker/args.js';
import type { Entry, Queue } from '../broker/queue.js';
import { Enqueued, type Exchange } from '../broker/vhost.js';
import { Consumer } from './consumer.js';
import { ackTimeoutText, AckWatch, type AckHost } from './ack-timeout.js';
import { MessageStats } from '../broker/stats.js';
import type { Connection } from './connection.js';

interface Unacked { tag: number; queue: Queue; entry: Entry; consumer: Consumer | undefined }
type TxAck = { requeue: boolean | undefined; items: Unacked[] };

export const REPLY_TO = 'amq.rabbitmq.reply-to';
/** RabbitMQ's ?MAX_MSG_SIZE: the most max_message_size may be (512 MiB). */
const MAX_MESSAGE_SIZE_CEILING = 536_870_912;

/** Confirm states: waiting for the store's fsync (to become ack or nack), or ready. */
const Confirm = { Wait: 0, WaitNack: 1, Ack: 2, Nack: 3 } as const;

export class Channel implements AckHost {
  closing = false;
  /** Content assembly: the publish awaiting its header and body. */
  private publishing: { exchange: string; routingKey: string; mandatory: boolean } | undefined;
  private propsRaw: Buffer | undefined;
  private bodySize = 0;
  private bodyParts: Buffer[] = [];
  private bodyReceived = 0;

  readonly consumers = new Map<string, Consumer>();
  private readonly unacked = new Map<number, Unacked>();
  private nextTag = 1;
  unackedCount = 0;
  prefetch = 0;
  globalPrefetch = 0;
  private lastQueue = '';

  private confirm = false;
  private publishSeq = 0;
  /** Highest publish seq confirmed (acked or nacked) to the client. */
  private confirmed = 0;
  /** Outcome of each publish not yet confirmed, from seq confirmBase on (array from confirmHead). */
  private confirmStates: number[] = [];
  private confirmHead = 0;
  private confirmBase = 1;
  private storedUpTo = 0;
  private syncRequested = false;

  private tx = false;
  private txPublishes: { ex: Exchange; msg: Message; mandatory: boolean }[] = [];
  private txAcks: TxAck[] = [];

  /** Direct reply-to: this channel's pseudo-consumer tag and routing token. */
  replyConsumer: string | undefined;
  readonly replyToken = `${randomBytes(12).toString('base64url')}`;

  private readonly routed = new Set<Queue>();
  readonly stats = new MessageStats();
  /** Set once teardown has added this channel's counters to the server's closed-channel totals. */
  retired = false;
  /** Exchanges this channel may publish to, valid while the broker's permission epoch is unchanged. */
  private writable = new Set<string>();
  private writableEpoch = -1;
  /** consumer_timeout's watch over the oldest unacked delivery (ack-timeout.ts); made on the first one. */
  private ackWatch: AckWatch | undefined;

  constructor(readonly conn: Connection, readonly id: number) {}

  get ctx(): ops.OpContext { return this.conn.ctx!; }

  // Read-only views for the management API (channel info).
  get confirmMode(): boolean { return this.confirm; }
  get transactional(): boolean { return this.tx; }
  get unconfirmedCount(): number { return this.publishSeq - this.confirmed; }
  get uncommittedMessages(): number { return this.txPublishes.length; }
  get uncommittedAcks(): number { let n = 0; for (const a of this.txAcks) n += a.items.length; return n; }

  canDeliver(): boolean { return !this.closing && this.conn.canWrite(); }

  // ---- frames ----

  onMethod(m: Method): void {
    if (this.publishing) {
      // RabbitMQ's command assembler names the pending basic.publish, whatever method arrived.
      throw new ConnectionError(ReplyCode.UnexpectedFrame, this.propsRaw
        ? 'expected content body, got non content body frame instead'
        : 'expected content header for class 60, got non content header frame instead', M.BasicPublish);
    }
    switch (m.id) {
      case M.BasicPublish: {
        if (m.immediate) throw new ConnectionError(ReplyCode.NotImplemented, 'immediate=true');
        this.publishing = { exchange: m.exchange, routingKey: m.routingKey, mandatory: m.mandatory };
        return;
      }
      case M.BasicAck: return this.ack(m.deliveryTag, m.multiple);
      case M.BasicNack: return this.reject(m.deliveryTag, m.multiple, m.requeue);
      case M.BasicReject: return this.reject(m.deliveryTag, false, m.requeue);
      case M.BasicConsume: return this.consume(m.queue, m.consumerTag, m.noAck, m.exclusive, m.noWait, m.arguments);
      case M.BasicCancel: return this.cancel(m.consumerTag, m.noWait);
      case M.BasicGet: return this.get(m.queue, m.noAck);
      case M.BasicQos: {
        if (m.prefetchSize !== 0) throw new ConnectionError(ReplyCode.NotImplemented, `prefetch_size!=0 (${m.prefetchSize})`);
        if (m.global) this.globalPrefetch = m.prefetchCount; else this.prefetch = m.prefetchCount;
        this.conn.send(this.id, { id: M.BasicQosOk });
        this.drainQueues();
        return;
      }
      case M.BasicRecover: case M.BasicRecoverAsync: {
        if (!m.requeue) throw new ConnectionError(ReplyCode.NotImplemented, 'requeue=false');
        this.requeueAll();
        if (m.id === M.BasicRecover) this.conn.send(this.id, { id: M.BasicRecoverOk });
        return;
      }
      case M.ExchangeDeclare: {
        ops.declareExchange(this.ctx, { name: m.exchange, type: m.type, passive: m.passive, durable: m.durable,
          autoDelete: m.autoDelete, internal: m.internal, args: m.arguments });
        if (!m.noWait) this.conn.send(this.id, { id: M.ExchangeDeclareOk });
        return;
      }
      case M.ExchangeDelete: {
        ops.deleteExchange(this.ctx, m.exchange, m.ifUnused);
        if (!m.noWait) this.conn.send(this.id, { id: M.ExchangeDeleteOk });
        return;
      }
      case M.ExchangeBind: case M.ExchangeUnbind: {
        const req = { destination: m.destination, destinationKind: 'exchange' as const, source: m.source, routingKey: m.routingKey, args: m.arguments };
        if (m.id === M.ExchangeBind) ops.bind(this.ctx, req); else ops.unbind(this.ctx, req);
        if (!m.noWait) this.conn.send(this.id, { id: m.id === M.ExchangeBind ? M.ExchangeBindOk : M.ExchangeUnbindOk });
        return;
      }
      case M.QueueDeclare: {
        const ok = ops.declareQueue(this.ctx, { name: m.queue, passive: m.passive, durable: m.durable,
          exclusive: m.exclusive, autoDelete: m.autoDelete, args: m.arguments });
        this.lastQueue = ok.name;
        if (m.exclusive) this.conn.exclusiveQueues.add(ok.name);
        if (!m.noWait) this.conn.send(this.id, { id: M.QueueDeclareOk, queue: ok.name, messageCount: ok.messageCount, consumerCount: ok.consumerCount });
        return;
      }
      case M.QueueBind: case M.QueueUnbind: {
        const req = { destination: this.queueName(m.queue), destinationKind: 'queue' as const, source: m.exchange, routingKey: m.routingKey, args: m.arguments };
        if (m.id === M.QueueBind) { ops.bind(this.ctx, req); if (!m.noWait) this.conn.send(this.id, { id: M.QueueBindOk }); }
        else { ops.unbind(this.ctx, req); this.conn.send(this.id, { id: M.QueueUnbindOk }); }
        return;
      }
      case M.QueuePurge: {
        const n = ops.purgeQueue(this.ctx, this.queueName(m.queue));
        if (!m.noWait) this.conn.send(this.id, { id: M.QueuePurgeOk, messageCount: n });
        return;
      }
      case M.QueueDelete: {
        const n = ops.deleteQueue(this.ctx, { name: this.queueName(m.queue), ifUnused: m.ifUnused, ifEmpty: m.ifEmpty });
        if (!m.noWait) this.conn.send(this.id, { id: M.QueueDeleteOk, messageCount: n });
        return;
      }
      case M.ChannelFlow: {
        if (!m.active) throw new ConnectionError(ReplyCode.NotImplemented, 'active=false');
        this.conn.send(this.id, { id: M.ChannelFlowOk, active: true });
        return;
      }
      case M.ChannelFlowOk: return;
      case M.ConfirmSelect: {
        if (this.tx) throw new ChannelError(ReplyCode.PreconditionFailed, 'cannot switch from tx to confirm mode');
        this.confirm = true;
        if (!m.nowait) this.conn.send(this.id, { id: M.ConfirmSelectOk });
        return;
      }
      case M.TxSelect: {
        if (this.confirm) throw new ChannelError(ReplyCode.PreconditionFailed, 'cannot switch from confirm to tx mode');
        this.tx = true;
        this.conn.send(this.id, { id: M.TxSelectOk });
        return;
      }
      case M.TxCommit: return this.commit();
      case M.TxRollback: return this.rollback();
      default:
        throw new ConnectionError(ReplyCode.CommandInvalid, `unexpected method in channel context`);
    }
  }

  onHeader(buf: Buffer, start: number, end: number): void {
    if (!this.publishing) throw new ConnectionError(ReplyCode.UnexpectedFrame, 'expected method frame, got non method frame instead', 0);
    if (this.propsRaw) throw new ConnectionError(ReplyCode.UnexpectedFrame, 'expected content body, got non content body frame instead', M.BasicPublish);
    const r = new Reader(buf, start, end);
    const classId = r.u16();
    r.u16(); // weight
    const size = r.u64();
    if (classId !== 60) {
      throw new ConnectionError(ReplyCode.UnexpectedFrame, `expected content header for class 60, got one for class ${classId} instead`, M.BasicPublish);
    }
    const max = this.conn.server.maxMessageSize;
    if (size > max) {
      this.publishing = undefined;
      // rabbit_channel:check_msg_size: "configured" unless the limit is the 512 MiB ceiling itself.
      throw new ChannelError(ReplyCode.PreconditionFailed,
        `message size ${size} is larger than ${max === MAX_MESSAGE_SIZE_CEILING ? '' : 'configured '}max size ${max}`);
    }
    this.propsRaw = buf.subarray(r.pos, end);
    this.bodySize = size;
    this.bodyReceived = 0;
    if (size === 0) this.finishPublish();
  }

  onBody(buf: Buffer, start: number, end: number): void {
    if (!this.publishing) throw new ConnectionError(ReplyCode.UnexpectedFrame, 'expected method frame, got non method frame instead', 0);
    if (!this.propsRaw) {
      throw new ConnectionError(ReplyCode.UnexpectedFrame, 'expected content header for class 60, got non content header frame instead', M.BasicPublish);
    }
    const n = end - start;
    this.bodyReceived += n;
    // Like RabbitMQ, a body longer than declared never completes: the message is not routed, and the
    // channel keeps waiting for a body until a method arrives (505). Nothing past the size is kept.
    if (this.bodyReceived > this.bodySize) { this.bodyParts = []; return; }
    this.bodyParts.push(buf.subarray(start, end));
    if (this.bodyReceived === this.bodySize) this.finishPublish();
  }

  // ---- publish ----

  private finishPublish(): void {
    const p = this.publishing!, raw = this.propsRaw!;
    const body = this.bodyParts.length === 1 ? this.bodyParts[0]! : Buffer.concat(this.bodyParts, this.bodySize);
    this.publishing = undefined; this.propsRaw = undefined; this.bodyParts = [];
    const props = decodePropsRaw(raw);
    const ctx = this.ctx;
    if (ctx.broker.permissionEpoch !== this.writableEpoch) { this.writable.clear(); this.writableEpoch = ctx.broker.permissionEpoch; }
    if (!this.writable.has(p.exchange)) {
      ctx.broker.checkPermission(ctx.user, ctx.vhost.name, 'write', 'exchange', p.exchange);
      if (this.writable.size < 1000) this.writable.add(p.exchange);
    }
    const ex = ops.lookupExchange(ctx, p.exchange);
    if (ex.def.internal) throw new ChannelError(ReplyCode.AccessRefused, `cannot publish to internal exchange '${p.exchange}' in vhost '${ctx.vhost.name}'`);
    if (ex.def.type === 'topic') ctx.broker.checkTopicPermission(ctx.user, ctx.vhost.name, ex.def.name, 'write', p.routingKey);
    if (props.userId !== undefined && props.userId !== ctx.user) {
      throw new ChannelError(ReplyCode.PreconditionFailed, `user_id property set to '${props.userId}' but authenticated user was '${ctx.user}'`);
    }
    if (props.expiration !== undefined && !/^\d+$/.test(props.expiration)) {
      throw new ChannelError(ReplyCode.PreconditionFailed, `invalid expiration '${props.expiration}': {error,no_integer}`);
    }
    const headers = props.headers;
    if (headers) {
      for (const h of ['CC', 'BCC']) {
        const v = headers[h];
        if (v !== undefined && !Array.isArray(v)) {
          throw new ChannelError(ReplyCode.PreconditionFailed, `invalid message: {unacceptable_type_in_header,"${h}",${argType(headers, h)}}`);
        }
      }
    }
    let msg = makeMessage(p.exchange, p.routingKey, raw, props, body);
    if (props.replyTo === REPLY_TO) {
      if (!this.replyConsumer) throw new ChannelError(ReplyCode.PreconditionFailed, 'fast reply consumer does not exist');
      msg = withProps(msg, { ...props, replyTo: `${REPLY_TO}.${this.replyToken}` });
    }
    const seq = this.confirm ? ++this.publishSeq : 0;
    this.stats.publish++;
    ctx.broker.stats.publish++;
    if (this.tx) { this.txPublishes.push({ ex, msg, mandatory: p.mandatory }); return; }
    this.route(ex, msg, p.mandatory, seq);
  }

  /** Routes and enqueues one message; returns the Enqueued bits (0 when it reached no queue). */
  private route(ex: Exchange, msg: Message, mandatory: boolean, seq: number): number {
    const conn = this.conn;
    if (ex.def.name === '' && msg.routingKey.startsWith(`${REPLY_TO}.`)) {
      const ok = conn.server.deliverReply(msg.routingKey.slice(REPLY_TO.length + 1), msg);
      if (!ok && mandatory) conn.sendReturn(this.id, ReplyCode.NoRoute, 'NO_ROUTE', msg);
      if (seq) this.confirmOk(seq);
      return 0;
    }
    const flags = this.ctx.vhost.publish(ex, msg, this.routed);
    if (flags < 0) {
      if (mandatory) { conn.sendReturn(this.id, ReplyCode.NoRoute, 'NO_ROUTE', msg); this.stats.returnUnroutable++; }
      else this.stats.dropUnroutable++;
      if (seq) this.confirmOk(seq);
      return 0;
    }
    if (seq) this.settleConfirm(seq, (flags & Enqueued.Rejected) === 0, (flags & Enqueued.Stored) !== 0);
    return flags;
  }

  private confirmOk(seq: number): void { this.settleConfirm(seq, true, false); }

  /**
   * Records the outcome of publish `seq` (settled in publish order). A stored message's confirm waits for the
   * store's fsync; acks go out in publish order, coalesced with multiple=true, and never cover a nack.
   */
  private settleConfirm(seq: number, ok: boolean, stored: boolean): void {
    this.stats.confirm++;
    if (this.confirmStates.length === this.confirmHead) this.confirmBase = seq;
    this.confirmStates.push(stored ? (ok ? Confirm.Wait : Confirm.WaitNack) : ok ? Confirm.Ack : Confirm.Nack);
    if (!stored) { this.conn.markDirty(this); return; }
    this.storedUpTo = seq;
    this.requestSync();
  }

  private requestSync(): void {
    if (this.syncRequested) return;
    this.syncRequested = true;
    const upTo = this.storedUpTo;
    this.ctx.broker.store!.sync((err) => {
      this.syncRequested = false;
      const st = this.confirmStates;
      // A failed WAL write: what it held is not on disk, so it is nacked, never acked.
      const written = err ? Confirm.Nack : Confirm.Ack;
      for (let i = this.confirmHead; i < st.length && this.confirmBase + (i - this.confirmHead) <= upTo; i++) {
        if (st[i] === Confirm.Wait) st[i] = written; else if (st[i] === Confirm.WaitNack) st[i] = Confirm.Nack;
      }
      if (this.storedUpTo > upTo) this.requestSync();
      this.conn.markDirty(this);
    });
  }

  /** Sends the confirms that are ready, in publish order (called once per event-loop turn). */
  flushConfirms(): void {
    if (this.closing) return;
    const st = this.confirmStates;
    let runEnd = 0;
    while (this.confirmHead < st.length) {
      const s = st[this.confirmHead]!;
      if (s === Confirm.Wait || s === Confirm.WaitNack) break;
      const seq = this.confirmBase;
      if (s === Confirm.Ack) runEnd = seq;
      else {
        if (runEnd) { this.sendAck(runEnd); runEnd = 0; }
        this.conn.send(this.id, { id: M.BasicNack, deliveryTag: seq, multiple: false, requeue: false });
        this.confirmed = seq;
      }
      this.confirmHead++;
      this.confirmBase++;
    }
    if (runEnd) this.sendAck(runEnd);
    if (this.confirmHead > 1024 && this.confirmHead * 2 > st.length) { st.splice(0, this.confirmHead); this.confirmHead = 0; }
  }

  private sendAck(upTo: number): void {
    this.conn.send(this.id, { id: M.BasicAck, deliveryTag: upTo, multiple: upTo - this.confirmed > 1 });
    this.confirmed = upTo;
  }

  // ---- consume / deliver ----

  private queueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueue === '') throw new ChannelError(ReplyCode.NotFound, 'no previously declared queue');
    return this.lastQueue;
  }

  private consume(queueName: string, tag: string, noAck: boolean, exclusive: boolean, noWait: boolean, args: Record<string, unknown>): void {
    if (tag === '') tag = `amq.ctag-${randomBytes(16).toString('base64url').slice(0, 22)}`;
    if (this.consumers.has(tag) || tag === this.replyConsumer) throw new ConnectionError(ReplyCode.NotAllowed, `attempt to reuse consumer tag '${tag}'`);
    if (queueName === REPLY_TO) {
      if (!noAck) throw new ChannelError(ReplyCode.PreconditionFailed, 'reply consumer cannot acknowledge');
      if (this.replyConsumer) throw new ChannelError(ReplyCode.PreconditionFailed, 'reply consumer already set');
      this.replyConsumer = tag;
      this.conn.server.replyChannels.set(this.replyToken, this);
      if (!noWait) this.conn.send(this.id, { id: M.BasicConsumeOk, consumerTag: tag });
      return;
    }
    const ctx = this.ctx;
    const name = this.queueName(queueName);
    const q = ops.lookupQueue(ctx, name);
    ops.checkExclusive(ctx, q);
    ctx.broker.checkPermission(ctx.user, ctx.vhost.name, 'read', 'queue', name);
    const prio = args['x-priority'];
    const priority = typeof prio === 'number' ? prio : 0;
    const c = new Consumer(this, tag, q, noAck, exclusive, priority, this.prefetch);
    q.checkConsume(exclusive);
    this.consumers.set(tag, c);
    // consume-ok must go out before the first delivery, which addConsumer may make at once.
    if (!noWait) this.conn.send(this.id, { id: M.BasicConsumeOk, consumerTag: tag });
    q.addConsumer(c);
  }

  private cancel(tag: string, noWait: boolean): void {
    if (tag === this.replyConsumer) {
      this.replyConsumer = undefined;
      this.conn.server.replyChannels.delete(this.replyToken);
    }
    const c = this.consumers.get(tag);
    if (c) this.removeConsumer(c);
    if (!noWait) this.conn.send(this.id, { id: M.BasicCancelOk, consumerTag: tag });
  }

  private removeConsumer(c: Consumer): void {
    this.consumers.delete(c.tag);
    c.queue.removeConsumer(c);
  }

  consumerCancelledByQueue(c: Consumer): void {
    if (!this.consumers.delete(c.tag)) return;
    if (this.conn.capabilities.consumerCancelNotify && !this.closing) {
      this.conn.send(this.id, { id: M.BasicCancel, consumerTag: c.tag, noWait: true });
    }
  }

  deliver(c: Consumer, queue: Queue, entry: Entry): void {
    const tag = this.nextTag++;
    const s = this.stats, qs = queue.stats;
    if (c.noAck) { s.deliverNoAck++; qs.deliverNoAck++; } else { s.deliver++; qs.deliver++; }
    if (entry.redelivered) { s.redeliver++; qs.redeliver++; }
    if (!c.noAck) {
      this.unacked.set(tag, { tag, queue, entry, consumer: c });
      c.unacked++;
      this.unackedCount++;
      if (this.ackWatch?.running !== true) this.watchAcks();
    }
    this.conn.sendDeliver(this.id, c.tag, tag, entry.redelivered, entry.msg);
  }

  /** Direct reply-to: a reply addressed to this channel. */
  deliverReply(msg: Message): void {
    this.conn.sendDeliver(this.id, this.replyConsumer!, this.nextTag++, false, msg);
  }

  private get(queueName: string, noAck: boolean): void {
    const ctx = this.ctx;
    const name = this.queueName(queueName);
    const q = ops.lookupQueue(ctx, name);
    ops.checkExclusive(ctx, q);
    ctx.broker.checkPermission(ctx.user, ctx.vhost.name, 'read', 'queue', name);
    const e = q.get(noAck);
    if (!e) { this.stats.getEmpty++; q.stats.getEmpty++; this.conn.send(this.id, { id: M.BasicGetEmpty, reserved1: '' }); return; }
    const tag = this.nextTag++;
    if (noAck) { this.stats.getNoAck++; q.stats.getNoAck++; } else { this.stats.get++; q.stats.get++; }
    if (e.redelivered) { this.stats.redeliver++; q.stats.redeliver++; }
    if (!noAck) {
      this.unacked.set(tag, { tag, queue: q, entry: e, consumer: undefined });
      this.unackedCount++;
      if (this.ackWatch?.running !== true) this.watchAcks();
    }
    this.conn.sendGetOk(this.id, tag, e.redelivered, e.msg, q.messageCount);
  }

  // ---- consumer_timeout (ack-timeout.ts) ----

  private watchAcks(): void {
    const ms = this.conn.server.consumerTimeout;
    if (ms !== undefined) (this.ackWatch ??= new AckWatch(this, ms)).delivered();
  }

  get nextDeliveryTag(): number { return this.nextTag; }

  oldestUnacked(): number | undefined {
    for (const tag of this.unacked.keys()) return tag; // the map is in delivery-tag order
    return undefined;
  }

  ackTimedOut(ms: number): void {
    if (this.closing || this.conn.state !== 'opened') return;
    const u = this.unacked.values().next().value as Unacked;
    this.conn.server.log('warning', `Consumer ${u.consumer?.tag ?? u.tag} on channel ${this.id} has timed out waiting for ` +
      `delivery acknowledgement. Timeout used: ${ms} ms. This timeout value can be configured, see consumers doc guide to learn more`);
    this.conn.closeChannel(this.id, new ChannelError(ReplyCode.PreconditionFailed, ackTimeoutText(this.id, ms)));
  }

  // ---- settlement ----

  /** Removes and returns the unacked records an ack/nack names; 406 for an unknown tag. */
  private take(tag: number, multiple: boolean): Unacked[] {
    const out: Unacked[] = [];
    if (multiple) {
      for (const [t, u] of this.unacked) {
        if (tag !== 0 && t > tag) break;
        out.push(u);
        this.unacked.delete(t);
      }
      if (out.length === 0 && tag !== 0 && !this.unacked.has(tag)) {
        throw new ChannelError(ReplyCode.PreconditionFailed, `unknown delivery tag ${tag}`);
      }
      return out;
    }
    const u = this.unacked.get(tag);
    if (!u) throw new ChannelError(ReplyCode.PreconditionFailed, `unknown delivery tag ${tag}`);
    this.unacked.delete(tag);
    out.push(u);
    return out;
  }

  private released(items: Unacked[]): void {
    for (const u of items) {
      this.unackedCount--;
      if (u.consumer) u.consumer.unacked--;
    }
  }

  private ack(tag: number, multiple: boolean): void {
    const items = this.take(tag, multiple);
    if (this.tx) { this.txAcks.push({ requeue: undefined, items }); return; }
    this.settle(items, undefined);
  }

  private reject(tag: number, multiple: boolean, requeue: boolean): void {
    const items = this.take(tag, multiple);
    if (this.tx) { this.txAcks.push({ requeue, items }); return; }
    this.settle(items, requeue);
  }

  /** requeue undefined = ack; true = requeue; false = discard (dead-letter). */
  private settle(items: Unacked[], requeue: boolean | undefined): void {
    this.released(items);
    if (requeue === undefined) this.stats.ack += items.length;
    for (const [q, entries] of byQueue(items)) {
      if (requeue === undefined) q.settle(entries);
      else if (requeue) q.requeue(entries);
      else q.discard(entries);
    }
    this.drainQueues();
  }

  private requeueAll(): void {
    const items = [...this.unacked.values()];
    this.unacked.clear();
    this.settle(items, true);
  }

  /** Queues of this channel's consumers may deliver again (credit came back). */
  drainQueues(): void {
    if (this.consumers.size === 0) return;
    const seen = new Set<Queue>();
    for (const c of this.consumers.values()) {
      if (seen.has(c.queue)) continue;
      seen.add(c.queue);
      c.queue.drain();
    }
  }

  // ---- transactions ----

  private commit(): void {
    if (!this.tx) throw new ChannelError(ReplyCode.PreconditionFailed, 'channel is not transactional');
    const pubs = this.txPublishes, acks = this.txAcks;
    this.txPublishes = []; this.txAcks = [];
    let stored = false;
    for (const p of pubs) if (this.route(p.ex, p.msg, p.mandatory, 0) & Enqueued.Stored) stored = true;
    for (const a of acks) this.settle(a.items, a.requeue);
    // commit-ok means the transaction's persistent messages are on disk, as with RabbitMQ.
    if (stored) {
      this.ctx.broker.store!.sync((err) => {
        if (this.closing) return;
        if (err) this.conn.close(ReplyCode.InternalError, `cannot write persistent messages: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        else this.conn.send(this.id, { id: M.TxCommitOk });
      });
    }
    else this.conn.send(this.id, { id: M.TxCommitOk });
  }

  private rollback(): void {
    if (!this.tx) throw new ChannelError(ReplyCode.PreconditionFailed, 'channel is not transactional');
    this.txPublishes = [];
    // Acks in a rolled-back transaction are forgotten: the messages stay unacknowledged, same tags.
    const restored = [...this.unacked.values()];
    for (const a of this.txAcks) restored.push(...a.items);
    this.txAcks = [];
    restored.sort((x, y) => x.tag - y.tag);
    this.unacked.clear();
    for (const u of restored) this.unacked.set(u.tag, u);
    this.conn.send(this.id, { id: M.TxRollbackOk });
  }

  // ---- shutdown ----

  /** Channel closed (by either side) or its connection went away: requeue unacked, drop consumers. */
  teardown(): void {
    if (!this.retired) { this.retired = true; this.conn.server.channelRetired(this.stats); }
    this.closing = true;
    this.ackWatch?.stop();
    for (const c of [...this.consumers.values()]) this.removeConsumer(c);
    if (this.replyConsumer) { this.conn.server.replyChannels.delete(this.replyToken); this.replyConsumer = undefined; }
    for (const a of this.txAcks) for (const u of a.items) this.unacked.set(u.tag, u);
    this.txAcks = [];
    const items = [...this.unacked.values()];
    this.unacked.clear();
    this.released(items);
    for (const [q, entries] of byQueue(items)) q.requeue(entries);
  }
}

function byQueue(items: Unacked[]): Map<Queue, Entry[]> {
  const m = new Map<Queue, Entry[]>();
  for (const u of items) {
    let l = m.get(u.queue);
    if (!l) { l = []; m.set(u.queue, l); }
    l.push(u.entry);
  }
  return m;
}
