// RabbitMQ's rabbitmq_prometheus endpoint on its own listener (default port 15692): GET /metrics (node-wide
// aggregates, no object labels) and GET /metrics/per-object (one sample per queue and channel), in the
// Prometheus text exposition format 0.0.4. Metric names, types and HELP texts are those of rabbitmq_prometheus's
// core metrics collector for the facts Warren has. Channel counters keep counting after channels close: the
// aggregate adds the server's running sum of closed channels' counters.
import { listenOn } from '../server/listen.js';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Broker } from '../broker/broker.js';
import type { MessageStats } from '../broker/stats.js';
import type { Channel } from '../server/channel.js';
import type { Server } from '../server/server.js';
import { channelName } from './info-conn.js';
import { diskFree, fdTotal, fdUsed, RABBITMQ_API_VERSION } from './node-info.js';

export interface PrometheusOptions {
  broker: Broker;
  server: Server;
  version: string;
  port: number;
  /** undefined: every interface ("::", or "0.0.0.0" without IPv6). */
  host?: string;
  dataDir: string;
  memLimit: number;
}

export interface PrometheusServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

type Labels = Record<string, string>;
type Sample = [Labels, number];
type Family = { name: string; type: 'gauge' | 'counter' | 'untyped'; help: string; samples: Sample[] };

/** Channel counters: metric name, HELP, and the MessageStats field (RabbitMQ's channel_exchange/queue_metrics). */
const CHANNEL_COUNTERS: [string, string, keyof MessageStats][] = [
  ['channel_messages_published_total', 'Total number of messages published into an exchange on a channel', 'publish'],
  ['channel_messages_confirmed_total', 'Total number of messages published into an exchange and confirmed on the channel', 'confirm'],
  ['channel_messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', 'returnUnroutable'],
  ['channel_messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', 'dropUnroutable'],
  ['channel_get_ack_total', 'Total number of messages fetched with basic.get in manual acknowledgement mode', 'get'],
  ['channel_get_total', 'Total number of messages fetched with basic.get in automatic acknowledgement mode', 'getNoAck'],
  ['channel_messages_delivered_ack_total', 'Total number of messages delivered to consumers in manual acknowledgement mode', 'deliver'],
  ['channel_messages_delivered_total', 'Total number of messages delivered to consumers in automatic acknowledgement mode', 'deliverNoAck'],
  ['channel_messages_redelivered_total', 'Total number of messages redelivered to consumers', 'redeliver'],
  ['channel_messages_acked_total', 'Total number of messages acknowledged by consumers', 'ack'],
  ['channel_get_empty_total', 'Total number of times basic.get operations fetched no message', 'getEmpty'],
];

/** Escapes a label value: backslash, double quote and line feed. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function render(families: Family[]): string {
  let out = '';
  for (const f of families) {
    const name = `rabbitmq_${f.name}`;
    out += `# TYPE ${name} ${f.type}\n# HELP ${name} ${escHelp(f.help)}\n`;
    for (const [labels, v] of f.samples) {
      const ls = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      out += `${name}${ls ? `{${ls}}` : ''} ${fmt(v)}\n`;
    }
  }
  return out;
}

export class PrometheusCollector {
  private queuesCreated = 0;
  private queuesDeleted = 0;
  readonly permanentId: string;

  constructor(private readonly o: Omit<PrometheusOptions, 'port' | 'host'>) {
    o.broker.onChange((c) => {
      if (c.type === 'queue.added') this.queuesCreated++;
      else if (c.type === 'queue.removed') this.queuesDeleted++;
    });
    // RabbitMQ keeps a random rabbitmq-cluster-id-...; Warren derives a stable one from the node and its data dir.
    const h = createHash('sha256').update(`${o.broker.nodeName}\0${o.dataDir}`).digest('base64url').slice(0, 22);
    this.permanentId = `rabbitmq-cluster-id-${h}`;
  }

  /** Live (not torn down) channels of every connection. */
  private channels(): Channel[] {
    const out: Channel[] = [];
    for (const conn of this.o.server.connections) for (const ch of conn.channels.values()) if (!ch.retired) out.push(ch);
    return out;
  }

  families(perObject: boolean): Family[] {
    const { broker, server } = this.o;
    const channels = this.channels();
    const fam = (name: string, type: Family['type'], help: string, samples: Sample[]): Family => ({ name, type, help, samples });
    const one = (v: number): Sample[] => [[{}, v]];
    const out: Family[] = [];

    // connection_churn_metrics
    let channelsOpen = 0;
    for (const conn of server.connections) channelsOpen += conn.channels.size;
    const c = server.churn;
    out.push(
      fam('connections_opened_total', 'counter', 'Total number of connections opened', one(c.connectionCreated)),
      fam('connections_closed_total', 'counter', 'Total number of connections closed or terminated', one(c.connectionCreated - server.connections.size)),
      fam('channels_opened_total', 'counter', 'Total number of channels opened', one(c.channelCreated)),
      fam('channels_closed_total', 'counter', 'Total number of channels closed', one(c.channelCreated - channelsOpen)),
      fam('queues_declared_total', 'counter', 'Total number of queues declared', one(this.queuesCreated)),
      fam('queues_created_total', 'counter', 'Total number of queues created', one(this.queuesCreated)),
      fam('queues_deleted_total', 'counter', 'Total number of queues deleted', one(this.queuesDeleted)),
    );

    // node_coarse_metrics and node_metrics
    out.push(
      fam('process_open_fds', 'gauge', 'Open file descriptors', one(fdUsed())),
      fam('process_max_fds', 'gauge', 'Open file descriptors limit', one(fdTotal())),
      // RabbitMQ leaves a tenth of the descriptors to files (file_handle_cache); sockets are the connections.
      fam('process_open_tcp_sockets', 'gauge', 'Open TCP sockets', one(server.connections.size)),
      fam('process_max_tcp_sockets', 'gauge', 'Open TCP sockets limit', one(Math.floor(fdTotal() * 0.9))),
      fam('process_resident_memory_bytes', 'gauge', 'Memory used in bytes', one(process.memoryUsage.rss())),
      fam('disk_space_available_bytes', 'gauge', 'Disk space available in bytes', one(diskFree(this.o.dataDir))),
      fam('resident_memory_limit_bytes', 'gauge', 'Memory high watermark in bytes', one(this.o.memLimit)),
    );

    // queue_coarse_metrics and queue_metrics (consumers)
    const ready: Sample[] = [], unacked: Sample[] = [], depth: Sample[] = [], qConsumers: Sample[] = [], qPublished: Sample[] = [];
    const readyBytes: Sample[] = [], unackedBytes: Sample[] = [], bytes: Sample[] = [];
    let sReady = 0, sUnacked = 0, sConsumers = 0, sPublished = 0, queueCount = 0, sReadyBytes = 0, sUnackedBytes = 0;
    for (const [vhost, vh] of broker.vhosts) {
      for (const q of vh.queues.values()) {
        queueCount++;
        const r = q.messageCount, u = q.unackedCount, n = q.consumerCount, rb = q.messageBytes ?? 0, ub = q.unackedBytes ?? 0;
        sReady += r; sUnacked += u; sConsumers += n; sPublished += q.stats.publish; sReadyBytes += rb; sUnackedBytes += ub;
        if (perObject) {
          const l = { vhost, queue: q.name };
          ready.push([l, r]); unacked.push([l, u]); depth.push([l, r + u]); qConsumers.push([l, n]); qPublished.push([l, q.stats.publish]);
          readyBytes.push([l, rb]); unackedBytes.push([l, ub]); bytes.push([l, rb + ub]);
        }
      }
    }
    if (!perObject) {
      ready.push([{}, sReady]); unacked.push([{}, sUnacked]); depth.push([{}, sReady + sUnacked]); qConsumers.push([{}, sConsumers]);
      qPublished.push([{}, sPublished]);
      readyBytes.push([{}, sReadyBytes]); unackedBytes.push([{}, sUnackedBytes]); bytes.push([{}, sReadyBytes + sUnackedBytes]);
    }
    out.push(
      fam('queue_messages_ready', 'gauge', 'Messages ready to be delivered to consumers', ready),
      fam('queue_messages_unacked', 'gauge', 'Messages delivered to consumers but not yet acknowledged', unacked),
      fam('queue_messages', 'gauge', 'Sum of ready and unacknowledged messages - total queue depth', depth),
      fam('queue_consumers', 'gauge', 'Consumers on a queue', qConsumers),
      fam('queue_messages_ready_bytes', 'gauge', 'Size in bytes of ready messages', readyBytes),
      fam('queue_messages_unacked_bytes', 'gauge', 'Size in bytes of all unacknowledged messages', unackedBytes),
      fam('queue_messages_bytes', 'gauge', 'Size in bytes of ready and unacknowledged messages', bytes),
      // Of queues that exist now (a deleted queue's count goes with it).
      fam('queue_messages_published_total', 'counter', 'Total number of messages published to queues', qPublished),
    );

    // channel_metrics: consumers and unconfirmed publishes per channel, or summed.
    const perChannel = (f: (ch: Channel) => number): Sample[] => {
      if (perObject) return channels.map((ch) => [{ channel: channelName(ch) }, f(ch)]);
      let sum = 0;
      for (const ch of channels) sum += f(ch);
      return one(sum);
    };
    out.push(
      fam('channel_consumers', 'gauge', 'Consumers on a channel', perChannel((ch) => ch.consumers.size)),
      fam('channel_messages_unconfirmed', 'gauge', 'Published but not yet confirmed messages', perChannel((ch) => ch.unconfirmedCount)),
    );

    // channel_exchange_metrics and channel_queue_metrics: aggregated over live and closed channels, or per channel.
    for (const [name, help, key] of CHANNEL_COUNTERS) {
      let samples: Sample[];
      if (perObject) {
        samples = channels.map((ch) => [{ channel: channelName(ch) }, ch.stats[key] as number]);
      } else {
        let sum = server.closedChannelStats[key] as number;
        for (const ch of channels) sum += ch.stats[key] as number;
        samples = one(sum);
      }
      out.push(fam(name, 'counter', help, samples));
    }

    // TOTALS, then build and identity info.
    let consumers = 0;
    for (const ch of channels) consumers += ch.consumers.size;
    const cluster = String(server.serverProperties().cluster_name ?? broker.nodeName);
    out.push(
      fam('connections', 'gauge', 'Connections currently open', one(server.connections.size)),
      fam('channels', 'gauge', 'Channels currently open', one(channelsOpen)),
      fam('consumers', 'gauge', 'Consumers currently connected', one(consumers)),
      fam('queues', 'gauge', 'Queues available', one(queueCount)),
      fam('build_info', 'untyped', 'RabbitMQ & Erlang/OTP version info', [[{
        product_name: 'Warren', product_version: this.o.version, rabbitmq_version: RABBITMQ_API_VERSION,
        prometheus_plugin_version: this.o.version, prometheus_client_version: this.o.version,
        erlang_version: `Node.js ${process.versions.node}`,
      }, 1]]),
      fam('identity_info', 'untyped', 'RabbitMQ node & cluster identity info', [[{
        rabbitmq_node: broker.nodeName, rabbitmq_cluster: cluster, rabbitmq_cluster_permanent_id: this.permanentId,
      }, 1]]),
    );
    return out;
  }

  text(perObject: boolean): string { return render(this.families(perObject)); }
}

/** Binds the Prometheus port; rejects (EADDRINUSE, ...) if it cannot be bound. */
export async function startPrometheus(o: PrometheusOptions): Promise<PrometheusServer> {
  const collector = new PrometheusCollector(o);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    if (path !== '/metrics' && path !== '/metrics/per-object') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
      return;
    }
    let body: string;
    try { body = collector.text(path === '/metrics/per-object'); } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const http = createServer(handle);
  let host = o.host ?? '::';
  let port: number;
  try {
    port = await listenOn(http, o.port, host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (o.host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw e;
    host = '0.0.0.0';
    port = await listenOn(http, o.port, host);
  }
  return {
    host, port,
    stop: () => new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    }),
  };
}
