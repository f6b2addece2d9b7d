// /api/queues: list (all or per vhost, paginated), declare (PUT), show, delete (if-unused, if-empty),
// purge (DELETE .../contents), get messages (POST .../get), actions, and the queue's bindings.
import * as ops from '../../broker/ops.js';
import { isAdmin, loginVhosts } from '../auth.js';
import { amqpError, badRequest, jsonResponse, noContent, notFound, parseBool, parseInteger, putResponse, requireKeys, toFieldTable } from '../http.js';
import { bindingInfo, consumerIndex, queueInfo, vhostBindings, type Json } from '../info.js';
import { replyList } from '../list.js';
import { ACK_MODES, getMessages, type AckMode } from '../messages.js';
import type { Req, Router } from '../router.js';

/** The operation context of an HTTP request: the user, in the path's vhost, as a connection of its own. */
export function opContext(req: Req, vhost = req.vhost()): ops.OpContext {
  return { broker: req.broker, user: req.user.name, vhost: req.broker.vhosts.get(vhost)!, connKey: `${req.broker.nodeName}/http` };
}

/** Runs a broker operation, turning its protocol errors into RabbitMQ's HTTP answers. */
export async function guarded<T>(style: 'direct' | 'channel' | 'publish', f: () => T | Promise<T>): Promise<T> {
  try { return await f(); } catch (e) { throw amqpError(e, style); }
}

/** The vhosts a list covers: the path's one, else all for administrators and the login ones for others. */
export function listVhosts(req: Req): string[] {
  if (req.c.req.param('vhost') !== undefined) return [req.vhost()];
  return isAdmin(req.user.tags) ? [...req.broker.vhosts.keys()] : loginVhosts(req.broker, req.user);
}

function lookup(req: Req) {
  const q = req.broker.vhosts.get(req.vhost())?.queues.get(req.param('queue'));
  if (!q) throw notFound();
  return q;
}

function list(req: Req): Response {
  const idx = consumerIndex(req.mgmt.server);
  const items: Json[] = [];
  for (const v of listVhosts(req)) {
    for (const q of req.broker.vhosts.get(v)!.queues.values()) items.push(queueInfo(req.mgmt, q, { consumers: idx }));
  }
  return jsonResponse(replyList(req.query, items, { paginate: true }));
}

async function declare(req: Req): Promise<Response> {
  const name = req.param('queue');
  if (Buffer.byteLength(name) > 255) throw badRequest(`queue name '${name}' is too long (max 255 bytes)\n`);
  const b = await req.body();
  const ctx = opContext(req);
  const existed = ctx.vhost.queues.has(name);
  const args = toFieldTable(b.arguments);
  await guarded('direct', () => ops.declareQueue(ctx, {
    name, passive: false, durable: parseBool(b.durable) ?? false, exclusive: false, autoDelete: parseBool(b.auto_delete) ?? false, args,
  }));
  return putResponse(!existed);
}

async function remove(req: Req): Promise<Response> {
  const q = lookup(req);
  const ifUnused = req.query.get('if-unused') === 'true', ifEmpty = req.query.get('if-empty') === 'true';
  await guarded('direct', () => ops.deleteQueue(opContext(req), { name: q.name, ifUnused, ifEmpty }));
  return noContent();
}

async function get(req: Req): Promise<Response> {
  const ctx = opContext(req);
  const q = await guarded('channel', () => ops.lookupQueue(ctx, req.param('queue')));
  const b = await req.body();
  requireKeys(b, ['ackmode', 'count', 'encoding']);
  const ackMode = String(b.ackmode);
  if (!ACK_MODES.includes(ackMode)) throw badRequest(['unknown_ackmode', ackMode]);
  const encoding = b.encoding;
  if (encoding !== 'auto' && encoding !== 'base64') throw badRequest('Unsupported encoding. Please use auto or base64.');
  const count = parseInteger(b.count);
  const truncate = b.truncate === undefined || b.truncate === null ? undefined : parseInteger(b.truncate);
  const msgs = await guarded('channel', () => getMessages(ctx, q, { count, ackMode: ackMode as AckMode, encoding, truncate }));
  const direct = req.mgmt.sampler?.direct(q.vhost);
  if (direct) {
    if (ackMode === 'ack_requeue_false') direct.getNoAck += msgs.length; else direct.get += msgs.length;
    if (msgs.length < count) direct.getEmpty++;
  }
  return jsonResponse(msgs);
}

export function register(r: Router): void {
  r.on('/queues', { auth: 'vhost', GET: list });
  r.on('/queues/:vhost', { auth: 'vhost', GET: list });
  r.on('/queues/:vhost/:queue', {
    auth: 'vhost',
    GET: (req) => req.reply(queueInfo(req.mgmt, lookup(req), { consumers: consumerIndex(req.mgmt.server), detail: true })),
    PUT: declare,
    DELETE: remove,
  });
  r.on('/queues/:vhost/:queue/bindings', {
    auth: 'vhost',
    GET: (req) => {
      const name = req.param('queue');
      const items = vhostBindings(req.broker, req.vhost())
        .filter((b) => b.destinationKind === 'queue' && b.destination === name).map(bindingInfo);
      return jsonResponse(replyList(req.query, items, { paginate: false, defaultSort: BINDING_SORT }));
    },
  });
  r.on('/queues/:vhost/:queue/contents', {
    auth: 'vhost',
    DELETE: async (req) => {
      const q = lookup(req);
      await guarded('direct', () => ops.purgeQueue(opContext(req), q.name));
      return noContent();
    },
  });
  r.on('/queues/:vhost/:queue/get', { auth: 'vhost', POST: get });
  r.on('/queues/:vhost/:queue/actions', {
    auth: 'admin',
    POST: async (req) => {
      lookup(req);
      const action = (await req.body()).action;
      // sync / cancel_sync concern mirrored queues; a classic queue has nothing to synchronise.
      if (action !== 'sync' && action !== 'cancel_sync') throw badRequest(['unknown', action ?? null]);
      return noContent();
    },
  });
}

/** RabbitMQ's default order of binding lists. */
export const BINDING_SORT = ['vhost', 'source', 'type', 'destination', 'routing_key', 'properties_key'];
