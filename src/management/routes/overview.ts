// /api/overview, /api/nodes, /api/cluster-name and the small endpoints the web UI reads at start
// (/api/extensions, /api/auth, /api/feature-flags), and /api/auth/attempts/{node}. Totals cover the vhosts the user may see.
import { visibleVhosts } from '../auth.js';
import { jsonResponse, badRequest, notFound, noContent } from '../http.js';
import { allConsumers, listedConnections, withDetails, type Json } from '../info.js';
import { contextsInfo, exchangeTypes, listenersInfo, nodeInfo, RABBITMQ_API_VERSION } from '../node-info.js';
import { replyList } from '../list.js';
import type { Req, Router } from '../router.js';
import { CHANNEL_STATS, CHURN, LENGTHS, type Counters } from '../sampler.js';

export function clusterName(req: Req): string {
  const p = req.broker.meta.globalParameters.get('cluster_name');
  if (typeof p?.value === 'string') return p.value;
  const fromProps = req.mgmt.server.serverProperties().cluster_name;
  return typeof fromProps === 'string' ? fromProps : req.broker.nodeName;
}

function sum(into: Counters, from: Counters | undefined): void {
  if (from) for (const k in from) into[k] = (into[k] ?? 0) + from[k]!;
}

function overview(req: Req): Json {
  const m = req.mgmt;
  const vhosts = new Set(visibleVhosts(req.broker, req.user));
  let queues = 0, exchanges = 0;
  const lengths: Counters = { messages: 0, messages_ready: 0, messages_unacknowledged: 0 };
  for (const [name, vh] of req.broker.vhosts) {
    if (!vhosts.has(name)) continue;
    queues += vh.queues.size;
    exchanges += vh.exchanges.size;
    for (const q of vh.queues.values()) {
      lengths.messages! += q.messageCount + q.unackedCount;
      lengths.messages_ready! += q.messageCount;
      lengths.messages_unacknowledged! += q.unackedCount;
    }
  }
  const conns = listedConnections(m).filter((c) => vhosts.has(c.ctx!.vhost.name));
  const out: Json = {
    management_version: RABBITMQ_API_VERSION, rates_mode: m.sampler ? 'basic' : 'none',
    sample_retention_policies: { global: [600, 3600, 28800, 86400], basic: [600, 3600], detailed: [600] },
    exchange_types: exchangeTypes(), product_version: m.version, product_name: 'Warren',
    rabbitmq_version: RABBITMQ_API_VERSION, cluster_name: clusterName(req), node: req.broker.nodeName,
    disable_stats: !m.sampler, enable_queue_totals: false, statistics_db_event_queue: 0,
    object_totals: {
      channels: conns.reduce((n, c) => n + c.channels.size, 0), connections: conns.length,
      consumers: allConsumers(m).filter((c) => vhosts.has(c.queue.vhost)).length, exchanges, queues,
    },
    listeners: listenersInfo(m), contexts: contextsInfo(m),
  };
  const s = m.sampler;
  if (!s) { out.queue_totals = lengths; return out; }
  const stats: Counters = {}, rates: Counters = {};
  for (const v of vhosts) { sum(stats, s.vhost(v)?.stats); sum(rates, s.totalsRates(v)); }
  out.message_stats = withDetails({ ...stats, disk_reads: 0, disk_writes: 0 }, rates, [...CHANNEL_STATS, 'disk_reads', 'disk_writes']);
  out.queue_totals = withDetails(lengths, rates, LENGTHS);
  out.churn_rates = withDetails(s.churn(), s.totalsRates(undefined), CHURN);
  return out;
}

export function register(r: Router): void {
  r.on('/overview', { auth: 'any', GET: (req) => req.reply(overview(req)) });
  r.on('/cluster-name', {
    auth: { GET: 'any', PUT: 'admin' },
    GET: (req) => jsonResponse({ name: clusterName(req) }),
    PUT: async (req) => {
      const name = (await req.body()).name;
      if (typeof name !== 'string') throw badRequest('[{key_missing,name}]');
      req.broker.execute({ type: 'global-parameter.set', def: { name: 'cluster_name', value: name } });
      return noContent();
    },
  });
  r.on('/nodes', {
    auth: 'monitor',
    GET: (req) => jsonResponse(replyList(req.query, [nodeInfo(req.mgmt)], { paginate: false, defaultSort: ['name'] })),
  });
  r.on('/nodes/:node', {
    auth: 'monitor',
    GET: (req) => {
      if (req.param('node') !== req.broker.nodeName) throw notFound();
      return req.reply(nodeInfo(req.mgmt));
    },
  });
  // Login counters per protocol (RabbitMQ 3.10); per source is off by default there, so always empty here.
  const attempts = (req: Req) => { if (req.param('node') !== req.broker.nodeName) throw notFound(); };
  r.on('/auth/attempts/:node', { auth: 'monitor', GET: (req) => { attempts(req); return jsonResponse(req.mgmt.server.authAttempts.list()); } });
  r.on('/auth/attempts/:node/source', { auth: 'monitor', GET: (req) => { attempts(req); return jsonResponse([]); } });
  r.on('/extensions', { auth: 'any', GET: () => jsonResponse([]) });
  r.on('/feature-flags', { auth: 'admin', GET: () => jsonResponse([]) });
}

/** /api/auth is read by the web UI before login, so it needs no credentials (as in RabbitMQ). */
export const AUTH_INFO = { enable_uaa: false, uaa_client_id: '', uaa_location: '' };
