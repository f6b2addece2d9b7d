// Start-up settings from the environment, with embedded defaults so `warren-server` runs with no setup:
// AMQP on 5672, management on 15672, data under the project's data/ folder, node warren@<hostname>.
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './conf.js';

export interface Settings {
  nodeName: string;
  amqpPort: number;
  amqpHost: string | undefined;
  managementPort: number;
  dataDir: string;
  logLevel: string;
}

/** The project root: dist/src/config/ is three levels below it. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** warren@<short hostname>, like RabbitMQ's rabbit@<short hostname>. */
export function defaultNodeName(): string { return `warren@${hostname().split('.')[0]}`; }

/** <project>/data/<node name>. */
export function defaultDataDir(nodeName: string): string { return join(projectRoot, 'data', nodeName); }

/** Parses a port number; `what` names its origin in the error ("WARREN_NODE_PORT=abc is not ..."). */
export function parsePort(v: string, what: string): number {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n > 65535) throw new ConfigError(`${what}=${v} is not a TCP port number`);
  return n;
}

function port(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const v = env[name];
  return v === undefined || v === '' ? def : parsePort(v, name);
}

/** The environment-only settings (no files); warren-server uses loadSettings in settings.ts. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const nodeName = env.WARREN_NODENAME || defaultNodeName();
  return {
    nodeName,
    amqpPort: port(env, 'WARREN_NODE_PORT', 5672),
    amqpHost: env.WARREN_NODE_IP_ADDRESS || undefined,
    managementPort: port(env, 'WARREN_MANAGEMENT_PORT', 15672),
    dataDir: resolve(env.WARREN_DATA_DIR || defaultDataDir(nodeName)),
    logLevel: env.WARREN_LOG_LEVEL || 'info',
  };
}
