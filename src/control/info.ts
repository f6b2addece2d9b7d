// Rows for warrenctl's list commands: queues, exchanges, bindings, connections, channels and consumers with
// rabbitmqctl's info keys. Values come from the management API's info builders (src/management/info.ts);
// what rabbitmqctl shows differently (pids, typed argument tables, addresses) is added here as Cells.
import { isIP } from 'node:net';
import { Typed, WIRE_TAGS, type FieldTable, type FieldValue } from '../amqp/table.js';
import type { Queue } from '../broker/queue.js';
import type { Exchange } from '../broker/vhost.js';
import {
  allConsumers, channelName, connectionName, consumerIndex, listedConnections, matchPolicy, ntoa, queueInfo, vhostBindings,
  type InfoSource,
} from '../management/info.js';
import type { Channel } from '../server/channel.js';
import type { Connection } from '../server/connection.js';
import type { Consumer } from '../server/consumer.js';
import type { App, PidRegistry } from './node.js';
import type { Cell, Row, TypedField, TypedValue } from './protocol.js';

/** RabbitMQ's names for the field-table type tags (rabbit_binary_parser). */
const TYPE_NAMES: Record<string, string> = {
  t: 'bool', b: 'byte', B: 'unsignedbyte', s: 'short', u: 'unsignedshort', I: 'signedint', i: 'unsignedint', l: 'long',
  f: 'float', d: 'double', D: 'decimal', S: 'longstr', A: 'array', T: 'timestamp', F: 'table', V: 'void', x: 'binary',
};

type TagMap = Map<string | number, number> | undefined;
const tagsOf = (o: object): TagMap => (o as { [WIRE_TAGS]?: Map<string | number, number> })[WIRE_TAGS];

function numberType(v: number, tag: number | undefined): string {
  if (tag !== undefined) return TYPE_NAMES[String.fromCharCode(tag)] ?? 'long';
  if (!Number.isSafeInteger(v)) return 'double';
  return v >= -0x8000_0000 && v <= 0x7fff_ffff ? 'signedint' : 'long';
}

function typedValue(v: FieldValue, tag: number | undefined): [string, TypedValue] {
  if (v === null || v === undefined) return ['void', null];
  switch (typeof v) {
    case 'string': return ['longstr', v];
    case 'boolean': return ['bool', v];
    case 'number': return [numberType(v, tag), v];
    case 'bigint': return ['long', v.toString()];
  }
  if (Buffer.isBuffer(v)) return ['binary', v.toString('base64')];
  if (v instanceof Typed) {
    if (v.type === 'D') { const d = v.value as { scale: number; value: number }; return ['decimal', [d.scale, d.value]]; }
    return [TYPE_NAMES[v.type] ?? 'long', Number(v.value)];
  }
  if (Array.isArray(v)) {
    const tags = tagsOf(v);
    return ['array', v.map((x, i) => typedValue(x, tags?.get(i)))];
  }
  return ['table', typedTable(v as FieldTable)];
}

/** A field table as [key, type, value] triples, in the table's order (or sorted by key, as bindings list). */
export function typedTable(t: FieldTable, sorted = false): TypedField[] {
  const tags = tagsOf(t);
  const keys = Object.keys(t).filter((k) => t[k] !== undefined);
  if (sorted) keys.sort();
  return keys.map((k) => { const [type, value] = typedValue(t[k]!, tags?.get(k)); return [k, type, value]; });
}

const table = (t: FieldTable, sorted = false): Cell => ({ t: 'table', v: typedTable(t, sorted) });
const ip = (addr: string | undefined): Cell => { const a = ntoa(addr); return isIP(a) ? { t: 'ip', v: a } : a; };

function pick(all: Record<string, () => Cell>, columns: readonly string[]): Row {
  const row: Row = {};
  for (const c of columns) row[c] = all[c]?.() ?? null;
  return row;
}

export interface RowSource extends InfoSource { pids: PidRegistry }

export function rowSource(app: App, pids: PidRegistry): RowSource {
  return { broker: app.broker, server: app.server, pids };
}

function ownerConnection(src: RowSource, q: Queue): Connection | undefined {
  if (q.owner === undefined) return undefined;
  for (const c of src.server.connections) if (c.key === q.owner) return c;
  return undefined;
}

export function queueRows(src: RowSource, vhost: string, columns: readonly string[]): Row[] {
  const vh = src.broker.vhosts.get(vhost);
  if (!vh) return [];
  const consumers = consumerIndex(src.server);
  return [...vh.queues.values()].map((q) => {
    const info = queueInfo(src, q, { consumers });
    const n = (k: string) => () => (info[k] as number | undefined) ?? 0;
    const owner = ownerConnection(src, q);
    const excl = (consumers.get(q) ?? []).find((c) => c.exclusive);
    return pick({
      name: () => q.name, durable: () => q.durable, auto_delete: () => q.autoDelete, arguments: () => table(q.args),
      policy: () => (info.policy as string | null) ?? '', pid: () => ({ t: 'pid', v: src.pids.queue(q) }),
      owner_pid: () => owner ? { t: 'pid', v: src.pids.connection(owner) } : '', exclusive: () => q.owner !== undefined,
      exclusive_consumer_pid: () => excl ? { t: 'pid', v: src.pids.channel(excl.channel) } : '',
      exclusive_consumer_tag: () => excl?.tag ?? '',
      messages_ready: () => q.messageCount, messages_unacknowledged: () => q.unackedCount,
      messages: () => q.messageCount + q.unackedCount, messages_ready_ram: n('messages_ready_ram'),
      messages_unacknowledged_ram: n('messages_unacknowledged_ram'), messages_ram: n('messages_ram'),
      messages_persistent: n('messages_persistent'), message_bytes: n('message_bytes'), message_bytes_ready: n('message_bytes_ready'),
      message_bytes_unacknowledged: n('message_bytes_unacknowledged'), message_bytes_ram: n('message_bytes_ram'),
      message_bytes_persistent: n('message_bytes_persistent'), head_message_timestamp: () => '',
      disk_reads: () => 0, disk_writes: () => 0, consumers: () => q.consumerCount,
      consumer_utilisation: n('consumer_utilisation'), consumer_capacity: n('consumer_capacity'), memory: n('memory'),
      slave_pids: () => '', synchronised_slave_pids: () => '', state: () => 'running', type: () => q.type,
      leader: () => '', members: () => '', online: () => '',
    }, columns);
  });
}

export function exchangeRows(src: RowSource, vhost: string, columns: readonly string[]): Row[] {
  const vh = src.broker.vhosts.get(vhost);
  const meta = src.broker.meta.vhosts.get(vhost);
  if (!vh || !meta) return [];
  return [...vh.exchanges.values()].map((ex: Exchange) => {
    const d = ex.def;
    return pick({
      name: () => d.name, type: () => d.type, durable: () => d.durable, auto_delete: () => d.autoDelete,
      internal: () => d.internal, arguments: () => table(d.args),
      policy: () => matchPolicy(meta.policies.values(), d.name, 'exchange')?.name ?? '',
    }, columns);
  });
}

export function bindingRows(src: RowSource, vhost: string, columns: readonly string[]): Row[] {
  return vhostBindings(src.broker, vhost).map((b) => pick({
    source_name: () => b.source, source_kind: () => 'exchange', destination_name: () => b.destination,
    destination_kind: () => b.destinationKind, routing_key: () => b.routingKey, arguments: () => table(b.args, true),
  }, columns));
}

export function connectionRows(src: RowSource, columns: readonly string[]): Row[] {
  return listedConnections(src).map((c) => {
    const s = c.socket;
    return pick({
      pid: () => ({ t: 'pid', v: src.pids.connection(c) }), name: () => connectionName(c), port: () => s.localPort ?? null,
      host: () => ip(s.localAddress), peer_port: () => s.remotePort ?? null, peer_host: () => ip(s.remoteAddress), ssl: () => false,
      ssl_protocol: () => '', ssl_key_exchange: () => '', ssl_cipher: () => '', ssl_hash: () => '', peer_cert_subject: () => '',
      peer_cert_issuer: () => '', peer_cert_validity: () => '', state: () => (c.state === 'opened' ? 'running' : 'closing'),
      channels: () => c.channels.size, protocol: () => ({ t: 'tuple', v: [0, 9, 1] }), auth_mechanism: () => c.authMechanism,
      user: () => c.user, vhost: () => c.ctx?.vhost.name ?? '', timeout: () => c.heartbeat, frame_max: () => c.frameMax,
      channel_max: () => c.channelMax, client_properties: () => table(c.clientProperties), recv_oct: () => s.bytesRead,
      recv_cnt: () => 0, send_oct: () => s.bytesWritten, send_cnt: () => 0, send_pend: () => s.writableLength,
      connected_at: () => c.connectedAt,
    }, columns);
  });
}

function channelsOf(src: RowSource): Channel[] {
  return listedConnections(src).flatMap((c) => [...c.channels.values()]);
}

export function channelRows(src: RowSource, columns: readonly string[]): Row[] {
  return channelsOf(src).map((ch) => pick({
    pid: () => ({ t: 'pid', v: src.pids.channel(ch) }), connection: () => ({ t: 'pid', v: src.pids.connection(ch.conn) }),
    name: () => channelName(ch), number: () => ch.id, user: () => ch.conn.user, vhost: () => ch.conn.ctx?.vhost.name ?? '',
    transactional: () => ch.transactional, confirm: () => ch.confirmMode, consumer_count: () => ch.consumers.size,
    messages_unacknowledged: () => ch.unackedCount, messages_uncommitted: () => ch.uncommittedMessages,
    acks_uncommitted: () => ch.uncommittedAcks, messages_unconfirmed: () => ch.unconfirmedCount,
    prefetch_count: () => ch.prefetch, global_prefetch_count: () => ch.globalPrefetch,
  }, columns));
}

export function consumerRows(src: RowSource, vhost: string, columns: readonly string[]): Row[] {
  return allConsumers(src).filter((c: Consumer) => c.queue.vhost === vhost).map((c) => {
    const active = c.queue.activeConsumerTag;
    const isActive = active === undefined || active === c.tag;
    const args: FieldTable = c.priority !== 0 ? { 'x-priority': c.priority } : {};
    return pick({
      queue_name: () => c.queue.name, channel_pid: () => ({ t: 'pid', v: src.pids.channel(c.channel) }),
      consumer_tag: () => c.tag, ack_required: () => !c.noAck, prefetch_count: () => c.prefetch, active: () => isActive,
      activity_status: () => (active === undefined ? 'up' : isActive ? 'single_active' : 'waiting'), arguments: () => table(args),
    }, columns);
  });
}

/** A connection by the pid list_connections printed, for close_connection. */
export function connectionByPid(src: RowSource, pid: string): Connection | undefined {
  return listedConnections(src).find((c) => src.pids.connection(c) === pid);
}

