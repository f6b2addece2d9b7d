#!/usr/bin/env node
// warren-server: starts one Warren node with embedded defaults (see src/config/env.ts), prints one line when
// it accepts AMQP connections, and shuts down cleanly on SIGTERM/SIGINT (connections closed with 320).
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../broker/broker.js';
import { settingsFromEnv } from '../config/env.js';
import { Server, type LogLevel } from '../server/server.js';

const levels: Record<string, number> = { debug: 10, info: 20, warning: 30, error: 40, none: 100 };

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  const threshold = levels[settings.logLevel] ?? 20;
  const log = (level: LogLevel, msg: string) => {
    if ((levels[level] ?? 20) >= threshold) process.stderr.write(`${new Date().toISOString()} [${level}] ${msg}\n`);
  };
  mkdirSync(settings.dataDir, { recursive: true });
  const broker = new Broker({ nodeName: settings.nodeName });
  const server = new Server({ broker, version: pkg.version, log });
  let port: number;
  try {
    port = await server.listen(settings.amqpPort, settings.amqpHost ?? '::');
  } catch (e) {
    if (settings.amqpHost || (e as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw e;
    port = await server.listen(settings.amqpPort, '0.0.0.0'); // no IPv6 on this host
  }
  const host = settings.amqpHost ?? '[::]';
  process.stdout.write(`Warren ${pkg.version} node ${settings.nodeName} accepting AMQP connections on ${host}:${port} (data in ${settings.dataDir})\n`);

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
  process.stderr.write(`warren-server: ${(e as Error).message ?? e}\n`);
  process.exit(1);
});
