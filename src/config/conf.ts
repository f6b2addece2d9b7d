// warren.conf: RabbitMQ's rabbitmq.conf ("sysctl", cuttlefish) format read against Warren's schema. Every
// error names the file and line: "warren.conf:7: unknown key 'foo.bar'". See warren.conf.example.
import { readFileSync } from 'node:fs';
import {
  bool, bytesize, float, informationUnit, integer, ip, listener, oneOf, orInfinity, port, regex, string, ValueError,
  type ListenerAddress, type Parse,
} from './values.js';

/** A configuration problem the operator has to fix; warren-server exits with 78 (EX_CONFIG). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One `key = value` line: the key split into segments (escaped dots "\." unescaped), the value unquoted. */
export interface ConfLine { segments: string[]; key: string; value: string; line: number }

const WORD = String.raw`(?:\\\.|[A-Za-z0-9_-])+`;
const KEY = new RegExp(String.raw`^(${WORD}(?:\.${WORD})*)[ \t]*=[ \t]*`);

/**
 * The syntax, as cuttlefish parses it: blank lines and lines starting with # are skipped; a setting is
 * key = value; a value is either quoted ('...', or "..." as a Warren extension) or runs up to a # or the
 * end of the line, trailing whitespace dropped. Keys are words of letters, digits, _ and -, joined by dots.
 */
export function parseConfLines(text: string, file = 'warren.conf'): ConfLine[] {
  const out: ConfLine[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/); // a BOM, as some editors write, is not part of line 1
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const fail = (msg: string): never => { throw new ConfigError(`${file}:${n}: ${msg}`); };
    const line = lines[i].replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (/^include[ \t]/.test(line)) fail('include directives are not supported');
    const m = KEY.exec(line);
    if (!m) {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`expected 'key = value', got '${line.trimEnd()}'`);
      const key = line.slice(0, eq).trim();
      fail(key === '' ? 'missing key before =' : `invalid key '${key}': keys are words of letters, digits, _ and - joined by dots`);
    }
    const rawKey = m![1];
    const rest = line.slice(m![0].length);
    let value: string;
    const q = rest[0];
    if (q === "'" || q === '"') {
      const end = rest.indexOf(q, 1);
      if (end < 0) fail(`unterminated quoted value for '${rawKey}'`);
      value = rest.slice(1, end);
      const after = rest.slice(end + 1);
      if (!/^[ \t]*(#.*)?$/.test(after)) fail(`unexpected text after the quoted value of '${rawKey}': '${after.trim()}'`);
    } else {
      const hash = rest.indexOf('#');
      value = (hash < 0 ? rest : rest.slice(0, hash)).replace(/[ \t]+$/, '');
      if (value === '') fail(`missing value for '${rawKey}'`);
    }
    const segments = rawKey.split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, '.'));
    out.push({ segments, key: rawKey, value, line: n });
  }
  return out;
}

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency' | 'none';
export type LogFormat = 'plaintext' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['plaintext', 'json'];
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency', 'none'];

export interface NamedListener extends ListenerAddress { name: string }

/** ssl_options.* (and management.ssl.*), as rabbitmq.conf names them. */
export interface SslConf {
  cacertfile?: string; certfile?: string; keyfile?: string; password?: string;
  verify?: 'verify_peer' | 'verify_none'; failIfNoPeerCert?: boolean;
  versions?: string[];
}

/** What a warren.conf sets; a field left undefined was not set (the next layer's value, or the default, applies). */
export interface WarrenConf {
  file: string;
  /** listeners.tcp.<name>, in file order; [] for `listeners.tcp = none`. */
  tcpListeners?: NamedListener[];
  heartbeat?: number;
  frameMax?: number;
  /** 0 means "no limit" as in RabbitMQ. */
  channelMax?: number;
  maxMessageSize?: number;
  /** Milliseconds from accept to connection.open; Infinity for "infinity". */
  handshakeTimeout?: number;
  /** Connections per listener before new ones wait; Infinity for "infinity". */
  connectionMax?: number;
  /** Milliseconds a delivery may stay unacknowledged before its channel is closed. */
  consumerTimeout?: number;
  defaultUser?: string;
  defaultPass?: string;
  defaultVhost?: string;
  defaultUserTags?: string[];
  defaultPermissions: { configure?: string; read?: string; write?: string };
  /** [] for `loopback_users = none`; else the users set to true (RabbitMQ replaces its default ["guest"]). */
  loopbackUsers?: string[];
  vmMemoryHighWatermark: { relative?: number; absolute?: number };
  diskFreeLimit: { relative?: number; absolute?: number };
  log: {
    level?: LogLevel; file?: string | false; fileLevel?: LogLevel; console?: boolean; consoleLevel?: LogLevel;
    /** log.console.formatter / log.file.formatter (RabbitMQ 3.9+): plaintext (default) or json. */
    consoleFormat?: LogFormat; fileFormat?: LogFormat;
  };
  management: { port?: number; ip?: string; ssl?: SslConf & { port?: number; ip?: string } };
  /** listeners.ssl.<name>, in file order; [] for `listeners.ssl = none`. */
  sslListeners?: NamedListener[];
  /** ssl_options.*: certificates and verification for the AMQPS listeners. */
  ssl: SslConf;
  /** auth_mechanisms.N, in the order of N. */
  authMechanisms?: Array<{ n: number; name: string }>;
  sslCertLoginFrom?: 'distinguished_name' | 'common_name';
  /** auth_failure_delay (Warren's): ms a refused AMQP login waits before its close. */
  authFailureDelay?: number;
  /** collect_statistics_interval: how often the management statistics are sampled, in ms. */
  statsInterval?: number;
  /** management_agent.disable_metrics_collector: no statistics (no message_stats, no rates). */
  disableMetricsCollector?: boolean;
  prometheus: { port?: number; ip?: string };
  clusterName?: string;
  /** load_definitions: a definitions JSON file imported at boot. */
  loadDefinitions?: string;
  /** server_properties.<name>: added to (or replacing) the properties sent in connection.start. */
  serverProperties: Record<string, string>;
  /** Every setting as written (last one wins for a repeated key), with its line. */
  settings: Map<string, { value: string; line: number }>;
}

interface Rule {
  /** Key segments; "*" matches any one segment (a listener, user, tag or property name). */
  pattern: string[];
  parse: Parse<unknown>;
  apply: (c: WarrenConf, v: unknown, segments: string[]) => void;
  /** Accepted and validated, but Warren does not act on it yet. */
  inert?: boolean;
}

const rules: Rule[] = [];
function rule<T>(key: string, parse: Parse<T>, apply: (c: WarrenConf, v: T, segments: string[]) => void, inert = false): void {
  rules.push({ pattern: key.split('.'), parse, apply: apply as Rule['apply'], inert });
}

const none = oneOf(['none'] as const);
const level = oneOf(LOG_LEVELS);
const logFile: Parse<string | false> = (raw) => (raw === 'false' ? false : string(raw));
const propertyName: Parse<string> = (raw) => raw;

rule('listeners.tcp', none, (c) => { c.tcpListeners = []; });
rule('listeners.tcp.*', listener, (c, v, s) => {
  if (c.settings.has('listeners.tcp')) return; // "none" wins, as in RabbitMQ
  (c.tcpListeners ??= []).push({ name: s[2], ...v });
});
rule('listeners.ssl', none, (c) => { c.sslListeners = []; });
rule('listeners.ssl.*', listener, (c, v, s) => {
  if (c.settings.has('listeners.ssl')) return;
  (c.sslListeners ??= []).push({ name: s[2], ...v });
});
/** ssl_options.* and management.ssl.*: the same keys for AMQPS and HTTPS. */
function sslRules(prefix: string, of: (c: WarrenConf) => SslConf): void {
  for (const f of ['cacertfile', 'certfile', 'keyfile', 'password'] as const) rule(`${prefix}.${f}`, string, (c, v) => { of(c)[f] = v; });
  rule(`${prefix}.verify`, oneOf(['verify_peer', 'verify_none'] as const), (c, v) => { of(c).verify = v; });
  rule(`${prefix}.fail_if_no_peer_cert`, bool, (c, v) => { of(c).failIfNoPeerCert = v; });
  rule(`${prefix}.versions.*`, oneOf(['tlsv1.3', 'tlsv1.2', 'tlsv1.1', 'tlsv1'] as const), (c, v) => { (of(c).versions ??= []).push(v); });
}
sslRules('ssl_options', (c) => c.ssl);
sslRules('management.ssl', (c) => (c.management.ssl ??= {}));
rule('management.ssl.port', port, (c, v) => { (c.management.ssl ??= {}).port = v; });
rule('management.ssl.ip', ip, (c, v) => { (c.management.ssl ??= {}).ip = v; });
rule('auth_mechanisms.*', oneOf(['PLAIN', 'AMQPLAIN', 'EXTERNAL'] as const), (c, v, s) => {
  if (!/^[0-9]+$/.test(s[1]!)) throw new ValueError('auth_mechanisms.N takes a number N (auth_mechanisms.1 = PLAIN)');
  (c.authMechanisms ??= []).push({ n: Number(s[1]), name: v });
});
rule('ssl_cert_login_from', oneOf(['distinguished_name', 'common_name'] as const), (c, v) => { c.sslCertLoginFrom = v; });
rule('auth_failure_delay', integer(0, 60_000, 'a number of milliseconds'), (c, v) => { c.authFailureDelay = v; });
rule('heartbeat', integer(0, 65535), (c, v) => { c.heartbeat = v; });
rule('frame_max', bytesize(4096, 0xffffffff), (c, v) => { c.frameMax = v; });
rule('channel_max', integer(0, 65535), (c, v) => { c.channelMax = v; });
rule('max_message_size', integer(1, 536870912), (c, v) => { c.maxMessageSize = v; });
// 3.10's rabbit.schema: handshake_timeout and connection_max take an integer or infinity, consumer_timeout
// a positive integer. A timer's delay is at most 2^31-1 ms in Node.
const MAX_TIMER_MS = 2 ** 31 - 1;
rule('handshake_timeout', orInfinity(integer(1, MAX_TIMER_MS)), (c, v) => { c.handshakeTimeout = v; });
rule('connection_max', orInfinity(integer(0, Number.MAX_SAFE_INTEGER)), (c, v) => { c.connectionMax = v; });
rule('consumer_timeout', integer(1, MAX_TIMER_MS), (c, v) => { c.consumerTimeout = v; });
rule('default_user', string, (c, v) => { c.defaultUser = v; });
rule('default_pass', string, (c, v) => { c.defaultPass = v; });
rule('default_vhost', string, (c, v) => { c.defaultVhost = v; });
rule('default_user_tags.*', bool, (c, v, s) => { c.defaultUserTags ??= []; if (v) c.defaultUserTags.push(s[1]); });
for (const kind of ['configure', 'read', 'write'] as const) {
  rule(`default_permissions.${kind}`, regex, (c, v) => { c.defaultPermissions[kind] = v; });
}
rule('load_definitions', string, (c, v) => { c.loadDefinitions = v; });
rule('loopback_users', none, (c) => { c.loopbackUsers = []; });
rule('loopback_users.*', bool, (c, v, s) => {
  if (c.settings.has('loopback_users')) return;
  c.loopbackUsers ??= [];
  if (v) c.loopbackUsers.push(s[1]);
});
rule('vm_memory_high_watermark.relative', float(0), (c, v) => { c.vmMemoryHighWatermark.relative = v; });
rule('vm_memory_high_watermark.absolute', informationUnit, (c, v) => { c.vmMemoryHighWatermark.absolute = v; });
rule('disk_free_limit.relative', float(0), (c, v) => { c.diskFreeLimit.relative = v; });
rule('disk_free_limit.absolute', informationUnit, (c, v) => { c.diskFreeLimit.absolute = v; });
rule('log.level', level, (c, v) => { c.log.level = v; });
rule('log.file', logFile, (c, v) => { c.log.file = v; });
rule('log.file.level', level, (c, v) => { c.log.fileLevel = v; });
rule('log.console', bool, (c, v) => { c.log.console = v; });
rule('log.console.level', level, (c, v) => { c.log.consoleLevel = v; });
rule('log.console.formatter', oneOf(LOG_FORMATS), (c, v) => { c.log.consoleFormat = v; });
rule('log.file.formatter', oneOf(LOG_FORMATS), (c, v) => { c.log.fileFormat = v; });
rule('management.tcp.port', port, (c, v) => { c.management.port = v; });
rule('management.tcp.ip', ip, (c, v) => { c.management.ip = v; });
rule('collect_statistics_interval', integer(100, 3_600_000), (c, v) => { c.statsInterval = v; });
rule('management_agent.disable_metrics_collector', bool, (c, v) => { c.disableMetricsCollector = v; });
rule('prometheus.tcp.port', port, (c, v) => { c.prometheus.port = v; }, true);
rule('prometheus.tcp.ip', ip, (c, v) => { c.prometheus.ip = v; }, true);
rule('cluster_name', string, (c, v) => { c.clusterName = v; });
rule('server_properties.*', propertyName, (c, v, s) => {
  if (s[1] === 'capabilities') throw new ValueError('capabilities is a table Warren fills in itself and cannot be set here');
  c.serverProperties[s[1]] = v as string;
});

/** Every key pattern Warren accepts, "<name>" for a named segment (for messages and the docs test). */
export const KNOWN_KEYS: readonly string[] = rules.map((r) => r.pattern.map((p) => (p === '*' ? '<name>' : p)).join('.'));

/** Keys that are accepted and validated but not acted on yet. */
export const INERT_KEYS: readonly string[] = rules.filter((r) => r.inert).map((r) => r.pattern.map((p) => (p === '*' ? '<name>' : p)).join('.'));

/** RabbitMQ settings Warren knows of but does not implement: named as such rather than "unknown". */
const RABBITMQ_ONLY = [
  'listeners.ssl', 'ssl_options', 'num_acceptors', 'auth_mechanisms', 'auth_backends', 'cluster_formation',
  'cluster_partition_handling', 'tcp_listen_options', 'management', 'mqtt', 'stomp',
  'web_mqtt', 'web_stomp', 'stream', 'prometheus', 'queue_master_locator', 'quorum_queue', 'classic_queue',
  'definitions', 'channel_max_per_node', 'vm_memory_high_watermark_paging_ratio', 'memory_monitor_interval', 'log',
  'distribution', 'net_ticktime', 'credential_validator', 'default_users', 'default_policies', 'default_limits',
];

function matches(r: Rule, segs: string[]): boolean {
  return r.pattern.length === segs.length && r.pattern.every((p, i) => p === '*' || p === segs[i]);
}

/** Edit distance counting a transposition as one edit (for "did you mean"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function unknownKey(key: string, segs: string[]): string {
  const msg = `unknown key '${key}'`;
  const candidates = rules.map((r) => r.pattern.map((p, i) => (p === '*' ? segs[i] ?? '<name>' : p)).join('.'));
  const best = candidates.map((k) => ({ k, d: distance(key, k) })).sort((x, y) => x.d - y.d)[0];
  const rabbitOnly = RABBITMQ_ONLY.some((p) => key === p || key.startsWith(p + '.'));
  if (best && best.d <= (rabbitOnly ? 1 : Math.max(1, Math.floor(key.length / 5)))) return `${msg} (did you mean '${best.k}'?)`;
  return rabbitOnly ? `${msg}: a RabbitMQ setting Warren does not support` : msg;
}

export function emptyConf(file: string): WarrenConf {
  return {
    file, defaultPermissions: {}, vmMemoryHighWatermark: {}, diskFreeLimit: {}, log: {},
    management: {}, ssl: {}, prometheus: {}, serverProperties: {}, settings: new Map(),
  };
}

/** A key as written, dots inside segments escaped again ("loopback_users.john\.doe"). */
export function keyOf(segments: string[]): string {
  return segments.map((s) => s.replace(/\./g, '\\.')).join('.');
}

/** Parses and validates warren.conf text; `file` is the name used in error messages. */
export function parseConf(text: string, file = 'warren.conf'): WarrenConf {
  const conf = emptyConf(file);
  // A repeated key takes the value and the position of its last occurrence.
  const parsed = new Map<string, { rule: Rule; value: unknown; segments: string[]; line: number }>();
  for (const l of parseConfLines(text, file)) {
    const key = keyOf(l.segments);
    const r = rules.find((x) => matches(x, l.segments));
    if (!r) throw new ConfigError(`${file}:${l.line}: ${unknownKey(key, l.segments)}`);
    let value: unknown;
    try {
      value = r.parse(l.value);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      throw new ConfigError(`${file}:${l.line}: invalid value '${l.value}' for '${key}': ${e.message}`);
    }
    parsed.delete(key);
    parsed.set(key, { rule: r, value, segments: l.segments, line: l.line });
    conf.settings.delete(key);
    conf.settings.set(key, { value: l.value, line: l.line });
  }
  for (const [key, p] of parsed) {
    try {
      p.rule.apply(conf, p.value, p.segments);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      throw new ConfigError(`${file}:${p.line}: invalid value for '${key}': ${e.message}`);
    }
  }
  return conf;
}

/** Reads and parses a warren.conf; a missing or unreadable file is a ConfigError. */
export function readConf(path: string): WarrenConf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(err.code === 'ENOENT' ? `config file ${path} does not exist` : `cannot read config file ${path}: ${err.message}`);
  }
  return parseConf(text, path);
}

/** The settings in a conf that Warren validated but does not act on yet (for a startup notice). */
export function inertSettings(conf: WarrenConf): string[] {
  return [...conf.settings.keys()].filter((k) => rules.find((r) => matches(r, k.split(/(?<!\\)\./)))?.inert);
}
