// warren-server's body (src/cli/warren-server.ts loads it after limiting malloc's arenas).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldTable } from '../amqp/table.js';
import { ResourceMonitor } from '../server/alarms.js';
import { MemoryReclaimer } from '../server/reclaim.js';
import { bootBroker } from '../store/boot.js';
import { DefinitionsError, importDefinitions, type Definitions } from '../broker/definitions.js';
import { ConfigError } from '../config/conf.js';
import { loadSettings, type WarrenSettings } from '../config/settings.js';
import { startManagement, type ManagementServer } from '../management/server.js';
import { startPrometheus, type PrometheusServer } from '../management/prometheus.js';
import type { ListenerAddress } from '../config/values.js';
import { Server } from '../server/server.js';
import { makeLogger, type LogFn } from '../log.js';
import { TlsConfigError, tlsServerOptions, type SslOptions } from '../server/tls.js';
import type { TlsOptions } from 'node:tls';
import { CookieError, cookiePath, ensureCookie } from '../control/cookie.js';
import { startControl, type ControlListener } from '../control/listener.js';
import { WarrenNode, type App, type ListenerInfo } from '../control/node.js';

/** sysexits.h EX_CONFIG: a configuration error. */
const EX_CONFIG = 78;

/** The node's logger (src/log.ts); a log file that cannot be opened is a configuration error. */
function openLog(s: WarrenSettings): LogFn {
  try {
    return makeLogger({ ...s.log });
  } catch (e) {
    throw new ConfigError(`cannot open log file ${s.log.file}: ${(e as Error).message}`);
  }
}

/** Listens on one listener; "every interface" is "::" (IPv6 and IPv4), or "0.0.0.0" on hosts without IPv6. */
async function listen(server: Server, l: ListenerAddress, tls?: TlsOptions): Promise<{ host: string; port: number }> {
  if (l.host !== undefined) return { host: l.host, port: await server.listen(l.port, l.host, tls) };
  try {
    return { host: '::', port: await server.listen(l.port, '::', tls) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw e;
    return { host: '0.0.0.0', port: await server.listen(l.port, '0.0.0.0', tls) };
  }
}

/** node:tls options from ssl_options; bad files are a config error. */
function tlsOptionsOf(o: SslOptions, prefix: string): TlsOptions {
  try { return tlsServerOptions(o, prefix); } catch (e) {
    if (e instanceof TlsConfigError) throw new ConfigError(e.message);
    throw e;
  }
}

const hostPort = (a: { host: string; port: number }) => `${isIPv6(a.host) ? `[${a.host}]` : a.host}:${a.port}`;

/** What start_app runs: recover the store, load definitions, open the AMQP and management listeners. */
async function startApp(settings: WarrenSettings, version: string, log: LogFn): Promise<App> {
  const { broker, store, recovered } = await bootBroker(settings.dataDir, {
    nodeName: settings.nodeName,
    defaultUser: settings.defaultUser,
    defaultPass: settings.defaultPass,
    defaultVhost: settings.defaultVhost,
    loopbackUsers: settings.loopbackUsers,
    defaultUserTags: settings.defaultUserTags,
    defaultPermissions: settings.defaultPermissions,
  });
  // Before anything is published: a failed WAL write is logged with its errno (ENOSPC, EIO).
  store.wal.onError = (e) => log('error', `write-ahead log failed, nothing more will be confirmed: ${e.message}`,
    { domain: 'rabbitmq.store', error: (e as NodeJS.ErrnoException).code ?? e.message, path: store.dir });
  store.onSnapshotError = (e) => log('warning', `metadata snapshot failed, the previous one stays in use: ${e.message}`,
    { domain: 'rabbitmq.store', error: (e as NodeJS.ErrnoException).code ?? e.message, path: store.dir });
  log('info', `recovered ${recovered.records} log records, ${recovered.messages} messages in ${recovered.queues} durable queues` +
    (recovered.truncatedBytes ? `; cut ${recovered.truncatedBytes} bytes of torn log tail` : ''));
  try {
    if (settings.loadDefinitions) {
      // As RabbitMQ's load_definitions: the file's users, vhosts, permissions, exchanges, queues and bindings.
      let defs: Definitions;
      try { defs = JSON.parse(readFileSync(settings.loadDefinitions, 'utf8')) as Definitions; } catch (e) {
        throw new ConfigError(`load_definitions: cannot read ${settings.loadDefinitions}: ${(e as Error).message}`);
      }
      try { importDefinitions(broker, defs); } catch (e) {
        if (e instanceof DefinitionsError) throw new ConfigError(`load_definitions: ${settings.loadDefinitions}: ${e.message}`);
        throw e;
      }
      log('info', `imported definitions from ${settings.loadDefinitions}`);
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  const serverProperties: FieldTable = { ...settings.serverProperties };
  const server = new Server({
    clusterName: settings.clusterName,
    broker,
    version,
    log,
    frameMax: settings.frameMax,
    channelMax: settings.channelMax,
    heartbeat: settings.heartbeat,
    maxMessageSize: settings.maxMessageSize,
    handshakeTimeout: settings.handshakeTimeout,
    connectionMax: settings.connectionMax,
    consumerTimeout: settings.consumerTimeout,
    serverProperties,
    authMechanisms: settings.authMechanisms,
    certLoginFrom: settings.certLoginFrom,
    authFailureDelayMs: settings.authFailureDelayMs,
  });
  const reclaimer = new MemoryReclaimer(Number(process.env.WARREN_RECLAIM_INTERVAL_MS) || 5000, log);
  reclaimer.start();
  const monitor = new ResourceMonitor({
    memory: settings.vmMemoryHighWatermark, disk: settings.diskFreeLimit, dataDir: settings.dataDir,
    intervalMs: Number(process.env.WARREN_ALARM_INTERVAL_MS) || 1000,
    reclaim: () => reclaimer.reclaim('memory alarm'),
  }, (active) => server.setAlarms(active), (msg, fields) => log('warning', msg, { domain: 'rabbitmq.alarm', ...fields }));
  monitor.start();

  const bound: { host: string; port: number }[] = [];
  const boundTls: { host: string; port: number }[] = [];
  let mgmt: ManagementServer;
  try {
    for (const l of settings.listeners) bound.push(await listen(server, l));
    const tls = settings.sslListeners.length ? tlsOptionsOf(settings.sslOptions, 'ssl_options') : undefined;
    for (const l of settings.sslListeners) boundTls.push(await listen(server, l, tls));
  } catch (e) {
    await server.shutdown();
    await store.close();
    throw e;
  }
  let mgmtTls: { port: number; host?: string; options: TlsOptions } | undefined;
  try {
    if (settings.managementSsl.port !== undefined) {
      mgmtTls = { port: settings.managementSsl.port, host: settings.managementSsl.ip, options: tlsOptionsOf(settings.managementSsl, 'management.ssl') };
    }
  } catch (e) {
    await server.shutdown();
    await store.close();
    throw e;
  }
  try {
    mgmt = await startManagement({
      broker, server, version, port: settings.managementPort, host: settings.managementHost,
      statsIntervalMs: settings.statsIntervalMs,
      amqpListeners: [...bound.map((b) => ({ protocol: 'amqp', ...b })), ...boundTls.map((b) => ({ protocol: 'amqp/ssl', ...b }))],
      tls: mgmtTls,
      dataDir: settings.dataDir, configFiles: settings.configFile ? [settings.configFile] : [],
      logFiles: [...(settings.log.file ? [settings.log.file] : []), ...(settings.log.console ? ['<stderr>'] : [])],
      memLimit: settings.vmMemoryHighWatermark.absolute ?? Math.floor((settings.vmMemoryHighWatermark.relative ?? 0.4) * totalmem()),
      diskFreeLimit: settings.diskFreeLimit.absolute ?? Math.floor((settings.diskFreeLimit.relative ?? 0) * totalmem()),
      log,
    });
  } catch (e) {
    // As RabbitMQ, whose boot fails when the management plugin cannot bind its port.
    await server.shutdown();
    await store.close();
    const where = hostPort({ host: settings.managementHost ?? '::', port: settings.managementPort });
    throw new Error(`management API cannot listen on ${where}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let prom: PrometheusServer;
  try {
    // rabbitmq_prometheus: /metrics and /metrics/per-object on their own listener.
    prom = await startPrometheus({
      broker, server, version, port: settings.prometheusPort, host: settings.prometheusHost, dataDir: settings.dataDir,
      memLimit: settings.vmMemoryHighWatermark.absolute ?? Math.floor((settings.vmMemoryHighWatermark.relative ?? 0.4) * totalmem()),
    });
  } catch (e) {
    await mgmt.stop();
    await server.shutdown();
    await store.close();
    const where = hostPort({ host: settings.prometheusHost ?? '::', port: settings.prometheusPort });
    throw new Error(`prometheus cannot listen on ${where}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const head = `Warren ${version} node ${settings.nodeName}`;
  if (bound.length === 0) {
    process.stdout.write(`${head} started with no AMQP listeners (listeners.tcp = none) (data in ${settings.dataDir})\n`);
  } else {
    // Tests and scripts parse this line; with several listeners it names the first.
    process.stdout.write(`${head} accepting AMQP connections on ${hostPort(bound[0])} (data in ${settings.dataDir})\n`);
    for (const b of bound.slice(1)) log('info', `additional AMQP listener on ${hostPort(b)}`);
  }
  // Tests parse these lines too.
  for (const b of boundTls) process.stdout.write(`accepting AMQP TLS connections on ${hostPort(b)}\n`);
  process.stdout.write(`management API listening on ${hostPort(mgmt)}\n`);
  if (mgmt.tls) process.stdout.write(`management API listening on https://${hostPort(mgmt.tls)}\n`);
  process.stdout.write(`prometheus listening on ${hostPort(prom)}\n`);
  const listeners: ListenerInfo[] = [
    ...bound.map((b) => ({ interface: b.host, port: b.port, protocol: 'amqp', purpose: 'AMQP 0-9-1' })),
    ...boundTls.map((b) => ({ interface: b.host, port: b.port, protocol: 'amqp/ssl', purpose: 'AMQP 0-9-1 over TLS' })),
    { interface: mgmt.host, port: mgmt.port, protocol: 'http', purpose: 'HTTP API' },
    ...(mgmt.tls ? [{ interface: mgmt.tls.host, port: mgmt.tls.port, protocol: 'https', purpose: 'HTTP API over TLS (HTTPS)' }] : []),
    { interface: prom.host, port: prom.port, protocol: 'http/prometheus', purpose: 'Prometheus exporter API over HTTP' },
  ];
  return {
    broker, server, listeners,
    stop: async () => {
      await prom.stop();
      await mgmt.stop();
      await server.shutdown();
      await store.close();
    },
  };
}

async function main(): Promise<void> {
  const settings = loadSettings();
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  mkdirSync(settings.dataDir, { recursive: true });
  const log = openLog(settings);
  log('info', settings.configFile ? `using config file ${settings.configFile}` : 'no config file (set WARREN_CONFIG_FILE or create /etc/warren/warren.conf)');
  if (settings.envFile) log('info', `using environment file ${settings.envFile}`);
  if (settings.inert.length) log('info', `settings accepted but not acted on yet: ${settings.inert.join(', ')}`);

  // Like Erlang's cookie check: the node does not start with a cookie others may read.
  const cookieFile = cookiePath();
  let cookie: string;
  try { cookie = ensureCookie(cookieFile); } catch (e) {
    if (e instanceof CookieError) throw new ConfigError(e.message);
    throw e;
  }
  let control: ControlListener | undefined;
  const node = new WarrenNode({
    name: settings.nodeName, version: pkg.version, settings, cookieFile,
    startApp: () => startApp(settings, pkg.version, log),
    // reset: the store holds every durable definition and message (bootBroker keeps it in <dataDir>/store).
    wipe: () => rmSync(join(settings.dataDir, 'store'), { recursive: true, force: true }),
    log,
    exit: (code) => { void (control?.close() ?? Promise.resolve()).then(() => process.exit(code)); },
  });
  // The control listener comes first, as Erlang distribution before the rabbit app: await_startup can wait.
  try {
    control = await startControl(node, { host: '127.0.0.1', port: settings.distPort, cookie, dataDir: settings.dataDir });
  } catch (e) {
    throw new Error(`control listener cannot listen on 127.0.0.1:${settings.distPort}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  process.stdout.write(`control listening on ${hostPort(control)}\n`);
  try {
    await node.startApp();
  } catch (e) {
    await control.close();
    throw e;
  }

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `received ${sig}, stopping`);
    void node.stop();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`warren-server: ${e.message}\n`);
    process.exit(EX_CONFIG);
  }
  process.stderr.write(`warren-server: ${(e as Error).message ?? e}\n`);
  process.exit(1);
});
