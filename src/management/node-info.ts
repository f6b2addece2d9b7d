// The node as RabbitMQ's /api/nodes describes it: memory, file descriptors, disk, sockets, uptime, listeners,
// exchange types and churn counters, read from the Node.js process and the OS. Independent of HTTP.
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { withDetails, type Json } from './info-common.js';
import type { Mgmt } from './router.js';
import { CHURN } from './sampler.js';

/** The API level Warren implements: the RabbitMQ release whose management API it copies. */
export const RABBITMQ_API_VERSION = '3.10.8';

const EXCHANGE_TYPE_DESCRIPTIONS: Record<string, string> = {
  direct: 'AMQP direct exchange, as per the AMQP specification',
  fanout: 'AMQP fanout exchange, as per the AMQP specification',
  headers: 'AMQP headers exchange, as per the AMQP specification',
  topic: 'AMQP topic exchange, as per the AMQP specification',
};

export function exchangeTypes(): Json[] {
  return Object.entries(EXCHANGE_TYPE_DESCRIPTIONS).map(([name, description]) => ({ name, description, enabled: true }));
}

/** Process facts both the API's node info and warrenctl status report. */
export function fdUsed(): number {
  try { return readdirSync('/proc/self/fd').length; } catch { return 0; }
}

export function fdTotal(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : 1048576;
  } catch { return 1024; }
}

export function diskFree(dir: string): number {
  try { const s = statfsSync(dir); return s.bavail * s.bsize; } catch { return 0; }
}

export function listenersInfo(m: Mgmt): Json[] {
  return m.listeners.map((l) => ({ node: m.broker.nodeName, protocol: l.protocol, ip_address: l.host, port: l.port, socket_opts: {} }));
}

export function contextsInfo(m: Mgmt): Json[] {
  return m.listeners.filter((l) => l.protocol === 'http').map((l) => ({
    node: m.broker.nodeName, description: 'Warren Management', path: '/', port: String(l.port), ssl_opts: [],
  }));
}

export function nodeInfo(m: Mgmt): Json {
  const fds = fdUsed(), fdMax = fdTotal(), free = diskFree(m.dataDir), memUsed = process.memoryUsage.rss();
  const sockets = m.server.connections.size + m.listeners.length;
  const out: Json = {
    name: m.broker.nodeName, type: 'disc', running: true, os_pid: String(process.pid),
    uptime: Date.now() - m.startedAt, processors: availableParallelism(), run_queue: 0, rates_mode: m.sampler ? 'basic' : 'none',
    mem_used: memUsed, mem_limit: m.memLimit, mem_alarm: m.server.alarms.has('memory'), mem_calculation_strategy: 'rss',
    disk_free: free, disk_free_limit: m.diskFreeLimit, disk_free_alarm: m.server.alarms.has('disk'),
    fd_used: fds, fd_total: fdMax, sockets_used: sockets, sockets_total: Math.floor(fdMax * 0.9),
    proc_used: 0, proc_total: 0, net_ticktime: 60, partitions: [], cluster_links: [],
    db_dir: m.dataDir, log_files: m.logFiles, config_files: m.configFiles, enabled_plugins: ['rabbitmq_management'],
    exchange_types: exchangeTypes(),
    auth_mechanisms: [
      { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
      { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
    ],
    applications: [{ name: 'warren', description: 'Warren message broker', version: m.version }],
    contexts: contextsInfo(m),
  };
  for (const k of ['mem_used', 'fd_used', 'sockets_used', 'proc_used', 'disk_free']) out[`${k}_details`] = { rate: 0 };
  if (m.sampler) withDetails(m.sampler.churn(), m.sampler.totalsRates(undefined), CHURN, out);
  return out;
}
