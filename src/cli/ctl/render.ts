// The text forms of warrenctl status and cluster_status, laid out as rabbitmqctl 3.10 prints them (bold
// section titles, "Key: value" lines, sizes in decimal gigabytes with four decimals) from the node's JSON.
import { bold } from './format.js';

type J = Record<string, unknown>;

/** Erlang's float_to_list after rounding: trailing zeros dropped, at least one decimal. */
function decimal(x: number, places: number): string {
  const r = Math.round(x * 10 ** places) / 10 ** places;
  return Number.isInteger(r) ? `${r}.0` : String(r);
}

export type Unit = 'bytes' | 'mb' | 'gb';

function size(bytes: number, unit: Unit): string {
  if (unit === 'bytes') return `${bytes} bytes`;
  return `${decimal(bytes / (unit === 'mb' ? 1e6 : 1e9), 4)} ${unit}`;
}

const section = (title: string, lines: string[]) => [bold(title), '', ...lines, ''];
const list = (items: unknown[]) => (items.length ? items.map((i) => ` * ${String(i)}`) : ['(none)']);
const iface = (a: string) => (a.includes(':') ? `[${a}]` : a);

function listenerLine(l: J, withNode: boolean): string {
  const head = withNode ? `Node: ${String(l.node)}, interface: ` : 'Interface: ';
  return `${head}${iface(String(l.interface))}, port: ${String(l.port)}, protocol: ${String(l.protocol)}, purpose: ${String(l.purpose)}`;
}

export function statusText(s: J, unit: Unit): string {
  const mem = s.memory as J;
  const total = (mem.total as J).rss as number;
  const parts = Object.entries(mem).filter(([k, v]) => k !== 'strategy' && k !== 'total' && typeof v === 'number') as [string, number][];
  parts.sort((a, b) => b[1] - a[1]);
  const wm = s.vm_memory_high_watermark_setting as J;
  const wmText = wm.relative !== undefined ? `${String(wm.relative)} of available memory` : `${String(wm.absolute)} bytes`;
  const fd = s.file_descriptors as J, totals = s.totals as J;
  const lines = [
    ...section('Runtime', [
      `OS PID: ${String(s.pid)}`, `OS: ${String(s.os)}`, `Uptime (seconds): ${String(s.uptime)}`,
      `Is under maintenance?: ${String(s.is_under_maintenance)}`, `Warren version: ${String(s.product_version)}`,
      `Node name: ${String(s.node_name)}`, `Node.js version: ${String(s.nodejs_version)}`,
      `Crypto library: ${String(s.crypto_lib_version)}`,
    ]),
    ...section('Data directory', [`Node data directory: ${String(s.data_directory)}`]),
    ...section('Config files', list(s.config_files as unknown[])),
    ...section('Log file(s)', list(s.log_files as unknown[])),
    ...section('Alarms', list(s.alarms as unknown[])),
    ...section('Memory', [
      `Total memory used: ${size(total, unit)}`, `Calculation strategy: ${String(mem.strategy)}`,
      `Memory high watermark setting: ${wmText}, computed to: ${size(s.vm_memory_high_watermark_limit as number, unit)}`, '',
      ...parts.map(([k, v]) => `${k}: ${size(v, unit)} (${decimal(total ? (v / total) * 100 : 0, 2)} %)`),
    ]),
    ...section('File Descriptors', [
      `Total: ${String(fd.total_used)}, limit: ${String(fd.total_limit)}`, `Sockets: ${String(fd.sockets_used)}, limit: ${String(fd.sockets_limit)}`,
    ]),
    ...section('Free Disk Space', [
      `Low free disk space watermark: ${size(s.disk_free_limit as number, unit)}`, `Free disk space: ${size(s.disk_free as number, unit)}`,
    ]),
    ...section('Totals', [
      `Connection count: ${String(totals.connection_count)}`, `Queue count: ${String(totals.queue_count)}`,
      `Virtual host count: ${String(totals.virtual_host_count)}`,
    ]),
    ...section('Listeners', (s.listeners as J[]).map((l) => listenerLine(l, false))),
  ];
  lines.pop(); // no empty line after the last section
  return `${lines.join('\n')}\n`;
}

export function clusterStatusText(s: J): string {
  const versions = Object.entries(s.versions as Record<string, J>)
    .map(([n, v]) => `${n}: ${String(v.product_name)} ${String(v.product_version)} on Node.js ${String(v.nodejs_version)}`);
  const maint = Object.entries(s.maintenance_status as Record<string, string>).map(([n, st]) => `Node: ${n}, status: ${st}`);
  const listeners = Object.values(s.listeners as Record<string, J[]>).flat().map((l) => listenerLine(l, true));
  const partitions = Object.entries(s.partitions as Record<string, string[]>).map(([n, p]) => `Node ${n} cannot communicate with ${p.join(', ')}`);
  const flags = (s.feature_flags as J[]).map((f) => `Flag: ${String(f.name)}, state: ${String(f.state)}`);
  const lines = [
    ...section('Basics', [`Cluster name: ${String(s.cluster_name)}`]),
    ...section('Disk Nodes', (s.disk_nodes as string[])),
    ...((s.ram_nodes as string[]).length ? section('RAM Nodes', s.ram_nodes as string[]) : []),
    ...section('Running Nodes', (s.running_nodes as string[])),
    ...section('Versions', versions),
    ...section('Maintenance status', maint),
    ...section('Alarms', list(s.alarms as unknown[])),
    ...section('Network Partitions', partitions.length ? partitions : ['(none)']),
    ...section('Listeners', listeners),
    ...section('Feature flags', flags.length ? flags : ['(none)']),
  ];
  lines.pop();
  return `${lines.join('\n')}\n`;
}
