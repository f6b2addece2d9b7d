// /api/connections (list, show, close with 320 CONNECTION_FORCED and the X-Reason text), a connection's
// channels, /api/channels, /api/consumers and their per-vhost forms. Users without the monitoring tag see only
// their own connections and channels; closing someone else's needs administrator.
import { ReplyCode } from '../../amqp/errors.js';
import type { Connection } from '../../server/connection.js';
import { isAdmin, isMonitor } from '../auth.js';
import { jsonResponse, noContent, notAuthorised, notFound } from '../http.js';
import { allConsumers, channelInfo, connectionInfo, consumerInfo, findChannel, findConnection, listedConnections, type Json } from '../info.js';
import { replyList } from '../list.js';
import type { Req, Router } from '../router.js';

/** RabbitMQ's reason when DELETE /api/connections/{name} has no X-Reason header. */
const DEFAULT_REASON = 'Closed via management plugin';

function visible(req: Req, vhost?: string): Connection[] {
  const own = !isMonitor(req.user.tags);
  return listedConnections(req.mgmt).filter((c) =>
    (vhost === undefined || c.ctx?.vhost.name === vhost) && (!own || c.user === req.user.name));
}

/** is_authorized_user: monitors see anyone's, administrators close anyone's, everyone sees and closes their own. */
function mayAccess(req: Req, owner: string, del: boolean): void {
  if (owner === req.user.name) return;
  if (del ? isAdmin(req.user.tags) : isMonitor(req.user.tags)) return;
  throw notAuthorised('User not authorised to access object');
}

function lookup(req: Req, del = false): Connection {
  const c = findConnection(req.mgmt, req.param('connection'));
  if (!c) throw notFound();
  mayAccess(req, c.user, del);
  return c;
}

function closeConnection(c: Connection, reason: string): void {
  c.close(ReplyCode.ConnectionForced, reason);
}

const listConnections = (vhost: (req: Req) => string | undefined) => (req: Req) =>
  jsonResponse(replyList(req.query, visible(req, vhost(req)).map((c) => connectionInfo(req.mgmt, c)), { paginate: true }));

const listChannels = (vhost: (req: Req) => string | undefined) => (req: Req) => {
  const items: Json[] = [];
  for (const c of visible(req, vhost(req))) for (const ch of c.channels.values()) items.push(channelInfo(req.mgmt, ch));
  return jsonResponse(replyList(req.query, items, { paginate: true }));
};

function listConsumers(req: Req): Response {
  const vhost = req.c.req.param('vhost') !== undefined ? req.vhost() : undefined;
  const own = !isMonitor(req.user.tags);
  const items = allConsumers(req.mgmt, vhost).filter((c) => !own || c.channel.conn.user === req.user.name)
    .map((c) => consumerInfo(req.mgmt, c));
  return jsonResponse(replyList(req.query, items, { paginate: false, defaultSort: ['queue.vhost', 'queue.name', 'consumer_tag'] }));
}

export function register(r: Router): void {
  r.on('/connections', { auth: 'any', GET: listConnections(() => undefined) });
  r.on('/vhosts/:vhost/connections', { auth: 'vhost', GET: listConnections((req) => req.vhost()) });
  r.on('/connections/username/:username', {
    auth: 'any',
    DELETE: (req) => {
      const name = req.param('username');
      mayAccess(req, name, true);
      const reason = req.header('x-reason') ?? DEFAULT_REASON;
      for (const c of listedConnections(req.mgmt)) if (c.user === name) closeConnection(c, reason);
      return noContent();
    },
  });
  r.on('/connections/:connection', {
    auth: 'any',
    GET: (req) => req.reply(connectionInfo(req.mgmt, lookup(req))),
    DELETE: (req) => {
      closeConnection(lookup(req, true), req.header('x-reason') ?? DEFAULT_REASON);
      return noContent();
    },
  });
  r.on('/connections/:connection/channels', {
    auth: 'any',
    GET: (req) => {
      const c = lookup(req);
      return jsonResponse(replyList(req.query, [...c.channels.values()].map((ch) => channelInfo(req.mgmt, ch)), { paginate: true }));
    },
  });
  r.on('/channels', { auth: 'any', GET: listChannels(() => undefined) });
  r.on('/vhosts/:vhost/channels', { auth: 'vhost', GET: listChannels((req) => req.vhost()) });
  r.on('/channels/:channel', {
    auth: 'any',
    GET: (req) => {
      const ch = findChannel(req.mgmt, req.param('channel'));
      if (!ch) throw notFound();
      mayAccess(req, ch.conn.user, false);
      return req.reply(channelInfo(req.mgmt, ch));
    },
  });
  r.on('/consumers', { auth: 'any', GET: listConsumers });
  r.on('/consumers/:vhost', { auth: 'vhost', GET: listConsumers });
}
