// Publishing to an exchange and getting messages from a queue on behalf of an HTTP user, with what a channel
// would check (write/read permission, internal exchanges, exclusive queues, user_id, expiration), counting
// in the queue's and exchange's statistics as RabbitMQ's management does through its direct channel.
import { ChannelError, ReplyCode } from '../amqp/errors.js';
import type { BasicProperties } from '../amqp/spec.generated.js';
import { encodePropsRaw, makeMessage, type Message } from '../broker/message.js';
import * as ops from '../broker/ops.js';
import type { Entry, Queue } from '../broker/queue.js';
import { Enqueued, type Exchange } from '../broker/vhost.js';
import { REPLY_TO } from '../server/channel.js';
import type { Server } from '../server/server.js';
import { badRequest, tableToJson, toFieldTable, utf8OrUndefined } from './http.js';
import type { Json } from './info.js';

/** rabbit_mgmt_format:to_basic_properties: integers for delivery_mode/priority/timestamp, strings elsewhere. */
export function toBasicProperties(v: unknown): BasicProperties {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(['not_string', 'properties']);
  const p: Record<string, unknown> = {};
  const names: Record<string, keyof BasicProperties> = {
    content_type: 'contentType', content_encoding: 'contentEncoding', headers: 'headers', delivery_mode: 'deliveryMode',
    priority: 'priority', correlation_id: 'correlationId', reply_to: 'replyTo', expiration: 'expiration',
    message_id: 'messageId', timestamp: 'timestamp', type: 'type', user_id: 'userId', app_id: 'appId', cluster_id: 'reserved',
  };
  for (const [k, x] of Object.entries(v as Json)) {
    const name = names[k];
    if (name === undefined || x === undefined || x === null) continue;
    if (k === 'headers') p.headers = toFieldTable(x);
    else if (k === 'delivery_mode' || k === 'priority' || k === 'timestamp') {
      if (!Number.isInteger(x)) throw badRequest(['not_int', k]);
      p[name] = x;
    } else if (typeof x === 'string') p[name] = x;
    else throw badRequest(['not_string', k]);
  }
  return p as BasicProperties;
}

/** rabbit_mgmt_format:basic_properties: the properties that are set, with RabbitMQ's names. */
export function propertiesJson(p: BasicProperties): Json {
  const out: Json = {};
  const set = (k: string, v: unknown) => { if (v !== undefined) out[k] = v; };
  set('content_type', p.contentType); set('content_encoding', p.contentEncoding);
  if (p.headers) out.headers = tableToJson(p.headers);
  set('delivery_mode', p.deliveryMode); set('priority', p.priority); set('correlation_id', p.correlationId);
  set('reply_to', p.replyTo); set('expiration', p.expiration); set('message_id', p.messageId);
  set('timestamp', p.timestamp);
  set('type', p.type); set('user_id', p.userId); set('app_id', p.appId); set('cluster_id', p.reserved);
  return out;
}

/**
 * Publishes as a channel in confirm mode with mandatory set would; resolves whether the message was routed
 * (after the store's sync for a persistent message in a durable queue). A queue refusing it (overflow
 * reject-publish) is RabbitMQ's nack: "rejected Unable to publish message. Check queue limits."
 */
export async function publish(ctx: ops.OpContext, server: Server, ex: Exchange, routingKey: string,
  props: BasicProperties, body: Buffer): Promise<boolean> {
  const vh = ctx.vhost.name;
  ctx.broker.checkPermission(ctx.user, vh, 'write', 'exchange', ex.name);
  if (ex.def.internal) throw new ChannelError(ReplyCode.AccessRefused, `cannot publish to internal exchange '${ex.name}' in vhost '${vh}'`);
  if (props.userId !== undefined && props.userId !== ctx.user) {
    throw new ChannelError(ReplyCode.PreconditionFailed, `user_id property set to '${props.userId}' but authenticated user was '${ctx.user}'`);
  }
  if (props.expiration !== undefined && !/^\d+$/.test(props.expiration)) {
    throw new ChannelError(ReplyCode.PreconditionFailed, `invalid expiration '${props.expiration}': {error,no_integer}`);
  }
  const msg: Message = makeMessage(ex.name, routingKey, encodePropsRaw(props), props, body);
  if (ex.name === '' && routingKey.startsWith(`${REPLY_TO}.`)) return server.deliverReply(routingKey.slice(REPLY_TO.length + 1), msg);
  const flags = ctx.vhost.publish(ex, msg, new Set<Queue>());
  if (flags < 0) return false;
  if (flags & Enqueued.Stored) await new Promise<void>((resolve, reject) => ctx.broker.store!.sync((e) => (e ? reject(e) : resolve())));
  if (flags & Enqueued.Rejected) throw badRequest('rejected Unable to publish message. Check queue limits.');
  return true;
}

export type AckMode = 'ack_requeue_true' | 'ack_requeue_false' | 'reject_requeue_true' | 'reject_requeue_false';
export const ACK_MODES: readonly string[] = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'];

export interface GetOptions { count: number; ackMode: AckMode; encoding: 'auto' | 'base64'; truncate: number | undefined }

/**
 * basic.get up to `count` messages as rabbit_mgmt_wm_queue_get: ack_requeue_false takes them (no-ack);
 * the other modes hold them unacknowledged, then requeue them (redelivered) or reject them (dead-letter).
 */
export function getMessages(ctx: ops.OpContext, q: Queue, o: GetOptions): Json[] {
  ops.checkExclusive(ctx, q);
  ctx.broker.checkPermission(ctx.user, ctx.vhost.name, 'read', 'queue', q.name);
  const noAck = o.ackMode === 'ack_requeue_false';
  const held: Entry[] = [];
  const out: Json[] = [];
  for (let i = 0; i < o.count; i++) {
    const e = q.get(noAck);
    if (!e) { q.stats.getEmpty++; break; }
    if (noAck) q.stats.getNoAck++; else { q.stats.get++; held.push(e); }
    if (e.redelivered) q.stats.redeliver++;
    const body = o.truncate !== undefined && e.msg.body.length > o.truncate ? e.msg.body.subarray(0, o.truncate) : e.msg.body;
    const text = o.encoding === 'auto' ? utf8OrUndefined(body) : undefined;
    out.push({
      payload_bytes: e.msg.body.length, redelivered: e.redelivered, exchange: e.msg.exchange, routing_key: e.msg.routingKey,
      message_count: q.messageCount, properties: propertiesJson(e.msg.props),
      payload: text ?? body.toString('base64'), payload_encoding: text !== undefined ? 'string' : 'base64',
    });
  }
  if (held.length) {
    if (o.ackMode === 'reject_requeue_false') q.discard(held); else q.requeue(held);
  }
  return out;
}
