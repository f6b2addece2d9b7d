#!/usr/bin/env node
// warren-server: starts one Warren node from src/config/settings.ts (defaults < warren.conf < warren-env.conf < env),
// prints one "accepting AMQP connections" line, stops cleanly on SIGTERM/SIGINT; config errors exit 78 (EX_CONFIG).
import { mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldTable } from '../amqp/table.js';
import { Broker } from '../broker/broker.js';
import { DefinitionsError, importDefinitions, type Definitions } from '../broker/definitions.js';
import { ConfigError } from '../config/conf.js';
import { loadSettings, type WarrenSettings } from '../config/settings.js';
import type { ListenerAddress } from '../config/values.js';
import { Server, type LogLevel } from '../server/server.js';

/** sysexits.h EX_CONFIG: a configuration error. */
const EX_CONFIG = 78;

const thresholds: Record<string, number> = {
  debug: 10, info: 20, notice: 25, warning: 30, error: 40, critical: 50, alert: 60, emergency: 70, none: 100,
};

/** Log lines to stderr (log.console) and/or appended to log.file, each with its own level. */
function makeLogger(s: WarrenSettings): (level: LogLevel, msg: string) => void {
  const consoleMin = s.log.console ? thresholds[s.log.consoleLevel] : Infinity;
  let fd: number | undefined;
  const fileMin = thresholds[s.log.fileLevel];
  if (s.log.file) {
    try {
      mkdirSync(dirname(s.log.file), { recursive: true });
      fd = openSync(s.log.file, 'a');
    } catch (e) {
      throw new ConfigError(`cannot open log file ${s.log.file}: ${(e as Error).message}`);
    }
  }
  return (level, msg) => {
    const t = thresholds[level] ?? 20;
    const toConsole = t >= consoleMin, toFile = fd !== undefined && t >= fileMin;
    if (!toConsole && !toFile) return;
    const line = `${new Date().toISOString()} [${level}] ${msg}\n`;
    if (toConsole) process.stderr.write(line);
    if (toFile) writeSync(fd!, line);
  };
}

/** Listens on one listener; "every interface" is "::" (IPv6 and IPv4), or "0.0.0.0" on hosts without IPv6. */
async function listen(server: Server, l: ListenerAddress): Promise<{ host: string; port: number }> {
  if (l.host !== undefined) return { host: l.host, port: await server.listen(l.port, l.host) };
  try {
    return { host: '::', port: await server.listen(l.port, '::') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw e;
    return { host: '0.0.0.0', port: await server.listen(l.port, '0.0.0.0') };
  }
}

const hostPort = (a: { host: string; port: number }) => `${isIPv6(a.host) ? `[${a.host}]` : a.host}:${a.port}`;

async function main(): Promise<void> {
  const settings = loadSettings();
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  mkdirSync(settings.dataDir, { recursive: true });
  const log = makeLogger(settings);
  log('info', settings.configFile ? `using config file ${settings.configFile}` : 'no config file (set WARREN_CONFIG_FILE or create /etc/warren/warren.conf)');
  if (settings.envFile) log('info', `using environment file ${settings.envFile}`);
  if (settings.inert.length) log('info', `settings accepted but not acted on yet: ${settings.inert.join(', ')}`);

  const broker = new Broker({
    nodeName: settings.nodeName,
    defaultUser: settings.defaultUser,
    defaultPass: settings.defaultPass,
    defaultVhost: settings.defaultVhost,
    loopbackUsers: settings.loopbackUsers,
    defaultUserTags: settings.defaultUserTags,
    defaultPermissions: settings.defaultPermissions,
  });
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
  const serverProperties: FieldTable = { ...settings.serverProperties };
  if (settings.clusterName !== undefined && !('cluster_name' in serverProperties)) serverProperties.cluster_name = settings.clusterName;
  const server = new Server({
    broker,
    version: pkg.version,
    log,
    frameMax: settings.frameMax,
    channelMax: settings.channelMax,
    heartbeat: settings.heartbeat,
    maxMessageSize: settings.maxMessageSize,
    serverProperties,
  });

  const bound: { host: string; port: number }[] = [];
  for (const l of settings.listeners) bound.push(await listen(server, l));
  const head = `Warren ${pkg.version} node ${settings.nodeName}`;
  if (bound.length === 0) {
    process.stdout.write(`${head} started with no AMQP listeners (listeners.tcp = none) (data in ${settings.dataDir})\n`);
  } else {
    // Tests and scripts parse this line; with several listeners it names the first.
    process.stdout.write(`${head} accepting AMQP connections on ${hostPort(bound[0])} (data in ${settings.dataDir})\n`);
    for (const b of bound.slice(1)) log('info', `additional AMQP listener on ${hostPort(b)}`);
  }

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `received ${sig}, stopping`);
    server.shutdown().then(() => process.exit(0), () => process.exit(1));
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
