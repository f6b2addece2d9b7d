// The management HTTP server: starts the sampler (unless statistics are off) and serves the API on the
// management port, on every interface by default ("::", or "0.0.0.0" without IPv6). stop() closes it all.
import { listenOn } from '../server/listen.js';
import type { Server as HttpServer } from 'node:http';
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
}

export interface ManagementServer {
  host: string;
  port: number;
  mgmt: Mgmt;
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
  mgmt.listeners.push({ protocol: 'http', host, port });
  sampler?.start();
  return {
    host, port, mgmt,
    stop: () => new Promise<void>((resolve) => {
      sampler?.stop();
      http.close(() => resolve());
      http.closeAllConnections();
    }),
  };
}
