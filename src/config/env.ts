// Start-up settings from the environment, with embedded defaults so `warren-server` runs with no setup:
// AMQP on 5672, management on 15672, data under the project's data/ folder, node warren@<hostname>.
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Settings {
  nodeName: string;
  amqpPort: number;
  amqpHost: string | undefined;
  managementPort: number;
  dataDir: string;
  logLevel: string;
}

/** The project root: dist/src/config/ is three levels below it. */
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function port(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${v} is not a TCP port number`);
  return n;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const nodeName = env.WARREN_NODENAME || `warren@${hostname().split('.')[0]}`;
  return {
    nodeName,
    amqpPort: port(env, 'WARREN_NODE_PORT', 5672),
    amqpHost: env.WARREN_NODE_IP_ADDRESS || undefined,
    managementPort: port(env, 'WARREN_MANAGEMENT_PORT', 15672),
    dataDir: resolve(env.WARREN_DATA_DIR || join(projectRoot, 'data', nodeName)),
    logLevel: env.WARREN_LOG_LEVEL || 'info',
  };
}
