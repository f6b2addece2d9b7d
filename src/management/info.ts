// RabbitMQ-shaped info objects for queues, exchanges and bindings (this file) and for connections, channels and
// consumers (info-conn.ts, re-exported here): the JSON the management API lists and warrenctl prints. Pure
// readers of broker and server state, independent of HTTP; the sampler (optional) adds rates and idle times.
import type { Broker } from '../broker/broker.js';
import type { BindingDef } from '../broker/metadata.js';
import { effectiveDefinition, matchPolicy } from '../broker/policy.js';
import type { Queue } from '../broker/queue.js';
import type { Exchange } from '../broker/vhost.js';
import type { Consumer } from '../server/consumer.js';
import type { Server } from '../server/server.js';
import { quotePlus, tableToJson } from './http.js';
import { rfc3339, withDetails, type InfoSource, type Json } from './info-common.js';
import { connectionDetails, consumerInfo } from './info-conn.js';
import { EXCHANGE_STATS, LENGTHS, QUEUE_STATS, statsOf } from './sampler.js';

export * from './info-common.js';
export * from './info-conn.js';

export { matchPolicy, effectiveDefinition } from '../broker/policy.js';

/** Consumers per queue, gathered once from every channel (for queue info and the consumer list). */
export function consumerIndex(server: Server): Map<Queue, Consumer[]> {
  const idx = new Map<Queue, Consumer[]>();
  for (const conn of server.connections) {
    for (const ch of conn.channels.values()) {
      for (const c of ch.consumers.values()) {
        let l = idx.get(c.queue);
        if (!l) { l = []; idx.set(c.queue, l); }
        l.push(c);
      }
    }
  }
  return idx;
}

export interface QueueInfoOptions {
  /** Consumers of each queue (consumerIndex()); enough for exclusive_consumer_tag and consumer_details. */
  consumers?: Map<Queue, Consumer[]>;
  /** The detail view: consumer_details, deliveries and incoming, as GET /api/queues/{vhost}/{name}. */
  detail?: boolean;
}

export function queueInfo(src: InfoSource, q: Queue, opts: QueueInfoOptions = {}): Json {
  const { broker, sampler } = src;
  const meta = broker.meta.vhosts.get(q.vhost);
  const policy = meta ? matchPolicy(meta.policies.values(), q.name, 'queue', q.type) : undefined;
  const opPolicy = meta ? matchPolicy(meta.operatorPolicies.values(), q.name, 'queue', q.type) : undefined;
  const effective = effectiveDefinition(policy, opPolicy);
  const consumers = opts.consumers?.get(q) ?? [];
  const ready = q.messageCount, unacked = q.unackedCount, bytes = q.messageBytes ?? 0, unackedBytes = q.unackedBytes ?? 0;
  const readyRam = q.messagesRam ?? ready, bytesRam = q.messageBytesRam ?? bytes;
  const rates = sampler?.rates(q);
  const mode = effective['queue-mode'] === 'lazy' || q.args['x-queue-mode'] === 'lazy' ? 'lazy' : 'default';
  const out: Json = {
    name: q.name, vhost: q.vhost, durable: q.durable, auto_delete: q.autoDelete, exclusive: q.owner !== undefined,
    arguments: tableToJson(q.args), type: q.type, node: broker.nodeName, state: 'running',
    policy: policy?.name ?? null, operator_policy: opPolicy?.name ?? null, effective_policy_definition: effective,
    // Warren does not measure how often consumers were ready to take more; with any consumer it reports full use.
    consumers: q.consumerCount, consumer_capacity: q.consumerCount > 0 ? 1 : 0, consumer_utilisation: q.consumerCount > 0 ? 1 : 0,
    exclusive_consumer_tag: consumers.find((c) => c.exclusive)?.tag ?? null,
    single_active_consumer_tag: q.activeConsumerTag ?? null,
    head_message_timestamp: null, recoverable_slaves: null,
    // An estimate: bodies in memory plus a record per message (the heap is not attributed per queue).
    memory: bytesRam + unackedBytes + 64 * (readyRam + unacked) + 33 * (ready - readyRam) + 1024,
    // Not tracked by the queue (yet): persistent message counts and bytes.
    message_bytes: bytes + unackedBytes, message_bytes_ready: bytes, message_bytes_unacknowledged: unackedBytes,
    message_bytes_ram: bytesRam + unackedBytes,
    message_bytes_persistent: 0, message_bytes_paged_out: bytes - bytesRam,
    messages_ram: readyRam + unacked, messages_ready_ram: readyRam, messages_unacknowledged_ram: unacked,
    messages_persistent: 0, messages_paged_out: ready - readyRam,
    backing_queue_status: {
      // q3: paged out (on disk), q4: in memory, roughly as RabbitMQ's classic queue reports them.
      mode, len: ready, target_ram_count: mode === 'lazy' ? 0 : 'infinity', version: 1, q1: 0, q2: 0,
      q3: ready - readyRam, q4: readyRam, delta: ['delta', 'undefined', 0, 0, 'undefined'],
      avg_ingress_rate: rates?.publish ?? 0, avg_egress_rate: rates?.deliver_get ?? 0,
      avg_ack_ingress_rate: rates?.deliver ?? 0, avg_ack_egress_rate: rates?.ack ?? 0,
    },
  };
  if (q.owner !== undefined) {
    const owner = [...src.server.connections].find((c) => c.key === q.owner);
    if (owner) out.owner_pid_details = connectionDetails(owner);
  }
  withDetails({ messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked }, rates, LENGTHS, out);
  if (sampler) {
    out.message_stats = withDetails(statsOf(q.stats, QUEUE_STATS), rates, QUEUE_STATS);
    const changed = sampler.changedAt(q);
    if (q.consumerCount === 0 && changed !== undefined) out.idle_since = rfc3339(changed);
  }
  if (opts.detail) {
    out.consumer_details = consumers.map((c) => consumerInfo(src, c));
    out.deliveries = [];
    out.incoming = [];
  }
  return out;
}

export function exchangeInfo(src: InfoSource, ex: Exchange, detail = false): Json {
  const d = ex.def;
  const meta = src.broker.meta.vhosts.get(d.vhost);
  const policy = meta ? matchPolicy(meta.policies.values(), d.name, 'exchange') : undefined;
  const out: Json = {
    name: d.name, vhost: d.vhost, type: d.type, durable: d.durable, auto_delete: d.autoDelete, internal: d.internal,
    arguments: tableToJson(d.args),
    user_who_performed_action: d.name === '' || d.name.startsWith('amq.') ? 'rmq-internal' : '',
  };
  if (policy) out.policy = policy.name;
  if (src.sampler) out.message_stats = withDetails(statsOf(ex.stats, EXCHANGE_STATS), src.sampler.rates(ex), EXCHANGE_STATS);
  if (detail) { out.incoming = []; out.outgoing = []; }
  return out;
}

/** A hash of binding arguments for properties_key (RabbitMQ uses erlang:phash2; any stable hash will do). */
function argsHash(args: Record<string, unknown>): string {
  let h = 0x811c9dc5;
  const s = JSON.stringify(canonicalJson(args));
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  const b = Buffer.alloc(4);
  b.writeUInt32BE(h);
  return b.toString('base64url');
}

function canonicalJson(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(canonicalJson);
  return Object.fromEntries(Object.keys(v as Json).sort().map((k) => [k, canonicalJson((v as Json)[k])]));
}

/** rabbit_mgmt_format:pack_binding_props: "~" alone, the quoted key, or key~argshash. */
export function propertiesKey(routingKey: string, args: Record<string, unknown>): string {
  const quote = (s: string) => quotePlus(s).replace(/~/g, '%7E');
  if (Object.keys(args).length === 0) return routingKey === '' ? '~' : quote(routingKey);
  return `${quote(routingKey)}~${quote(argsHash(args))}`;
}

export function bindingInfo(b: BindingDef): Json {
  const args = tableToJson(b.args);
  return {
    source: b.source, vhost: b.vhost, destination: b.destination, destination_type: b.destinationKind,
    routing_key: b.routingKey, arguments: args, properties_key: propertiesKey(b.routingKey, args),
  };
}

/** Every binding of a vhost, the default exchange's implicit one per queue first (as RabbitMQ lists them). */
export function vhostBindings(broker: Broker, vhost: string): BindingDef[] {
  const meta = broker.meta.vhosts.get(vhost);
  if (!meta) return [];
  const implicit: BindingDef[] = [...meta.queues.keys()].map((q) =>
    ({ vhost, source: '', destination: q, destinationKind: 'queue', routingKey: q, args: {} }));
  return [...implicit, ...meta.bindings.values()];
}
