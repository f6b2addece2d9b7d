// All start-up settings in one place: embedded defaults < warren.conf < warren-env.conf < environment
// variables, each layer overriding the one before. File locations and keys: see warren.conf.example.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, emptyConf, inertSettings, LOG_LEVELS, readConf, type LogFormat, type LogLevel, type SslConf } from './conf.js';
import { defaultDataDir, defaultNodeName, parsePort, type Settings } from './env.js';
import type { ListenerAddress } from './values.js';

/** Where a packaged Warren looks when WARREN_CONFIG_FILE / WARREN_CONF_ENV_FILE are unset (like /etc/rabbitmq/). */
export const SYSTEM_CONFIG_FILE = '/etc/warren/warren.conf';
export const SYSTEM_ENV_FILE = '/etc/warren/warren-env.conf';

export interface WarrenSettings extends Settings {
  /** The warren.conf read, if any. */
  configFile: string | undefined;
  /** The warren-env.conf read, if any. */
  envFile: string | undefined;
  /** AMQP listeners; host undefined means every interface ("::", falling back to "0.0.0.0"). May be empty. */
  listeners: ListenerAddress[];
  managementHost: string | undefined;
  /** management.ssl.*: an HTTPS listener for the management API when management.ssl.port is set. */
  managementSsl: SslConf & { port?: number; ip?: string };
  /** listeners.ssl.<name>: AMQPS listeners (none by default), with ssl_options. */
  sslListeners: ListenerAddress[];
  sslOptions: SslConf;
  /** auth_mechanisms.N in order of N (default PLAIN, AMQPLAIN); ssl_cert_login_from; auth_failure_delay (ms). */
  authMechanisms: string[];
  certLoginFrom: 'distinguished_name' | 'common_name';
  authFailureDelayMs: number;
  /** The control port warrenctl talks to, on loopback (RabbitMQ's distribution port: AMQP port + 20000; 0 = any). */
  distPort: number;
  /** Management statistics sampling interval in ms (collect_statistics_interval, WARREN_STATS_INTERVAL_MS); 0 = off. */
  statsIntervalMs: number;
  prometheusPort: number;
  prometheusHost: string | undefined;
  frameMax: number;
  channelMax: number;
  heartbeat: number;
  maxMessageSize: number;
  /** handshake_timeout in ms (Infinity: none). */
  handshakeTimeout: number;
  /** connection_max (Infinity: none). */
  connectionMax: number;
  /** consumer_timeout in ms. */
  consumerTimeout: number;
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
  defaultUserTags: string[];
  defaultPermissions: { configure: string; read: string; write: string };
  loopbackUsers: string[];
  clusterName: string | undefined;
  /** load_definitions: definitions JSON imported at boot (absolute, or relative to the config file). */
  loadDefinitions: string | undefined;
  /** server_properties.<name> from warren.conf. */
  serverProperties: Record<string, string>;
  vmMemoryHighWatermark: { relative?: number; absolute?: number };
  diskFreeLimit: { relative?: number; absolute?: number };
  log: {
    level: LogLevel; console: boolean; consoleLevel: LogLevel; consoleFormat: LogFormat;
    file: string | undefined; fileLevel: LogLevel; fileFormat: LogFormat;
  };
  /** warren.conf keys that were validated but are not acted on yet (vm_memory_high_watermark, ...). */
  inert: string[];
}

/** Names a warren-env.conf may set, with or without the WARREN_ prefix (as rabbitmq-env.conf drops RABBITMQ_). */
export const ENV_FILE_VARS: readonly string[] = [
  'NODENAME', 'NODE_IP_ADDRESS', 'NODE_PORT', 'MANAGEMENT_PORT', 'PROMETHEUS_PORT', 'DATA_DIR', 'LOG_LEVEL', 'CONFIG_FILE',
  'DIST_PORT',
  'STATS_INTERVAL_MS',
];

/** As RABBITMQ_DIST_PORT's default: the AMQP port + 20000 (25672), or 25672 when that does not fit. */
function distPortFor(amqpPort: number): number {
  return amqpPort > 0 && amqpPort + 20000 <= 65535 ? amqpPort + 20000 : 25672;
}

export interface EnvVar { value: string; origin: string }

/**
 * Reads warren-env.conf text: shell-style NAME=value lines (optionally prefixed by `export`), # comments,
 * values bare, 'single-quoted' or "double-quoted". No variable expansion or command substitution.
 * Returns WARREN_-prefixed names.
 */
export function parseEnvFile(text: string, file = 'warren-env.conf'): Map<string, EnvVar> {
  const out = new Map<string, EnvVar>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const at = `${file}:${i + 1}`;
    const fail = (msg: string): never => { throw new ConfigError(`${at}: ${msg}`); };
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) fail(/^[A-Za-z_][A-Za-z0-9_]*[ \t]+=/.test(line) ? "no spaces are allowed around '=' (shell syntax: NAME=value)" : `expected NAME=value, got '${line}'`);
    const [, name, rest] = m!;
    let value: string, after: string;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) fail(`unterminated quoted value for ${name}`);
      value = rest.slice(1, end);
      after = rest.slice(end + 1);
    } else if (rest.startsWith('"')) {
      const dq = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!dq) fail(`unterminated quoted value for ${name}`);
      if (/(^|[^\\])[$`]/.test(dq![1])) fail(`${name}: variable expansion and command substitution are not supported`);
      value = dq![1].replace(/\\([\\"$`])/g, '$1');
      after = rest.slice(dq![0].length);
    } else {
      value = /^[^ \t#]*/.exec(rest)![0];
      after = rest.slice(value.length);
      if (/[$`"'\\]/.test(value)) fail(`${name}: quote the value; variable expansion and command substitution are not supported`);
    }
    if (!/^([ \t]+#.*|[ \t]*)$/.test(after)) fail(`unexpected text after the value of ${name} (quote values that contain spaces)`);
    const base = name.startsWith('WARREN_') ? name.slice('WARREN_'.length) : name;
    if (!ENV_FILE_VARS.includes(base)) fail(`unknown variable '${name}' (known: ${ENV_FILE_VARS.join(', ')})`);
    out.set(`WARREN_${base}`, { value, origin: `${at}: ${name}` });
  });
  return out;
}

/** WARREN_STATS_INTERVAL_MS: milliseconds between statistics samples, 0 to turn statistics off. */
function statsInterval(v: EnvVar | undefined): number | undefined {
  if (!v) return undefined;
  if (!/^\d+$/.test(v.value)) throw new ConfigError(`${v.origin}=${v.value} is not a number of milliseconds`);
  return Number(v.value);
}

function readEnvFile(path: string): Map<string, EnvVar> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(err.code === 'ENOENT' ? `environment file ${path} does not exist` : `cannot read environment file ${path}: ${err.message}`);
  }
  return parseEnvFile(text, path);
}

/** The config file to read: WARREN_CONFIG_FILE (".conf" may be left off, as with RABBITMQ_CONFIG_FILE), else the system one if present. */
function configPath(explicit: string | undefined, system: string): string | undefined {
  if (explicit === undefined) return existsSync(system) ? system : undefined;
  if (explicit.endsWith('.config')) {
    throw new ConfigError(`${explicit}: Erlang-term .config files are not supported; use the warren.conf (rabbitmq.conf) format`);
  }
  if (!existsSync(explicit) && existsSync(`${explicit}.conf`)) return `${explicit}.conf`;
  return explicit;
}

export interface LoadOptions {
  /** Defaults SYSTEM_CONFIG_FILE / SYSTEM_ENV_FILE; tests point these elsewhere. */
  systemConfigFile?: string;
  systemEnvFile?: string;
}

/** Certificate and key paths relative to the config file's directory, as load_definitions. */
function sslPaths<T extends SslConf>(o: T, file: string): T {
  for (const k of ['cacertfile', 'certfile', 'keyfile'] as const) if (o[k] !== undefined) o[k] = resolve(dirname(file), o[k]!);
  return o;
}

/** Every layer merged. Throws ConfigError (file:line: message) for anything invalid. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): WarrenSettings {
  // warren-env.conf first: it may say where warren.conf is. Environment variables (non-empty) override it.
  const sysEnv = opts.systemEnvFile ?? SYSTEM_ENV_FILE;
  const envFile = env.WARREN_CONF_ENV_FILE || (existsSync(sysEnv) ? sysEnv : undefined);
  const vars = envFile ? readEnvFile(envFile) : new Map<string, EnvVar>();
  for (const [k, v] of vars) if (v.value === '') vars.delete(k); // NAME= leaves NAME unset, as in the environment
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('WARREN_') && v !== undefined && v !== '') vars.set(k, { value: v, origin: k });
  }
  const get = (name: string) => vars.get(name)?.value;
  const portVar = (name: string) => { const v = vars.get(name); return v ? parsePort(v.value, v.origin) : undefined; };
  const levelVar = (name: string): LogLevel | undefined => {
    const v = vars.get(name);
    if (!v) return undefined;
    if (!(LOG_LEVELS as readonly string[]).includes(v.value)) throw new ConfigError(`${v.origin}=${v.value} is not a log level (${LOG_LEVELS.join(', ')})`);
    return v.value as LogLevel;
  };

  const configFile = configPath(get('WARREN_CONFIG_FILE'), opts.systemConfigFile ?? SYSTEM_CONFIG_FILE);
  const conf = configFile ? readConf(configFile) : emptyConf('');

  const nodeName = get('WARREN_NODENAME') ?? defaultNodeName();
  const dataDir = resolve(get('WARREN_DATA_DIR') ?? defaultDataDir(nodeName));

  // Listeners: warren.conf's list (or 5672 on every interface); WARREN_NODE_PORT / WARREN_NODE_IP_ADDRESS
  // replace it with a single listener, taking what they leave unset from the first configured one.
  let listeners: ListenerAddress[] = conf.tcpListeners?.map(({ host, port }) => ({ host, port })) ?? [{ host: undefined, port: 5672 }];
  const envPort = portVar('WARREN_NODE_PORT');
  const envHost = get('WARREN_NODE_IP_ADDRESS')?.replace(/^\[(.*)\]$/, '$1');
  if (envPort !== undefined || envHost !== undefined) {
    const first = listeners[0] ?? { host: undefined, port: 5672 };
    listeners = [{ host: envHost ?? first.host, port: envPort ?? first.port }];
  }

  const envLevel = levelVar('WARREN_LOG_LEVEL');
  const level = envLevel ?? conf.log.level ?? 'info';
  const logFile = conf.log.file ? resolve(dataDir, conf.log.file) : undefined;

  return {
    nodeName,
    dataDir,
    configFile,
    envFile,
    listeners,
    amqpPort: listeners[0]?.port ?? 0,
    amqpHost: listeners[0]?.host,
    managementPort: portVar('WARREN_MANAGEMENT_PORT') ?? conf.management.port ?? 15672,
    managementHost: conf.management.ip,
    managementSsl: sslPaths({ ...conf.management.ssl }, conf.file),
    sslListeners: conf.sslListeners?.map(({ host, port }) => ({ host, port })) ?? [],
    sslOptions: sslPaths({ ...conf.ssl }, conf.file),
    authMechanisms: conf.authMechanisms ? conf.authMechanisms.sort((a, b) => a.n - b.n).map((m) => m.name) : ['PLAIN', 'AMQPLAIN'],
    certLoginFrom: conf.sslCertLoginFrom ?? 'distinguished_name',
    authFailureDelayMs: conf.authFailureDelay ?? 1000,
    distPort: portVar('WARREN_DIST_PORT') ?? distPortFor(listeners[0]?.port ?? 5672),
    statsIntervalMs: conf.disableMetricsCollector ? 0 : statsInterval(vars.get('WARREN_STATS_INTERVAL_MS')) ?? conf.statsInterval ?? 5000,
    prometheusPort: portVar('WARREN_PROMETHEUS_PORT') ?? conf.prometheus.port ?? 15692,
    prometheusHost: conf.prometheus.ip,
    frameMax: conf.frameMax ?? 131072,
    // channel_max = 0 means "no limit" in RabbitMQ: the protocol's own ceiling.
    channelMax: conf.channelMax === 0 ? 65535 : conf.channelMax ?? 2047,
    heartbeat: conf.heartbeat ?? 60,
    maxMessageSize: conf.maxMessageSize ?? 128 * 1024 * 1024,
    // RabbitMQ 3.10's defaults: 10 s, no limit, 30 minutes.
    handshakeTimeout: conf.handshakeTimeout ?? 10_000,
    connectionMax: conf.connectionMax ?? Infinity,
    consumerTimeout: conf.consumerTimeout ?? 1_800_000,
    defaultUser: conf.defaultUser ?? 'guest',
    defaultPass: conf.defaultPass ?? 'guest',
    defaultVhost: conf.defaultVhost ?? '/',
    defaultUserTags: conf.defaultUserTags ?? ['administrator'],
    defaultPermissions: { configure: '.*', read: '.*', write: '.*', ...conf.defaultPermissions },
    loopbackUsers: conf.loopbackUsers ?? ['guest'],
    clusterName: conf.clusterName,
    loadDefinitions: conf.loadDefinitions === undefined ? undefined : resolve(dirname(conf.file), conf.loadDefinitions),
    serverProperties: conf.serverProperties,
    vmMemoryHighWatermark: conf.vmMemoryHighWatermark.relative === undefined && conf.vmMemoryHighWatermark.absolute === undefined
      ? { relative: 0.4 } : conf.vmMemoryHighWatermark,
    diskFreeLimit: conf.diskFreeLimit.relative === undefined && conf.diskFreeLimit.absolute === undefined
      ? { absolute: 50_000_000 } : conf.diskFreeLimit,
    logLevel: level,
    log: {
      level,
      console: conf.log.console ?? true,
      consoleLevel: envLevel ?? conf.log.consoleLevel ?? level,
      consoleFormat: conf.log.consoleFormat ?? 'plaintext',
      file: logFile,
      fileLevel: envLevel ?? conf.log.fileLevel ?? level,
      fileFormat: conf.log.fileFormat ?? 'plaintext',
    },
    inert: inertSettings(conf),
  };
}
