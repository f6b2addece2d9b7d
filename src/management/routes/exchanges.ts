// /api/exchanges: list (paginated), declare (PUT), show, delete (if-unused), publish (POST .../publish) and
// the exchange's bindings as source or destination. "amq.default" in a path is the default exchange "".
import * as ops from '../../broker/ops.js';
import { badRequest, jsonResponse, noContent, notFound, parseBool, putResponse, requireKeys, toFieldTable } from '../http.js';
import { bindingInfo, exchangeInfo, vhostBindings, type Json } from '../info.js';
import { replyList } from '../list.js';
import { publish, toBasicProperties } from '../messages.js';
import type { Req, Router } from '../router.js';
import { BINDING_SORT, guarded, listVhosts, opContext } from './queues.js';

function lookup(req: Req) {
  const ex = req.broker.vhosts.get(req.vhost())?.exchanges.get(req.param('exchange'));
  if (!ex) throw notFound();
  return ex;
}

function list(req: Req): Response {
  const items: Json[] = [];
  for (const v of listVhosts(req)) {
    for (const ex of req.broker.vhosts.get(v)!.exchanges.values()) items.push(exchangeInfo(req.mgmt, ex));
  }
  return jsonResponse(replyList(req.query, items, { paginate: true }));
}

async function declare(req: Req): Promise<Response> {
  const name = req.param('exchange');
  const b = await req.body();
  const ctx = opContext(req);
  const existed = ctx.vhost.exchanges.has(name);
  const type = b.type === undefined || b.type === null ? 'direct' : String(b.type);
  const args = toFieldTable(b.arguments);
  await guarded('direct', () => ops.declareExchange(ctx, {
    name, type, passive: false, durable: parseBool(b.durable) ?? false, autoDelete: parseBool(b.auto_delete) ?? false,
    internal: parseBool(b.internal) ?? false, args,
  }));
  return putResponse(!existed);
}

async function remove(req: Req): Promise<Response> {
  const ex = lookup(req);
  await guarded('direct', () => ops.deleteExchange(opContext(req), ex.name, req.query.get('if-unused') === 'true'));
  return noContent();
}

function decodePayload(payload: string, encoding: unknown): Buffer {
  if (encoding === 'string') return Buffer.from(payload, 'utf8');
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload.replace(/\s/g, ''))) throw badRequest(['not_base64', payload]);
    return Buffer.from(payload, 'base64');
  }
  throw badRequest(['unsupported_encoding', encoding]);
}

async function publishRoute(req: Req): Promise<Response> {
  const ctx = opContext(req);
  const b = await req.body();
  requireKeys(b, ['routing_key', 'properties', 'payload', 'payload_encoding']);
  if (typeof b.payload !== 'string') throw badRequest('payload_not_string');
  const props = toBasicProperties(b.properties);
  const body = decodePayload(b.payload, b.payload_encoding);
  const routed = await guarded('publish', () =>
    publish(ctx, req.mgmt.server, ops.lookupExchange(ctx, req.param('exchange')), String(b.routing_key), props, body));
  const direct = req.mgmt.sampler?.direct(ctx.vhost.name);
  if (direct) { direct.publish++; if (!routed) direct.dropUnroutable++; }
  return jsonResponse({ routed });
}

export function register(r: Router): void {
  r.on('/exchanges', { auth: 'vhost', GET: list });
  r.on('/exchanges/:vhost', { auth: 'vhost', GET: list });
  r.on('/exchanges/:vhost/:exchange', {
    auth: 'vhost',
    GET: (req) => req.reply(exchangeInfo(req.mgmt, lookup(req), true)),
    PUT: declare,
    DELETE: remove,
  });
  r.on('/exchanges/:vhost/:exchange/publish', { auth: 'vhost', POST: publishRoute });
  for (const side of ['source', 'destination'] as const) {
    r.on(`/exchanges/:vhost/:exchange/bindings/${side}`, {
      auth: 'vhost',
      GET: (req) => {
        const name = req.param('exchange');
        const items = vhostBindings(req.broker, req.vhost()).filter((b) => side === 'source'
          ? b.source === name : b.destinationKind === 'exchange' && b.destination === name).map(bindingInfo);
        return jsonResponse(replyList(req.query, items, { paginate: false, defaultSort: BINDING_SORT }));
      },
    });
  }
}
