// amqp:// and amqps:// URIs as RabbitMQ's URI spec reads them: user and password percent-decoded, the vhost is
// the single path segment percent-decoded ("%2f" is "/"), and query options heartbeat, frame_max, channel_max,
// connection_timeout. An empty path means vhost "/" (as amqplib and pika read it, not the spec's "").

export interface AmqpUri {
  tls: boolean;
  host: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  /** Seconds; undefined lets the server's proposal stand. */
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  /** Milliseconds for the TCP connect and handshake. */
  connectionTimeout?: number;
}

export function parseUri(uri: string): AmqpUri {
  let u: URL;
  try { u = new URL(uri); } catch { throw new Error(`invalid AMQP URI: ${uri}`); }
  const tls = u.protocol === 'amqps:';
  if (!tls && u.protocol !== 'amqp:') throw new Error(`unsupported URI scheme ${u.protocol} (amqp: or amqps:)`);
  const path = u.pathname.replace(/^\//, '');
  if (path.includes('/')) throw new Error(`invalid vhost in AMQP URI (use %2f for "/"): ${uri}`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const out: AmqpUri = {
    tls,
    host,
    port: u.port ? Number(u.port) : tls ? 5671 : 5672,
    username: u.username ? decodeURIComponent(u.username) : 'guest',
    password: u.password ? decodeURIComponent(u.password) : 'guest',
    vhost: path === '' ? '/' : decodeURIComponent(path),
  };
  const num = (name: string): number | undefined => {
    const v = u.searchParams.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`invalid ${name} in AMQP URI: ${v}`);
    return n;
  };
  const heartbeat = num('heartbeat'), frameMax = num('frame_max'), channelMax = num('channel_max');
  const connectionTimeout = num('connection_timeout');
  if (heartbeat !== undefined) out.heartbeat = heartbeat;
  if (frameMax !== undefined) out.frameMax = frameMax;
  if (channelMax !== undefined) out.channelMax = channelMax;
  if (connectionTimeout !== undefined) out.connectionTimeout = connectionTimeout;
  return out;
}
