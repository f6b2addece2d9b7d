// Topic permissions as RabbitMQ 3.10's API keeps them: /api/topic-permissions (all), /api/topic-permissions/
// {vhost}/{user} (GET its list, PUT {exchange, write, read}, DELETE all of the pair or ?exchange= one), and the
// per-user and per-vhost lists. Stored in the metadata (so definitions round-trip); checked by
// Broker.checkTopicPermission on publish to and bind from topic exchanges.
import type { TopicPermissionDef } from '../../broker/metadata.js';
import { badRequest, jsonResponse, noContent, notFound, putResponse, requireKeys } from '../http.js';
import type { Json } from '../info.js';
import { replyList } from '../list.js';
import type { Req, Router } from '../router.js';

const info = (p: TopicPermissionDef): Json => ({ user: p.user, vhost: p.vhost, exchange: p.exchange, write: p.write, read: p.read });
const SORT = ['vhost', 'user'];

function all(req: Req): TopicPermissionDef[] { return [...req.broker.meta.topicPermissions?.values() ?? []]; }

function list(req: Req, keep: (p: TopicPermissionDef) => boolean): Response {
  return jsonResponse(replyList(req.query, all(req).filter(keep).map(info), { paginate: false, defaultSort: SORT }));
}

function pair(req: Req): { user: string; vhost: string } {
  const user = req.param('user'), vhost = req.param('vhost');
  if (!req.broker.user(user) || !req.broker.vhosts.has(vhost)) throw notFound();
  return { user, vhost };
}

async function put(req: Req): Promise<Response> {
  const user = req.param('user'), vhost = req.param('vhost');
  if (!req.broker.user(user) || !req.broker.vhosts.has(vhost)) throw badRequest('vhost_or_user_not_found');
  const b = await req.body();
  requireKeys(b, ['exchange', 'write', 'read']);
  const [exchange, write, read] = [String(b.exchange), String(b.write), String(b.read)];
  for (const r of [write, read]) {
    try { new RegExp(r); } catch { throw badRequest(`Validation failed\n\n${r} is not a valid regular expression\n`); }
  }
  const existed = all(req).some((p) => p.user === user && p.vhost === vhost && p.exchange === exchange);
  req.broker.execute({ type: 'topic-permission.set', def: { user, vhost, exchange, write, read } });
  return putResponse(!existed);
}

export function register(r: Router): void {
  r.on('/topic-permissions', { auth: 'admin', GET: (req) => list(req, () => true) });
  r.on('/topic-permissions/:vhost/:user', {
    auth: 'admin',
    GET: (req) => {
      const { user, vhost } = pair(req);
      const mine = all(req).filter((p) => p.user === user && p.vhost === vhost);
      if (!mine.length) throw notFound();
      return jsonResponse(mine.map(info));
    },
    PUT: put,
    DELETE: (req) => {
      const { user, vhost } = pair(req);
      const exchange = req.query.get('exchange') ?? undefined;
      if (!all(req).some((p) => p.user === user && p.vhost === vhost && (exchange === undefined || p.exchange === exchange))) throw notFound();
      req.broker.execute({ type: 'topic-permission.clear', user, vhost, exchange });
      return noContent();
    },
  });
  r.on('/users/:user/topic-permissions', {
    auth: 'admin',
    GET: (req) => {
      const u = req.param('user');
      if (!req.broker.user(u)) throw notFound();
      return list(req, (p) => p.user === u);
    },
  });
  r.on('/vhosts/:vhost/topic-permissions', {
    auth: 'admin',
    GET: (req) => { const v = req.vhost(); return list(req, (p) => p.vhost === v); },
  });
}
