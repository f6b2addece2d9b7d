// The facts behind warrenctl status, cluster_status and environment, in the JSON shapes rabbitmqctl's
// --formatter json prints (same keys where Warren has the same fact; Node.js in place of Erlang). warrenctl
// renders the text forms from these. A single node is a cluster of one.
import { totalmem, type as osType } from 'node:os';
import { diskFree, fdTotal as fdLimit, fdUsed, RABBITMQ_API_VERSION } from '../management/node-info.js';
import type { App, ListenerInfo, WarrenNode } from './node.js';

export function clusterName(node: WarrenNode, app: App): string {
  const p = app.broker.meta.globalParameters.get('cluster_name');
  if (typeof p?.value === 'string') return p.value;
  return node.settings.clusterName ?? node.name;
}

export function listeners(node: WarrenNode, app: App | undefined): (ListenerInfo & { node: string })[] {
  const all = [...(node.control ? [node.control] : []), ...(app?.listeners ?? [])];
  return all.map((l) => ({ ...l, node: node.name }));
}

function memoryLimit(node: WarrenNode): { setting: Record<string, number>; limit: number } {
  const w = node.settings.vmMemoryHighWatermark;
  if (w.absolute !== undefined) return { setting: { absolute: w.absolute }, limit: w.absolute };
  const relative = w.relative ?? 0.4;
  return { setting: { relative }, limit: Math.floor(totalmem() * relative) };
}

function diskLimit(node: WarrenNode): number {
  const d = node.settings.diskFreeLimit;
  return d.absolute ?? Math.floor(totalmem() * (d.relative ?? 0));
}

export function statusInfo(node: WarrenNode, app: App): Record<string, unknown> {
  const s = node.settings;
  const mem = process.memoryUsage();
  const { setting, limit } = memoryLimit(node);
  const fds = fdUsed(), fdMax = fdLimit();
  let queues = 0;
  for (const vh of app.broker.vhosts.values()) queues += vh.queues.size;
  return {
    pid: process.pid, os: osType(), uptime: Math.floor((Date.now() - node.startedAt) / 1000), is_under_maintenance: false,
    product_name: 'Warren', product_version: node.version, rabbitmq_version: RABBITMQ_API_VERSION,
    node_name: node.name, nodejs_version: process.version, crypto_lib_version: `OpenSSL ${process.versions.openssl}`,
    data_directory: s.dataDir, config_files: s.configFile ? [s.configFile] : [],
    log_files: [...(s.log.file ? [s.log.file] : []), ...(s.log.console ? ['<stderr>'] : [])],
    alarms: [],
    memory: {
      heap_used: mem.heapUsed, heap_other: Math.max(0, mem.heapTotal - mem.heapUsed), external: mem.external - mem.arrayBuffers,
      array_buffers: mem.arrayBuffers, other: Math.max(0, mem.rss - mem.heapTotal - mem.external),
      strategy: 'rss', total: { rss: mem.rss, heap_total: mem.heapTotal },
    },
    vm_memory_calculation_strategy: 'rss', vm_memory_high_watermark_setting: setting, vm_memory_high_watermark_limit: limit,
    file_descriptors: { total_limit: fdMax, total_used: fds, sockets_limit: Math.floor(fdMax * 0.9), sockets_used: app.server.connections.size },
    disk_free_limit: diskLimit(node), disk_free: diskFree(s.dataDir),
    totals: { virtual_host_count: app.broker.vhosts.size, connection_count: app.server.connections.size, queue_count: queues },
    listeners: listeners(node, app),
  };
}

export function clusterStatusInfo(node: WarrenNode, app: App): Record<string, unknown> {
  const n = node.name;
  return {
    cluster_name: clusterName(node, app), disk_nodes: [n], ram_nodes: [], running_nodes: [n],
    versions: { [n]: { product_name: 'Warren', product_version: node.version, nodejs_version: process.versions.node } },
    maintenance_status: { [n]: 'not under maintenance' }, alarms: [], partitions: {},
    listeners: { [n]: listeners(node, app) }, feature_flags: [],
  };
}

/** Erlang term kinds the environment needs beyond JSON's: atoms, tuples and charlists (strings are binaries). */
class Atom { constructor(readonly name: string) {} }
class Tuple { constructor(readonly items: unknown[]) {} }
class Chars { constructor(readonly text: string) {} }

/** An Erlang term as io_lib's ~p prints it (on one line). */
function erl(v: unknown): string {
  if (v instanceof Atom) return /^[a-z][a-zA-Z0-9_@]*$/.test(v.name) ? v.name : `'${v.name.replace(/'/g, "\\'")}'`;
  if (v instanceof Tuple) return `{${v.items.map(erl).join(',')}}`;
  if (v instanceof Chars) return JSON.stringify(v.text);
  if (typeof v === 'string') return `<<${JSON.stringify(v)}>>`;
  if (Array.isArray(v)) return `[${v.map(erl).join(',')}]`;
  if (v !== null && typeof v === 'object') return erl(Object.entries(v).map(([k, x]) => new Tuple([new Atom(k), x])));
  return String(v);
}

function toJson(v: unknown): unknown {
  if (v instanceof Atom) return v.name;
  if (v instanceof Chars) return v.text;
  if (v instanceof Tuple) return v.items.map(toJson);
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/**
 * The settings as the application environment (the keys are RabbitMQ's rabbit app keys): the JSON form, and
 * the text form laid out as rabbitmqctl prints `[{app, [{key,value}, ...]}]`.
 */
export function environmentInfo(node: WarrenNode): { json: Record<string, unknown>; text: string } {
  const s = node.settings;
  const atoms = (xs: string[]) => xs.map((x) => new Atom(x));
  const env: Record<string, unknown> = {
    auth_mechanisms: atoms(['PLAIN', 'AMQPLAIN']), channel_max: s.channelMax,
    default_permissions: [s.defaultPermissions.configure, s.defaultPermissions.write, s.defaultPermissions.read],
    default_user: s.defaultUser, default_user_tags: atoms(s.defaultUserTags), default_vhost: s.defaultVhost,
    disk_free_limit: diskLimit(node), frame_max: s.frameMax, heartbeat: s.heartbeat, loopback_users: s.loopbackUsers,
    max_message_size: s.maxMessageSize, consumer_timeout: s.consumerTimeout,
    handshake_timeout: s.handshakeTimeout === Infinity ? new Atom('infinity') : s.handshakeTimeout,
    connection_max: s.connectionMax === Infinity ? new Atom('infinity') : s.connectionMax, password_hashing_module: new Atom('rabbit_password_hashing_sha256'),
    server_properties: Object.entries(s.serverProperties).map(([k, v]) => new Tuple([new Atom(k), v])),
    tcp_listeners: s.listeners.map((l) => new Tuple([new Chars(l.host ?? '::'), l.port])),
    vm_memory_high_watermark: s.vmMemoryHighWatermark.absolute !== undefined
      ? new Tuple([new Atom('absolute'), s.vmMemoryHighWatermark.absolute]) : s.vmMemoryHighWatermark.relative ?? 0.4,
  };
  if (s.clusterName !== undefined) env.cluster_name = s.clusterName;
  if (s.loadDefinitions !== undefined) env.load_definitions = new Chars(s.loadDefinitions);
  const keys = Object.keys(env).sort();
  const lines = keys.map((k) => `{${k},${erl(env[k])}}`);
  const text = `[{warren,\n     [${lines.join(',\n      ')}]}]`;
  return { json: { warren: Object.fromEntries(keys.map((k) => [k, toJson(env[k])])) }, text };
}
