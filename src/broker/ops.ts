// The AMQP model operations with RabbitMQ's checks and errors, shared by channels and (later) the management
// API: declare/delete/bind exchanges and queues, purge. They check permissions, existence, exclusivity and
// equivalence, then change metadata only through broker.execute().
import { randomBytes } from 'node:crypto';
import { ChannelError, ConnectionError, ReplyCode } from '../amqp/errors.js';
import type { FieldTable } from '../amqp/table.js';
import { argType, assertExchangeArgsEquivalent, assertQueueArgsEquivalent, inequivalent, validateQueueArgs } from './args.js';
import type { Broker } from './broker.js';
import { checkQueueLimit } from './limits.js';
import type { BindingDef, DestinationKind } from './metadata.js';
import type { Queue } from './queue.js';
import { exchangeType } from './router.js';
import type { Exchange, VirtualHost } from './vhost.js';

/** Who is asking: the authenticated user, the vhost, and the connection (for exclusive queues). */
export interface OpContext {
  broker: Broker;
  user: string;
  vhost: VirtualHost;
  /** Unique id of the connection, owner of its exclusive queues. */
  connKey: string;
}

const notFound = (kind: string, name: string, vhost: string) =>
  new ChannelError(ReplyCode.NotFound, `no ${kind} '${name}' in vhost '${vhost}'`);

export function lookupExchange(ctx: OpContext, name: string): Exchange {
  const ex = ctx.vhost.exchanges.get(name);
  if (!ex) throw notFound('exchange', name, ctx.vhost.name);
  return ex;
}

export function lookupQueue(ctx: OpContext, name: string): Queue {
  const q = ctx.vhost.queues.get(name);
  if (!q) throw notFound('queue', name, ctx.vhost.name);
  return q;
}

/** 405 unless the queue is not exclusive or belongs to this connection. */
export function checkExclusive(ctx: OpContext, q: Queue): void {
  if (q.owner !== undefined && q.owner !== ctx.connKey) throw lockedError(q.name, ctx.vhost.name);
}

const lockedError = (name: string, vhost: string) => new ChannelError(ReplyCode.ResourceLocked,
  `cannot obtain exclusive access to locked queue '${name}' in vhost '${vhost}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`);

function checkNotDefault(name: string): void {
  if (name === '') throw new ChannelError(ReplyCode.AccessRefused, 'operation not permitted on the default exchange');
}

function checkReserved(kind: 'exchange' | 'queue', name: string): void {
  if (name.startsWith('amq.')) {
    throw new ChannelError(ReplyCode.AccessRefused, `${kind} name '${name}' contains reserved prefix 'amq.*'`);
  }
}

export interface ExchangeDeclare {
  name: string; type: string; passive: boolean; durable: boolean; autoDelete: boolean; internal: boolean; args: FieldTable;
}

export function declareExchange(ctx: OpContext, d: ExchangeDeclare): void {
  const vh = ctx.vhost.name;
  checkNotDefault(d.name);
  if (d.passive) { lookupExchange(ctx, d.name); return; }
  // As rabbit_channel: the type first, then the name, permissions, and only then existence.
  if (!exchangeType(d.type)) {
    throw new ConnectionError(ReplyCode.CommandInvalid, `${d.type === '' ? 'invalid' : 'unknown'} exchange type '${d.type}'`);
  }
  ctx.broker.checkPermission(ctx.user, vh, 'configure', 'exchange', d.name);
  const existing = ctx.vhost.exchanges.get(d.name);
  if (existing) {
    const e = existing.def;
    if (e.type !== d.type) inequivalent('exchange', d.name, vh, 'type', `'${d.type}'`, `'${e.type}'`);
    if (e.durable !== d.durable) inequivalent('exchange', d.name, vh, 'durable', `'${d.durable}'`, `'${e.durable}'`);
    if (e.autoDelete !== d.autoDelete) inequivalent('exchange', d.name, vh, 'auto_delete', `'${d.autoDelete}'`, `'${e.autoDelete}'`);
    if (e.internal !== d.internal) inequivalent('exchange', d.name, vh, 'internal', `'${d.internal}'`, `'${e.internal}'`);
    assertExchangeArgsEquivalent(d.name, vh, e.args, d.args);
    return;
  }
  checkReserved('exchange', d.name);
  const ae = d.args['alternate-exchange'];
  if (ae !== undefined) {
    if (typeof ae !== 'string') {
      throw new ChannelError(ReplyCode.PreconditionFailed,
        `invalid type '${argType(d.args, 'alternate-exchange')}' for arg 'alternate-exchange' in exchange '${d.name}' in vhost '${vh}'`);
    }
    ctx.broker.checkPermission(ctx.user, vh, 'read', 'exchange', d.name);
    ctx.broker.checkPermission(ctx.user, vh, 'write', 'exchange', ae);
  }
  ctx.broker.execute({ type: 'exchange.declare', def: { vhost: vh, name: d.name, type: d.type, durable: d.durable,
    autoDelete: d.autoDelete, internal: d.internal, args: d.args } });
}

export function deleteExchange(ctx: OpContext, name: string, ifUnused: boolean): void {
  const vh = ctx.vhost.name;
  checkNotDefault(name);
  if (name.startsWith('amq.')) {
    throw new ChannelError(ReplyCode.AccessRefused, `deletion of system exchange '${name}' in vhost '${vh}' not allowed`);
  }
  const ex = ctx.vhost.exchanges.get(name);
  if (!ex) return; // deleting a missing exchange is not an error
  ctx.broker.checkPermission(ctx.user, vh, 'configure', 'exchange', name);
  if (ifUnused) {
    for (const b of ctx.broker.meta.vhosts.get(vh)!.bindings.values()) {
      if (b.source === name) throw new ChannelError(ReplyCode.PreconditionFailed, `exchange '${name}' in vhost '${vh}' in use`);
    }
  }
  ctx.broker.execute({ type: 'exchange.delete', vhost: vh, name });
}

export interface QueueDeclare {
  name: string; passive: boolean; durable: boolean; exclusive: boolean; autoDelete: boolean; args: FieldTable;
}

export interface QueueDeclareOk { name: string; messageCount: number; consumerCount: number }

export function declareQueue(ctx: OpContext, d: QueueDeclare): QueueDeclareOk {
  const vh = ctx.vhost.name;
  const name = d.name === '' && !d.passive ? `amq.gen-${randomBytes(16).toString('base64url').slice(0, 22)}` : d.name;
  if (d.passive) {
    if (name === 'amq.rabbitmq.reply-to') return { name, messageCount: 0, consumerCount: 1 };
    const q = lookupQueue(ctx, name);
    checkExclusive(ctx, q);
    q.touch();
    return { name, messageCount: q.messageCount, consumerCount: q.consumerCount };
  }
  if (d.name !== '') checkReserved('queue', name);
  ctx.broker.checkPermission(ctx.user, vh, 'configure', 'queue', name);
  const existing = ctx.vhost.queues.get(name);
  if (existing) {
    checkExclusive(ctx, existing);
    // RabbitMQ checks exclusive access first: a mismatch on `exclusive` is 405, not 406.
    if (d.exclusive !== (existing.owner !== undefined)) throw lockedError(name, vh);
    // Exclusive queues are always transient in RabbitMQ, so their durable flag is not compared.
    if (existing.owner === undefined && existing.durable !== d.durable) inequivalent('queue', name, vh, 'durable', `'${d.durable}'`, `'${existing.durable}'`);
    if (existing.autoDelete !== d.autoDelete) inequivalent('queue', name, vh, 'auto_delete', `'${d.autoDelete}'`, `'${existing.autoDelete}'`);
    assertQueueArgsEquivalent(name, vh, existing.args, d.args);
    existing.touch();
    return { name, messageCount: existing.messageCount, consumerCount: existing.consumerCount };
  }
  validateQueueArgs(name, vh, d.args, d.durable);
  const dlx = d.args['x-dead-letter-exchange'];
  if (typeof dlx === 'string') {
    // Declaring a DLX needs read on the queue and write on the dead-letter exchange, as RabbitMQ checks.
    ctx.broker.checkPermission(ctx.user, vh, 'write', 'exchange', dlx);
  }
  checkQueueLimit(ctx.broker, vh, ctx.vhost.queues.size, name);
  ctx.broker.execute({ type: 'queue.declare', def: { vhost: vh, name, type: 'classic', durable: d.durable && !d.exclusive,
    autoDelete: d.autoDelete, owner: d.exclusive ? ctx.connKey : undefined, args: d.args } });
  return { name, messageCount: 0, consumerCount: 0 };
}

export interface QueueDelete { name: string; ifUnused: boolean; ifEmpty: boolean }

export function deleteQueue(ctx: OpContext, d: QueueDelete): number {
  const vh = ctx.vhost.name;
  const q = ctx.vhost.queues.get(d.name);
  if (!q) return 0;
  checkExclusive(ctx, q);
  ctx.broker.checkPermission(ctx.user, vh, 'configure', 'queue', d.name);
  if (d.ifUnused && q.hasConsumers()) throw new ChannelError(ReplyCode.PreconditionFailed, `queue '${d.name}' in vhost '${vh}' in use`);
  if (d.ifEmpty && q.messageCount > 0) throw new ChannelError(ReplyCode.PreconditionFailed, `queue '${d.name}' in vhost '${vh}' not empty`);
  const n = q.messageCount;
  ctx.broker.execute({ type: 'queue.delete', vhost: vh, name: d.name });
  return n;
}

export function purgeQueue(ctx: OpContext, name: string): number {
  const q = lookupQueue(ctx, name);
  checkExclusive(ctx, q);
  ctx.broker.checkPermission(ctx.user, ctx.vhost.name, 'read', 'queue', name);
  return q.purge();
}

export interface BindRequest {
  destination: string; destinationKind: DestinationKind; source: string; routingKey: string; args: FieldTable;
}

function bindingDef(ctx: OpContext, b: BindRequest): BindingDef {
  return { vhost: ctx.vhost.name, source: b.source, destination: b.destination, destinationKind: b.destinationKind,
    routingKey: b.routingKey, args: b.args };
}

function checkBindable(ctx: OpContext, b: BindRequest): Exchange {
  const vh = ctx.vhost.name;
  checkNotDefault(b.source);
  if (b.destinationKind === 'exchange') checkNotDefault(b.destination);
  ctx.broker.checkPermission(ctx.user, vh, 'write', b.destinationKind, b.destination);
  ctx.broker.checkPermission(ctx.user, vh, 'read', 'exchange', b.source);
  const src = lookupExchange(ctx, b.source);
  if (src.def.type === 'topic') ctx.broker.checkTopicPermission(ctx.user, vh, src.def.name, 'read', b.routingKey);
  if (b.destinationKind === 'queue') checkExclusive(ctx, lookupQueue(ctx, b.destination));
  else lookupExchange(ctx, b.destination);
  return src;
}

export function bind(ctx: OpContext, b: BindRequest): void {
  const src = checkBindable(ctx, b);
  src.router.validate?.(b.routingKey, b.args);
  ctx.broker.execute({ type: 'binding.add', def: bindingDef(ctx, b) });
}

export function unbind(ctx: OpContext, b: BindRequest): void {
  const vh = ctx.vhost.name;
  checkNotDefault(b.source);
  if (b.destinationKind === 'exchange') checkNotDefault(b.destination);
  // Unbinding something that is not there succeeds, even when an end is missing. RabbitMQ does not check
  // exclusive ownership here either: another connection may unbind an exclusive queue.
  ctx.broker.checkPermission(ctx.user, vh, 'write', b.destinationKind, b.destination);
  ctx.broker.checkPermission(ctx.user, vh, 'read', 'exchange', b.source);
  ctx.broker.execute({ type: 'binding.remove', def: bindingDef(ctx, b) });
}
