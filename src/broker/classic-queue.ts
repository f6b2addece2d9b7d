// Classic queue: ready messages (ReadyList: a bounded window in memory, the rest paged to disk; everything
// paged for lazy queues), consumers served by priority then round-robin, TTL expiry at the head with a timer,
// max-length overflow, dead-lettering, single active consumer, x-expires.
import { ChannelError, ReplyCode } from '../amqp/errors.js';
import type { FieldTable, FieldValue } from '../amqp/table.js';
import { effective } from './policy.js';
import { decodePropsRaw, makeMessage, type Message } from './message.js';
import { PAGE_FILE, type PagedEntry, type PagedList } from './paged-list.js';
import { ReadyList, type PageIO } from './ready-list.js';
import { MessageStats } from './stats.js';
import type { StoredRef } from '../store/store.js';
import type { Entry, PublishResult, Queue, QueueConsumer, QueueDecl, QueueHost } from './queue.js';

type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

function num(v: FieldValue | undefined): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

export class ClassicQueue implements Queue {
  readonly type = 'classic';
  vhost: string; name: string; durable: boolean; autoDelete: boolean; owner: string | undefined; args: FieldTable;

  private ready: ReadyList;
  private consumers: QueueConsumer[] = [];
  private rr = 0;
  private nextSeq = 1;
  private hadConsumer = false;
  private draining = false;
  private redrain = false;
  private ttlTimer: NodeJS.Timeout | undefined;
  private ttlTimerAt = 0;
  private expiresTimer: NodeJS.Timeout | undefined;
  private deleted = false;
  /** Messages delivered and not yet settled. */
  unackedCount = 0;
  /** Body bytes of the delivered, unacknowledged messages. */
  unackedBytes = 0;
  readonly stats = new MessageStats();

  // effective settings (arguments now; policies merge in with issue 3)
  messageTtl: number | undefined;
  expires: number | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: Overflow = 'drop-head';
  dlx: string | undefined;
  dlrk: string | undefined;
  singleActive = false;

  constructor(decl: QueueDecl, private readonly host: QueueHost) {
    this.vhost = decl.vhost; this.name = decl.name; this.durable = decl.durable; this.autoDelete = decl.autoDelete;
    this.owner = decl.owner; this.args = decl.args;
    this.ready = new ReadyList(Math.min(255, Math.max(0, num(decl.args['x-max-priority']) ?? 0)), host.store ? this.pageIO() : undefined);
    this.reconfigure();
    this.touch();
  }

  /** The merged policy + operator policy definition in effect ({} when none applies). */
  policy: Record<string, unknown> = {};

  /**
   * Recomputes the settings in effect from the arguments and `policy` (RabbitMQ's precedence: the lowest
   * numeric limit wins, otherwise the argument), then applies a lowered limit or TTL at once.
   */
  reconfigure(policy: Record<string, unknown> = this.policy): void {
    this.policy = policy;
    const a = this.args;
    const str = (k: string) => { const v = effective(a, policy, k); return typeof v === 'string' ? v : undefined; };
    this.messageTtl = num(effective(a, policy, 'message-ttl') as FieldValue);
    const expires = this.expires;
    this.expires = num(effective(a, policy, 'expires') as FieldValue);
    this.maxLength = num(effective(a, policy, 'max-length') as FieldValue);
    this.maxLengthBytes = num(effective(a, policy, 'max-length-bytes') as FieldValue);
    this.overflow = (str('overflow') ?? 'drop-head') as Overflow;
    this.dlx = str('dead-letter-exchange');
    this.dlrk = str('dead-letter-routing-key');
    this.queueMode = str('queue-mode') ?? 'default';
    this.ready.lazy = this.queueMode === 'lazy';
    this.singleActive = a['x-single-active-consumer'] === true;
    if (this.overflow === 'drop-head') {
      while (this.overLimit(0, 0) && this.ready.length > 0) {
        const dropped = this.ready.shiftOldest()!;
        this.host.deadLetter(this, [dropped], 'maxlen');
        this.gone(dropped);
      }
    }
    if (expires !== this.expires) this.touch();
  }

  /** 'lazy' by argument or policy: every waiting message's body is paged out. */
  queueMode = 'default';

  /**
   * How this queue's entries go to disk and back. A persistent message in a durable queue is already in the
   * WAL (its record is referenced, nothing is written); any other body goes to the page file once, shared by
   * every queue that pages the same message.
   */
  private pageIO(): PageIO {
    const store = this.host.store!;
    const pageIO: PageIO = {
      out: (e: Entry, p: PagedEntry) => {
        const m = e.msg;
        p.seq = e.seq; p.size = m.body.length; p.exp = e.expiresAt; p.prio = 0;
        if (this.holdsStored(m)) {
          p.id = m.stored.id; p.seg = m.stored.segment; p.off = m.stored.offset; p.len = m.stored.length;
          return true;
        }
        let ref = m.page;
        if (ref) store.retainPage(ref.segment);
        else if (store.pages.error) return false;
        else ref = m.page = store.writePage(m.exchange, m.routingKey, m.propsRaw, m.body);
        p.id = 0; p.seg = (ref.segment | PAGE_FILE) >>> 0; p.off = ref.offset; p.len = ref.length;
        return true;
      },
      in: (p: PagedEntry): Entry | undefined => {
        const pageFile = p.seg >= PAGE_FILE, seg = pageFile ? p.seg - PAGE_FILE : p.seg;
        let rec;
        try { rec = store.readRecord(pageFile, seg, p.off, p.len); } catch (err) {
          // A record damaged on disk since it was written: that message is lost; the queue goes on.
          process.stderr.write(`${new Date().toISOString()} [error] queue '${this.name}' in vhost '${this.vhost}': dropping a message that cannot be read back: ${(err as Error).message}\n`);
          pageIO.drop(p);
          return undefined;
        }
        const msg = makeMessage(rec.exchange, rec.routingKey, rec.props, decodePropsRaw(rec.props), rec.body);
        if (pageFile) store.releasePage(seg);
        else msg.stored = { id: p.id, segment: seg, offset: p.off, length: p.len };
        return { msg, seq: p.seq, redelivered: false, expiresAt: p.exp };
      },
      drop: (p: PagedEntry) => {
        if (p.seg >= PAGE_FILE) store.releasePage(p.seg - PAGE_FILE);
        else this.host.release(this, { id: p.id, segment: p.seg, offset: p.off, length: p.len });
      },
    };
    return pageIO;
  }

  get messageCount(): number { return this.ready.length; }
  /** Ready messages whose bodies are in memory (the rest are paged out). */
  get messagesRam(): number { return this.ready.memLength; }
  get messageBytesRam(): number { return this.ready.memBytes; }
  get consumerCount(): number { return this.consumers.length; }
  // Read-only views for the management API.
  get messageBytes(): number { return this.ready.bytes; }
  get activeConsumerTag(): string | undefined { return this.singleActive ? this.consumers[0]?.tag : undefined; }
  hasConsumers(): boolean { return this.consumers.length > 0; }

  private expiryFor(msg: Message): number {
    const t = msg.ttl === undefined ? this.messageTtl : this.messageTtl === undefined ? msg.ttl : Math.min(msg.ttl, this.messageTtl);
    return t === undefined ? 0 : this.host.now() + t;
  }

  private overLimit(extraCount: number, extraBytes: number): boolean {
    return (this.maxLength !== undefined && this.ready.length + extraCount > this.maxLength) ||
      (this.maxLengthBytes !== undefined && this.ready.bytes + extraBytes > this.maxLengthBytes);
  }

  publish(msg: Message): PublishResult {
    this.stats.publish++;
    const entry: Entry = { msg, seq: this.nextSeq++, redelivered: false, expiresAt: this.expiryFor(msg) };
    if (this.overflow !== 'drop-head' && this.overLimit(1, msg.body.length)) {
      if (this.overflow === 'reject-publish-dlx') this.host.deadLetter(this, [entry], 'maxlen');
      this.gone(entry);
      return 'rejected';
    }
    // TTL 0: deliverable now or never (RabbitMQ's replacement for `immediate`).
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.host.now()) {
      if (this.ready.length === 0 && this.deliverNow(entry)) return 'ok';
      this.host.deadLetter(this, [entry], 'expired');
      this.gone(entry);
      return 'ok';
    }
    this.ready.push(entry);
    if (this.overflow === 'drop-head') {
      while (this.overLimit(0, 0) && this.ready.length > 0) {
        const dropped = this.ready.shiftOldest()!;
        this.host.deadLetter(this, [dropped], 'maxlen');
        this.gone(dropped);
      }
    }
    this.drain();
    if (entry.expiresAt && this.ready.length) this.scheduleExpiry();
    return 'ok';
  }

  /** Hands an entry straight to a consumer with credit, bypassing the ready list. */
  private deliverNow(entry: Entry): boolean {
    const c = this.pickConsumer();
    if (!c) return false;
    if (!c.noAck) { this.unackedCount++; this.unackedBytes += entry.msg.body.length; }
    c.deliver(this, entry);
    if (c.noAck) this.gone(entry);
    return true;
  }

  private pickConsumer(): QueueConsumer | undefined {
    const cs = this.consumers;
    const n = cs.length;
    if (n === 0) return undefined;
    if (this.singleActive) { const c = cs[0]!; return c.canTake() ? c : undefined; }
    // Consumers are kept sorted by priority (highest first); round-robin within the best group with credit.
    let i = 0;
    while (i < n) {
      const p = cs[i]!.priority;
      let j = i;
      while (j < n && cs[j]!.priority === p) j++;
      const size = j - i;
      for (let k = 0; k < size; k++) {
        const idx = i + ((this.rr + k) % size);
        const c = cs[idx]!;
        if (c.canTake()) { this.rr = (idx - i + 1) % size; return c; }
      }
      i = j;
    }
    return undefined;
  }

  drain(): void {
    if (this.draining) { this.redrain = true; return; }
    this.draining = true;
    try {
      do {
        this.redrain = false;
        this.expireNow();
        while (this.ready.length > 0) {
          const c = this.pickConsumer();
          if (!c) break;
          const e = this.ready.shift()!;
          if (!c.noAck) { this.unackedCount++; this.unackedBytes += e.msg.body.length; }
          c.deliver(this, e);
          if (c.noAck) this.gone(e);
        }
      } while (this.redrain);
    } finally { this.draining = false; }
  }

  get(noAck: boolean): Entry | undefined {
    this.touch();
    this.expireNow();
    const e = this.ready.shift();
    if (e) { if (noAck) this.gone(e); else { this.unackedCount++; this.unackedBytes += e.msg.body.length; } }
    return e;
  }

  /** Entries leave the unacknowledged set (requeued or rejected; settle() does it in its own loop). */
  private unacked(entries: Entry[]): void {
    this.unackedCount -= entries.length;
    for (const e of entries) this.unackedBytes -= e.msg.body.length;
  }

  settle(entries: Entry[]): void {
    this.unackedCount -= entries.length;
    this.stats.ack += entries.length;
    for (const e of entries) { this.unackedBytes -= e.msg.body.length; this.gone(e); }
  }

  /** Whether the store's record of this message counts this queue (persistent, in a durable queue). */
  private holdsStored(m: Message): m is Message & { stored: StoredRef } { return m.stored !== undefined && this.durable && this.owner === undefined; }

  /** A message left this queue for good: a stored one is released from the store. */
  private gone(e: Entry): void {
    if (this.holdsStored(e.msg)) this.host.release(this, e.msg.stored);
  }

  /**
   * Puts recovered messages back, in publish order, without reading them: they stay on disk until delivered.
   * `exp` holds each message's own TTL + 1 (0: none); the expiry counts from now, as after a RabbitMQ restart.
   */
  restore(list: PagedList): void {
    const now = this.host.now();
    list.forEach((p) => {
      const own = p.exp ? p.exp - 1 : undefined;
      const t = own === undefined ? this.messageTtl : this.messageTtl === undefined ? own : Math.min(own, this.messageTtl);
      const prio = p.prio;
      p.seq = this.nextSeq++;
      p.exp = t === undefined ? 0 : now + t;
      p.prio = 0;
      this.ready.pushPaged(p, prio);
    });
    this.scheduleExpiry();
  }

  requeue(entries: Entry[]): void {
    this.unacked(entries);
    if (this.deleted) { for (const e of entries) this.gone(e); return; }
    for (const e of entries) { e.redelivered = true; this.ready.requeue(e); }
    this.drain();
    this.scheduleExpiry();
  }

  discard(entries: Entry[]): void {
    this.unacked(entries);
    if (!this.deleted) this.host.deadLetter(this, entries, 'rejected');
    for (const e of entries) this.gone(e);
  }

  checkConsume(exclusive: boolean): void {
    if (this.consumers.length > 0 && (exclusive || this.consumers.some((x) => x.exclusive))) {
      throw new ChannelError(ReplyCode.AccessRefused, `queue '${this.name}' in vhost '${this.vhost}' in exclusive use`);
    }
  }

  addConsumer(c: QueueConsumer): void {
    this.hadConsumer = true;
    let i = 0;
    while (i < this.consumers.length && this.consumers[i]!.priority >= c.priority) i++;
    if (this.singleActive) i = this.consumers.length;
    this.consumers.splice(i, 0, c);
    this.touch();
    this.drain();
  }

  removeConsumer(c: QueueConsumer): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (this.consumers.length === 0) {
      if (this.autoDelete && this.hadConsumer) { this.host.requestDelete(this, 'auto-delete'); return; }
      this.touch();
    } else this.drain();
  }

  touch(): void {
    if (this.expires === undefined || this.deleted) return;
    clearTimeout(this.expiresTimer);
    if (this.consumers.length > 0) return;
    this.expiresTimer = setTimeout(() => {
      if (this.consumers.length === 0) this.host.requestDelete(this, 'expired');
    }, this.expires);
    this.expiresTimer.unref?.();
  }

  private expireNow(): void {
    if (this.ready.length === 0 || !this.ready.mayExpire) return;
    const now = this.host.now();
    this.ready.expireHeads(now, (e) => { this.host.deadLetter(this, [e], 'expired'); this.gone(e); });
  }

  private scheduleExpiry(): void {
    const next = this.ready.nextExpiry();
    if (!next || (this.ttlTimer && this.ttlTimerAt <= next)) return;
    clearTimeout(this.ttlTimer);
    this.ttlTimerAt = next;
    this.ttlTimer = setTimeout(() => {
      this.ttlTimer = undefined;
      this.ttlTimerAt = 0;
      this.expireNow();
      this.drain();
      this.scheduleExpiry();
    }, Math.max(0, next - this.host.now()) + 1);
    this.ttlTimer.unref?.();
  }

  purge(): number {
    return this.ready.clear((e) => this.gone(e));
  }

  destroy(): number {
    this.deleted = true;
    clearTimeout(this.ttlTimer);
    clearTimeout(this.expiresTimer);
    const n = this.ready.clear((e) => this.gone(e));
    const cs = this.consumers;
    this.consumers = [];
    for (const c of cs) c.cancelledByQueue(this);
    return n;
  }
}
