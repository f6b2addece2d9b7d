// /api/vhosts (list with message totals and rates, create/update with description, tags and default queue
// type, delete), the vhost's permissions, /api/vhost-limits, and vhost restart (a no-op: vhosts never stop).
import { ReplyCode } from '../../amqp/errors.js';
import { visibleVhosts } from '../auth.js';
import { badRequest, erlTerm, jsonResponse, noContent, notFound, parseTags, putResponse } from '../http.js';
import { listedConnections, withDetails, type InfoSource, type Json } from '../info.js';
import { replyList } from '../list.js';
import type { Req, Router } from '../router.js';
import { CHANNEL_STATS, LENGTHS } from '../sampler.js';
import { permissionInfo } from './users.js';

export function vhostInfo(src: InfoSource, name: string): Json {
  const def = src.broker.meta.vhosts.get(name)!.def;
  const out: Json = {
    name, description: def.description, tags: def.tags, metadata: { description: def.description, tags: def.tags },
    default_queue_type: def.defaultQueueType ?? 'undefined', tracing: false, cluster_state: { [src.broker.nodeName]: 'running' },
  };
  const s = src.sampler;
  const tot = s?.vhost(name);
  const rates = s?.totalsRates(name);
  let lengths = tot?.lengths;
  if (!lengths) {
    lengths = { messages: 0, messages_ready: 0, messages_unacknowledged: 0 };
    for (const q of src.broker.vhosts.get(name)?.queues.values() ?? []) {
      lengths.messages! += q.messageCount + q.unackedCount; lengths.messages_ready! += q.messageCount; lengths.messages_unacknowledged! += q.unackedCount;
    }
  }
  withDetails(lengths, rates, LENGTHS, out);
  if (s) {
    out.message_stats = withDetails(tot?.stats ?? {}, rates, CHANNEL_STATS);
    withDetails(tot?.bytes ?? {}, rates, ['recv_oct', 'send_oct'], out);
  }
  return out;
}

async function put(req: Req): Promise<Response> {
  const name = req.param('vhost');
  const b = await req.body();
  const description = typeof b.description === 'string' ? b.description : '';
  const tags = parseTags(b.tags);
  const dqt = b.defaultqueuetype ?? b.default_queue_type;
  if (dqt !== undefined && dqt !== null && !['classic', 'quorum', 'stream'].includes(String(dqt))) {
    throw badRequest(`invalid default queue type '${String(dqt)}'`);
  }
  const existed = req.broker.vhosts.has(name);
  if (!existed) req.broker.addVhost(name, description);
  const def = { name, description, tags, ...(dqt ? { defaultQueueType: String(dqt) } : {}) };
  req.broker.execute({ type: 'vhost.update', def });
  return putResponse(!existed);
}

function remove(req: Req): Response {
  const name = req.vhost();
  // As rabbit_vhost:delete, the vhost's connections go first.
  for (const c of listedConnections(req.mgmt)) {
    if (c.ctx?.vhost.name === name) c.close(ReplyCode.ConnectionForced, `vhost '${name}' is deleted`);
  }
  req.broker.execute({ type: 'vhost.delete', name });
  return noContent();
}

function limitsList(req: Req, only?: string): Response {
  const items: Json[] = [];
  for (const v of only !== undefined ? [only] : visibleVhosts(req.broker, req.user)) {
    const limits = req.broker.meta.vhosts.get(v)?.limits ?? {};
    if (Object.keys(limits).length) items.push({ vhost: v, value: limits });
  }
  return jsonResponse(items);
}

export const LIMIT_NAMES = ['max-connections', 'max-queues'];

async function putLimit(req: Req): Promise<Response> {
  const vhost = req.vhost(), name = req.param('name');
  const value = (await req.body()).value;
  if (value === undefined) throw badRequest('[{key_missing,value}]');
  if (!LIMIT_NAMES.includes(name)) throw badRequest(`Validation failed\n\nUnrecognised terms [{<<"${name}">>,${JSON.stringify(value)}}] in limits\n`);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw badRequest(`Validation failed\n\n${name} should be a number, actually was ${erlTerm(value)}\n`);
  }
  const limits = { ...req.broker.meta.vhosts.get(vhost)!.limits, [name]: value };
  req.broker.execute({ type: 'vhost.limits', vhost, limits });
  return noContent();
}

export function register(r: Router): void {
  r.on('/vhosts', {
    auth: 'any',
    GET: (req) => jsonResponse(replyList(req.query, visibleVhosts(req.broker, req.user).map((v) => vhostInfo(req.mgmt, v)),
      { paginate: true, defaultSort: ['name'] })),
  });
  r.on('/vhosts/:vhost', { auth: 'admin', GET: (req) => req.reply(vhostInfo(req.mgmt, req.vhost())), PUT: put, DELETE: remove });
  r.on('/vhosts/:vhost/permissions', {
    auth: 'admin',
    GET: (req) => {
      const v = req.vhost();
      const items = [...req.broker.meta.permissions.values()].filter((p) => p.vhost === v).map(permissionInfo);
      return jsonResponse(replyList(req.query, items, { paginate: false, defaultSort: ['vhost', 'user'] }));
    },
  });
  r.on('/vhosts/:vhost/start/:node', {
    auth: 'admin',
    POST: (req) => {
      req.vhost();
      if (req.param('node') !== req.broker.nodeName) throw notFound();
      return noContent();
    },
  });
  r.on('/vhost-limits', { auth: 'vhostVisible', GET: (req) => limitsList(req) });
  r.on('/vhost-limits/:vhost', { auth: 'vhostVisible', GET: (req) => limitsList(req, req.vhost()) });
  r.on('/vhost-limits/:vhost/:name', {
    auth: 'admin',
    PUT: putLimit,
    DELETE: (req) => {
      const vhost = req.vhost();
      const { [req.param('name')]: _gone, ...limits } = req.broker.meta.vhosts.get(vhost)!.limits;
      req.broker.execute({ type: 'vhost.limits', vhost, limits });
      return noContent();
    },
  });
}
