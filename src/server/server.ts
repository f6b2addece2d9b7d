// The AMQP listeners (TCP and TLS): accepts sockets, owns the connection table, negotiation limits, server
// properties and SASL mechanisms, direct reply-to routing, and the clean shutdown that closes every connection
// with 320 CONNECTION_FORCED.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { ReplyCode } from '../amqp/errors.js';
import type { FieldTable } from '../amqp/table.js';
import type { Broker } from '../broker/broker.js';
import { MessageStats } from '../broker/stats.js';
import type { Message } from '../broker/message.js';
import type { Queue } from '../broker/queue.js';
import type { Channel } from './channel.js';
import { Connection } from './connection.js';
import { listenOn } from './listen.js';
import { WaitingSockets } from './waiting-sockets.js';
import type { LogFields } from '../log.js';
import { AuthAttempts } from './auth-attempts.js';
import { Sasl, type CertLoginFrom } from './sasl.js';
import { createTlsServer } from './tls.js';
import type { TlsOptions } from 'node:tls';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface ServerOptions {
  broker: Broker;
  version: string;
  frameMax?: number;
  channelMax?: number;
  heartbeat?: number;
  maxMessageSize?: number;
  /** handshake_timeout in ms (RabbitMQ's default 10000); Infinity for none. */
  handshakeTimeout?: number;
  /** connection_max: connections beyond it wait unread until one closes, as with RabbitMQ's ranch; Infinity for none. */
  connectionMax?: number;
  /** consumer_timeout in ms (RabbitMQ 3.10's default 1800000); undefined for none. */
  consumerTimeout?: number;
  /** Overrides/additions to the server properties sent in connection.start (RabbitMQ's server_properties). */
  serverProperties?: FieldTable;
  /** warren.conf's cluster_name: the cluster_name property until set_cluster_name sets another (node name if unset). */
  clusterName?: string;
  log?: (level: LogLevel, msg: string, fields?: LogFields) => void;
  /** auth_mechanisms.N, in order (default PLAIN, AMQPLAIN) and ssl_cert_login_from for EXTERNAL. */
  authMechanisms?: readonly string[];
  certLoginFrom?: CertLoginFrom;
  /** How long a refused login waits before its close (auth_failure_delay, ms; default 1000). */
  authFailureDelayMs?: number;
}

export class Server {
  readonly broker: Broker;
  readonly frameMax: number;
  readonly channelMax: number;
  readonly heartbeat: number;
  readonly maxMessageSize: number;
  readonly handshakeTimeout: number;
  readonly connectionMax: number;
  readonly consumerTimeout: number | undefined;
  readonly connections = new Set<Connection>();
  readonly replyChannels = new Map<string, Channel>();
  /** Resource alarms currently raised (memory, disk): publishers are blocked while any is. */
  readonly alarms = new Set<string>();
  /** Connections and channels opened since start (closed = opened - open now), for the management churn rates. */
  readonly churn = { connectionCreated: 0, channelCreated: 0 };
  /** Running sum of the message counters of channels torn down, so node-wide totals keep counting (Prometheus). */
  readonly closedChannelStats = new MessageStats();
  /** Logins per protocol (/api/auth/attempts/{node}). */
  readonly authAttempts = new AuthAttempts();
  readonly sasl: Sasl;
  readonly authFailureDelayMs: number;
  private readonly listeners: NetServer[] = [];
  /** Sockets accepted past connection_max, not read until a connection closes. */
  private readonly waiting = new WaitingSockets();
  private nextId = 1;

  constructor(private readonly opts: ServerOptions) {
    this.broker = opts.broker;
    this.frameMax = opts.frameMax ?? 131072;
    this.channelMax = opts.channelMax ?? 2047;
    this.heartbeat = opts.heartbeat ?? 60;
    this.maxMessageSize = opts.maxMessageSize ?? 128 * 1024 * 1024;
    this.handshakeTimeout = opts.handshakeTimeout ?? 10_000;
    this.connectionMax = opts.connectionMax ?? Infinity;
    this.consumerTimeout = 'consumerTimeout' in opts ? opts.consumerTimeout : 1_800_000;
    this.broker.onQueueRemoved = (q) => this.queueRemoved(q);
    this.sasl = new Sasl(opts.broker, opts.authMechanisms, opts.certLoginFrom);
    this.authFailureDelayMs = opts.authFailureDelayMs ?? 1000;
  }

  get nodeName(): string { return this.broker.nodeName; }

  log(level: LogLevel, msg: string, fields?: LogFields): void { this.opts.log?.(level, msg, fields); }

  serverProperties(): FieldTable {
    const named = this.broker.meta.globalParameters.get('cluster_name')?.value;
    return {
      product: 'Warren',
      version: this.opts.version,
      platform: `Node.js ${process.version}`,
      copyright: 'Copyright (c) the Warren authors',
      information: 'Licensed under the Apache License 2.0',
      cluster_name: typeof named === 'string' ? named : this.opts.clusterName ?? this.nodeName,
      capabilities: {
        publisher_confirms: true, exchange_exchange_bindings: true, 'basic.nack': true,
        consumer_cancel_notify: true, 'connection.blocked': true, consumer_priorities: true,
        authentication_failure_close: true, per_consumer_qos: true, direct_reply_to: true,
      },
      ...this.opts.serverProperties,
    };
  }

  /** Listens on host:port (AMQPS with tls options); resolves with the bound port. host '::' also takes IPv4 where the OS allows. */
  listen(port: number, host?: string, tls?: TlsOptions): Promise<number> {
    const srv = tls ? createTlsServer(tls, (s) => this.accept(s), (msg) => this.log('warning', msg))
      : createServer({ noDelay: true }, (s) => this.accept(s));
    this.listeners.push(srv);
    return listenOn(srv, port, host, 1024);
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.connectionMax) { this.waiting.hold(socket); return; }
    const c = new Connection(this, socket, this.nextId++);
    this.connections.add(c);
    this.churn.connectionCreated++;
  }

  /** Called by the resource monitor with the alarms now raised. */
  setAlarms(active: ReadonlySet<string>): void {
    this.alarms.clear();
    for (const a of active) this.alarms.add(a);
    for (const c of this.connections) c.alarmsChanged();
  }

  /** A channel was torn down: its final counters join closedChannelStats (once per channel). */
  channelRetired(stats: MessageStats): void {
    const into = this.closedChannelStats as unknown as Record<string, number>, from = stats as unknown as Record<string, number>;
    for (const k of Object.keys(from)) if (typeof from[k] === 'number') into[k]! += from[k]!;
  }

  connectionClosed(c: Connection): void {
    if (!this.connections.delete(c)) return;
    const next = this.waiting.next();
    if (next) this.accept(next);
    // Exclusive queues go with their connection. The connection lists the ones it declared, so this does not
    // scan every queue of every vhost on each close (10,000 queues made a churn of closes 2.6x slower).
    const vh = c.ctx?.vhost;
    if (!vh) return;
    for (const name of c.exclusiveQueues) {
      if (vh.queues.get(name)?.owner === c.key) this.broker.execute({ type: 'queue.delete', vhost: vh.name, name });
    }
  }

  private queueRemoved(_q: Queue): void { /* consumers were cancelled by the queue itself */ }

  /** Direct reply-to: deliver to the channel that published with reply_to; false if it is gone. */
  deliverReply(token: string, msg: Message): boolean {
    const ch = this.replyChannels.get(token);
    if (!ch || !ch.replyConsumer) return false;
    ch.deliverReply(msg);
    return true;
  }

  /** Stops listening and closes every connection with 320 CONNECTION_FORCED. */
  async shutdown(reason = 'broker forced connection closure with reason \'shutdown\''): Promise<void> {
    const closed = this.listeners.map((l) => new Promise<void>((r) => l.close(() => r())));
    this.waiting.destroyAll();
    for (const c of [...this.connections]) c.close(ReplyCode.ConnectionForced, reason);
    const deadline = Date.now() + 2000;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of [...this.connections]) c.socket.destroy();
    await Promise.all(closed);
  }
}
