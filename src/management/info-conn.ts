// RabbitMQ-shaped info objects for connections, channels and consumers, named as RabbitMQ names them
// ("127.0.0.1:50000 -> 127.0.0.1:5672", the channel "<connection> (1)"). Only connections past
// connection.open are listed, as RabbitMQ's management database only learns of them then.
import type { Channel } from '../server/channel.js';
import type { Connection } from '../server/connection.js';
import type { Consumer } from '../server/consumer.js';
import { tlsConnectionInfo } from '../server/tls.js';
import { tableToJson } from './http.js';
import { ntoa, ntoab, rfc3339, withDetails, type InfoSource, type Json } from './info-common.js';
import { CHANNEL_STATS, statsOf } from './sampler.js';

export function connectionName(c: Connection): string {
  const s = c.socket;
  return `${ntoab(s.remoteAddress)}:${s.remotePort} -> ${ntoab(s.localAddress)}:${s.localPort}`;
}

export const channelName = (ch: Channel) => `${connectionName(ch.conn)} (${ch.id})`;

/** The connections the management API shows: logged in and opened a vhost, not yet closed. */
export function listedConnections(src: InfoSource): Connection[] {
  return [...src.server.connections].filter((c) => c.ctx !== undefined && c.state !== 'closed');
}

export function findConnection(src: InfoSource, name: string): Connection | undefined {
  return listedConnections(src).find((c) => connectionName(c) === name);
}

export function findChannel(src: InfoSource, name: string): Channel | undefined {
  for (const c of listedConnections(src)) for (const ch of c.channels.values()) if (channelName(ch) === name) return ch;
  return undefined;
}

/** The owner summary RabbitMQ puts in owner_pid_details and connection_details. */
export function connectionDetails(c: Connection): Json {
  return { name: connectionName(c), peer_port: c.socket.remotePort, peer_host: ntoa(c.socket.remoteAddress) };
}

export function connectionInfo(src: InfoSource, c: Connection): Json {
  const s = c.socket;
  const props = tableToJson(c.clientProperties);
  const out: Json = {
    name: connectionName(c), node: src.broker.nodeName, type: 'network', protocol: 'AMQP 0-9-1',
    // 'flow' as RabbitMQ shows a connection its credit flow holds back: here, not read while its output is full.
    state: c.state !== 'opened' ? 'closing' : c.outputFull ? 'flow' : 'running',
    user: c.user, user_who_performed_action: c.user, vhost: c.ctx?.vhost.name ?? '/',
    auth_mechanism: c.authMechanism, host: ntoa(s.localAddress), port: s.localPort,
    peer_host: ntoa(s.remoteAddress), peer_port: s.remotePort,
    ssl: false, ssl_protocol: null, ssl_key_exchange: null, ssl_cipher: null, ssl_hash: null,
    peer_cert_subject: null, peer_cert_issuer: null, peer_cert_validity: null,
    channel_max: c.channelMax, frame_max: c.frameMax, timeout: c.heartbeat, channels: c.channels.size,
    connected_at: c.connectedAt, client_properties: props,
    recv_cnt: c.recvCount, send_cnt: c.sendCount, send_pend: s.writableLength,
    ...tlsConnectionInfo(s),
  };
  if (typeof props.connection_name === 'string') out.user_provided_name = props.connection_name;
  withDetails({ recv_oct: s.bytesRead, send_oct: s.bytesWritten }, src.sampler?.rates(c), ['recv_oct', 'send_oct'], out);
  return out;
}

export function channelInfo(src: InfoSource, ch: Channel): Json {
  const c = ch.conn;
  const out: Json = {
    name: channelName(ch), number: ch.id, node: src.broker.nodeName, user: c.user, user_who_performed_action: c.user,
    vhost: c.ctx?.vhost.name ?? '/', connection_details: connectionDetails(c),
    state: ch.closing ? 'closing' : 'running', consumer_count: ch.consumers.size,
    prefetch_count: ch.prefetch, global_prefetch_count: ch.globalPrefetch,
    messages_unacknowledged: ch.unackedCount, messages_unconfirmed: ch.unconfirmedCount,
    messages_uncommitted: ch.uncommittedMessages, acks_uncommitted: ch.uncommittedAcks,
    confirm: ch.confirmMode, transactional: ch.transactional, pending_raft_commands: 0,
  };
  const sampler = src.sampler;
  if (sampler) {
    out.message_stats = withDetails(statsOf(ch.stats, CHANNEL_STATS), sampler.rates(ch), CHANNEL_STATS);
    const changed = sampler.changedAt(ch);
    if (changed !== undefined && ch.unackedCount === 0) out.idle_since = rfc3339(changed);
  }
  return out;
}

export function channelDetails(ch: Channel): Json {
  const d = connectionDetails(ch.conn);
  return { name: channelName(ch), number: ch.id, user: ch.conn.user, connection_name: d.name, peer_port: d.peer_port, peer_host: d.peer_host };
}

export function consumerInfo(src: InfoSource, c: Consumer): Json {
  const active = c.queue.activeConsumerTag;
  const isActive = active === undefined || active === c.tag;
  return {
    consumer_tag: c.tag, queue: { name: c.queue.name, vhost: c.queue.vhost },
    channel_details: { ...channelDetails(c.channel), node: src.broker.nodeName },
    ack_required: !c.noAck, exclusive: c.exclusive, prefetch_count: c.prefetch,
    arguments: c.priority !== 0 ? { 'x-priority': c.priority } : {},
    active: isActive, activity_status: isActive ? 'up' : 'waiting',
  };
}

/** Every consumer on every listed connection, optionally of one vhost. */
export function allConsumers(src: InfoSource, vhost?: string): Consumer[] {
  const out: Consumer[] = [];
  for (const conn of listedConnections(src)) {
    if (vhost !== undefined && conn.ctx?.vhost.name !== vhost) continue;
    for (const ch of conn.channels.values()) for (const c of ch.consumers.values()) out.push(c);
  }
  return out;
}
