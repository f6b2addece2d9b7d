// The management HTTP server: starts the sampler (unless statistics are off) and serves the API on the
// management port, on every interface by default ("::", or "0.0.0.0" without IPv6), and over HTTPS too when
// management.ssl.port is set. stop() closes it all.
import { listenOn } from '../server/listen.js';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { createAdaptorServer } from '@hono/node-server';
import type { Broker } from '../broker/broker.js';
import type { Server } from '../server/server.js';
import { createApp } from './app.js';
import type { Listener, Mgmt } from './router.js';
import { StatsSampler } from './sampler.js';

/** RabbitMQ's collect_statistics_interval default. */
export const DEFAULT_STATS_INTERVAL_MS = 5000;

export interface ManagementOptions {
  broker: Broker;
  server: Server;
  version: string;
  port: number;
  /** undefined: every interface. */
  host?: string;
  /** Sampling interval; 0 turns statistics off (no message_stats, no rates, as disable_metrics_collector). */
  statsIntervalMs: number;
  /** The node's AMQP listeners, for the overview and health checks. */
  amqpListeners: Listener[];
  dataDir: string;
  configFiles?: string[];
  logFiles?: string[];
  memLimit?: number;
  diskFreeLimit?: number;
  log?: Mgmt['log'];
  /** management.ssl.*: also serve the API over HTTPS on this port. */
  tls?: { port: number; host?: string; options: TlsOptions };
}

export interface ManagementServer {
  host: string;
  port: number;
  mgmt: Mgmt;
  /** The HTTPS listener, when management.ssl.port is set. */
  tls?: { host: string; port: number };
  stop(): Promise<void>;
}

/** Binds the management port and starts sampling; rejects (EADDRINUSE, ...) if the port cannot be bound. */
export async function startManagement(o: ManagementOptions): Promise<ManagementServer> {
  const sampler = o.statsIntervalMs > 0 ? new StatsSampler(o.broker, o.server, o.statsIntervalMs) : undefined;
  const mgmt: Mgmt = {
    broker: o.broker, server: o.server, sampler, version: o.version, listeners: [...o.amqpListeners],
    dataDir: o.dataDir, configFiles: o.configFiles ?? [], logFiles: o.logFiles ?? [],
    memLimit: o.memLimit ?? 0, diskFreeLimit: o.diskFreeLimit ?? 50_000_000, startedAt: Date.now(), log: o.log ?? (() => {}),
  };
  const app = createApp(mgmt);
  const http = createAdaptorServer({ fetch: app.fetch }) as HttpServer;
  const { host, port } = await bind(http, o.port, o.host);
  mgmt.listeners.push({ protocol: 'http', host, port });
  let https: HttpsServer | undefined, tls: { host: string; port: number } | undefined;
  if (o.tls) {
    https = createAdaptorServer({ fetch: app.fetch, createServer: createHttpsServer, serverOptions: o.tls.options }) as HttpsServer;
    // A client that fails the TLS handshake is that client's problem; log it and go on.
    https.on('tlsClientError', (e: Error & { code?: string }) => mgmt.log('warning', `management HTTPS handshake failed: ${e.code ?? e.message}`));
    try {
      tls = await bind(https, o.tls.port, o.tls.host ?? o.host);
    } catch (e) {
      http.close();
      throw e;
    }
    mgmt.listeners.push({ protocol: 'https', ...tls });
  }
  sampler?.start();
  const close = (srv: HttpServer | HttpsServer) => new Promise<void>((resolve) => { srv.close(() => resolve()); srv.closeAllConnections(); });
  return {
    host, port, mgmt, tls,
    stop: async () => {
      sampler?.stop();
      await Promise.all([close(http), ...(https ? [close(https)] : [])]);
    },
  };
}

/** Binds host:port, or "::" falling back to "0.0.0.0" on hosts without IPv6 when no host is given. */
async function bind(srv: HttpServer | HttpsServer, port: number, host: string | undefined): Promise<{ host: string; port: number }> {
  try {
    return { host: host ?? '::', port: await listenOn(srv, port, host ?? '::') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw e;
    return { host: '0.0.0.0', port: await listenOn(srv, port, '0.0.0.0') };
  }
}
