// A virtual host at run time: exchange routers and queue instances built from the metadata changes, routing
// (default exchange, e2e bindings, alternate exchanges, CC/BCC) and dead-lettering with x-death.
import { Typed, type FieldTable, type FieldValue } from '../amqp/table.js';
import type { BasicProperties } from '../amqp/spec.generated.js';
import { ClassicQueue } from './classic-queue.js';
import { MessageStats } from './stats.js';
import type { Store, StoredRef } from '../store/store.js';
import { withProps, type Message } from './message.js';
import type { BindingDef, Change, ExchangeDef, VhostState } from './metadata.js';
import { effectiveDefinition, matchPolicy } from './policy.js';
import type { Entry, Queue, QueueHost } from './queue.js';
import { exchangeType, type Router } from './router.js';
import './exchanges/index.js';

export class Exchange {
  readonly router: Router<Dest>;
  constructor(readonly def: ExchangeDef) {
    this.router = exchangeType(def.type)!.create<Dest>();
  }
  /** Bindings from this exchange to other exchanges; routing takes a slower path while there are any. */
  exchangeBindings = 0;
  readonly stats = new MessageStats();
  get name(): string { return this.def.name; }
  /** The alternate exchange in effect: the argument, else the policy's (RabbitMQ's precedence). */
  policyAlternate: string | undefined;
  get alternate(): string | undefined {
    const ae = this.def.args['alternate-exchange'];
    return typeof ae === 'string' ? ae : this.policyAlternate;
  }
}

export type Dest = Queue | Exchange;

export interface VhostOwner {
  now(): number;
  /** Deletes a queue through the metadata path (auto-delete, x-expires). */
  deleteQueue(vhost: string, name: string): void;
  /** Called after a queue is removed (cancel its consumers etc. already done by destroy). */
  onQueueRemoved?(q: Queue): void;
  /** The durable store, when the node has one (tests may run without). */
  readonly store: Store | undefined;
  /** This vhost's metadata (for its policies). */
  meta(vhost: string): VhostState | undefined;
}

/** enqueue() result bits. */
export const Enqueued = { Rejected: 1, Stored: 2 } as const;

const MAX_AE_HOPS = 16;

export class VirtualHost implements QueueHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  /** Scratch sets reused by every route() call. */
  private readonly visited = new Set<Exchange>();
  private readonly dests = new Set<Dest>();
  private readonly stack: Exchange[] = [];
  private readonly seen = new Set<Exchange>();

  constructor(readonly name: string, private readonly owner: VhostOwner) {}

  now(): number { return this.owner.now(); }
  get store(): Store | undefined { return this.owner.store; }

  applyChange(c: Change): void {
    switch (c.type) {
      case 'exchange.added': { const e = new Exchange(c.def); this.exchanges.set(c.def.name, e); this.applyPolicies(undefined, e); break; }
      case 'exchange.removed': this.exchanges.delete(c.def.name); break;
      case 'queue.added': {
        const q = new ClassicQueue({ vhost: c.def.vhost, name: c.def.name, durable: c.def.durable,
          autoDelete: c.def.autoDelete, owner: c.def.owner, args: c.def.args }, this);
        this.queues.set(c.def.name, q);
        this.applyPolicies(q);
        break;
      }
      case 'queue.removed': {
        const q = this.queues.get(c.def.name);
        if (q) { this.queues.delete(c.def.name); q.destroy(); this.owner.onQueueRemoved?.(q); }
        break;
      }
      case 'binding.added': case 'binding.removed': {
        const src = this.exchanges.get(c.def.source);
        const dest = this.destOf(c.def);
        if (!src || !dest) break;
        const e2e = c.def.destinationKind === 'exchange' ? 1 : 0;
        if (c.type === 'binding.added') { src.router.bind(dest, c.def.routingKey, c.def.args); src.exchangeBindings += e2e; }
        else { src.router.unbind(dest, c.def.routingKey, c.def.args); src.exchangeBindings -= e2e; }
        break;
      }
      default: break;
    }
  }

  /** Policies changed (or an entity was added): recompute what applies to `q`/`e`, or to everything. */
  applyPolicies(q?: Queue, e?: Exchange): void {
    const m = this.owner.meta(this.name);
    if (!m) return;
    const forQueue = (x: Queue) => x.reconfigure(effectiveDefinition(matchPolicy(m.policies.values(), x.name, 'queue', x.type),
      matchPolicy(m.operatorPolicies.values(), x.name, 'queue', x.type)));
    const forExchange = (x: Exchange) => {
      const ae = matchPolicy(m.policies.values(), x.name, 'exchange')?.definition['alternate-exchange'];
      x.policyAlternate = typeof ae === 'string' ? ae : undefined;
    };
    if (q) return forQueue(q);
    if (e) return forExchange(e);
    for (const x of this.queues.values()) forQueue(x);
    for (const x of this.exchanges.values()) forExchange(x);
  }

  private destOf(b: BindingDef): Dest | undefined {
    return b.destinationKind === 'queue' ? this.queues.get(b.destination) : this.exchanges.get(b.destination);
  }

  /**
   * Adds to `out` every queue the message reaches from `ex`: all routing keys (the message's, then CC and BCC),
   * through exchange-to-exchange bindings (each exchange visited once), then the alternate-exchange chain
   * when nothing was reached.
   */
  route(ex: Exchange, msg: Message, out: Set<Queue>): void {
    this.routeFrom(ex, msg, out);
    if (out.size !== 0 || ex.alternate === undefined) return;
    let hops = 0;
    let cur: Exchange | undefined = ex;
    const tried = this.visited;
    tried.clear();
    while (out.size === 0 && cur && hops++ < MAX_AE_HOPS) {
      tried.add(cur);
      const aeName: string | undefined = cur.alternate;
      cur = aeName === undefined ? undefined : this.exchanges.get(aeName);
      if (!cur || tried.has(cur)) break;
      this.routeFrom(cur, msg, out);
    }
    tried.clear();
  }

  private routeFrom(ex: Exchange, msg: Message, out: Set<Queue>): void {
    const headers = msg.props.headers;
    this.routeKey(ex, msg.routingKey, headers, out);
    if (headers) {
      for (const h of ['CC', 'BCC']) {
        const v = headers[h];
        if (Array.isArray(v)) for (const k of v) if (typeof k === 'string') this.routeKey(ex, k, headers, out);
      }
    }
  }

  private routeKey(ex: Exchange, key: string, headers: FieldTable | undefined, out: Set<Queue>): void {
    if (ex.def.name === '') {
      const q = this.queues.get(key);
      if (q) out.add(q);
      return;
    }
    // The common case: no exchange-to-exchange bindings from here, so the router fills `out` directly.
    if (ex.exchangeBindings === 0) { ex.router.route(key, headers, out as Set<Dest>); return; }
    const visited = this.seen;
    visited.clear();
    const stack = this.stack;
    stack.length = 0;
    stack.push(ex);
    const dests = this.dests;
    while (stack.length) {
      const e = stack.pop()!;
      if (visited.has(e)) continue;
      visited.add(e);
      dests.clear();
      e.router.route(key, headers, dests);
      for (const d of dests) {
        if (d instanceof Exchange) stack.push(d); else out.add(d);
      }
    }
    dests.clear();
    visited.clear();
  }

  /**
   * Routes a published message from `ex` and puts it into the queues reached (BCC stripped first).
   * Returns -1 when it reached no queue, else the Enqueued bits. `out` is the caller's scratch set.
   */
  publish(ex: Exchange, msg: Message, out: Set<Queue>): number {
    out.clear();
    this.route(ex, msg, out);
    ex.stats.publishIn++;
    if (out.size === 0) return -1;
    ex.stats.publishOut++;
    const headers = msg.props.headers;
    if (headers && headers.BCC !== undefined) {
      const h = { ...headers };
      delete h.BCC;
      msg = withProps(msg, { ...msg.props, headers: h });
    }
    const flags = this.enqueue(out, msg);
    out.clear();
    return flags;
  }

  /**
   * Puts a routed message into its queues. A persistent message routed to any durable queue is appended to
   * the store first, once for all of them. Returns Enqueued bits: Rejected (a queue refused it, overflow)
   * and Stored (its confirm must wait for the store's sync).
   */
  enqueue(out: Set<Queue>, msg: Message): number {
    let flags = 0;
    const store = this.owner.store;
    if (msg.persistent && store) {
      let durable: { vhost: string; name: string }[] | undefined;
      for (const q of out) if (q.durable && q.owner === undefined) (durable ??= []).push({ vhost: this.name, name: q.name });
      if (durable) {
        msg.stored = store.publish(durable, msg.exchange, msg.routingKey, msg.propsRaw, msg.body);
        flags |= Enqueued.Stored;
      }
    }
    for (const q of out) if (q.publish(msg) === 'rejected') flags |= Enqueued.Rejected;
    return flags;
  }

  // ---- QueueHost ----

  release(q: Queue, ref: StoredRef): void { this.owner.store?.release(this.name, q.name, ref); }

  requestDelete(q: Queue): void {
    if (this.queues.get(q.name) === q) this.owner.deleteQueue(this.name, q.name);
  }

  deadLetter(from: Queue, entries: Entry[], reason: 'rejected' | 'expired' | 'maxlen'): void {
    const dlxName = from.dlx;
    if (dlxName === undefined) return;
    const dlx = this.exchanges.get(dlxName);
    if (!dlx) return;
    const dlrk = from.dlrk;
    const out = new Set<Queue>();
    for (const e of entries) {
      const msg = deadLetteredMessage(e.msg, from, reason, dlxName, dlrk, this.now());
      out.clear();
      this.route(dlx, msg, out);
      for (const q of out) if (isCycle(msg, q.name)) out.delete(q);
      if (out.size) this.enqueue(out, msg);
    }
  }
}

/** RabbitMQ drops a dead-lettered message that would come back to a queue it died in with no rejection. */
function isCycle(msg: Message, target: string): boolean {
  const deaths = msg.props.headers?.['x-death'];
  if (!Array.isArray(deaths)) return false;
  let seen = false;
  for (const d of deaths) {
    const t = d as FieldTable;
    if (t.reason === 'rejected') return false;
    if (t.queue === target) seen = true;
  }
  return seen;
}

function deadLetteredMessage(m: Message, q: Queue, reason: string, dlx: string, dlrk: string | undefined, now: number): Message {
  const p: BasicProperties = { ...m.props };
  const headers: FieldTable = { ...(p.headers ?? {}) };
  const routingKeys: FieldValue[] = [m.routingKey];
  const cc = headers.CC;
  if (Array.isArray(cc)) routingKeys.push(...cc);
  const bcc = headers.BCC;
  if (Array.isArray(bcc)) routingKeys.push(...bcc);
  delete headers.BCC;
  if (dlrk !== undefined) delete headers.CC;
  const death: FieldTable = {
    count: new Typed('l', 1), reason, queue: q.name, time: new Typed('T', Math.floor(now / 1000)),
    exchange: m.exchange, 'routing-keys': routingKeys,
  };
  if (p.expiration !== undefined) { death['original-expiration'] = p.expiration; delete p.expiration; }
  const prior = Array.isArray(headers['x-death']) ? (headers['x-death'] as FieldTable[]) : [];
  const same = prior.findIndex((d) => d.queue === q.name && d.reason === reason);
  let deaths: FieldTable[];
  if (same >= 0) {
    const old = prior[same]!;
    const prev = old.count instanceof Typed ? Number(old.count.value) : old.count;
    const count = (typeof prev === 'number' ? prev : 0) + 1;
    deaths = [{ ...old, count: new Typed('l', count), time: death.time }, ...prior.filter((_, i) => i !== same)];
  } else deaths = [death, ...prior];
  headers['x-death'] = deaths;
  if (headers['x-first-death-reason'] === undefined) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = q.name;
    headers['x-first-death-exchange'] = m.exchange;
  }
  p.headers = headers;
  return withProps(m, p, dlx, dlrk ?? m.routingKey);
}
