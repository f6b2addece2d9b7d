// /api/bindings: all bindings (the default exchange's implicit ones included), per vhost, between a source and
// a destination (GET; POST creates one and answers 201 with its Location), and one binding named by its
// properties_key ("routing%20key~argshash"), to show or delete.
import type { BindingDef } from '../../broker/metadata.js';
import * as ops from '../../broker/ops.js';
import { jsonResponse, noContent, notFound, tableToJson, toFieldTable, unquotePlus } from '../http.js';
import { bindingInfo, propertiesKey, vhostBindings, type Json } from '../info.js';
import { replyList } from '../list.js';
import type { Req, Router } from '../router.js';
import { BINDING_SORT, guarded, listVhosts, opContext } from './queues.js';

type Kind = 'queue' | 'exchange';

/** The path's ends; missing exchanges or queues are found out by the operation (or just list nothing). */
function ends(req: Req): { vhost: string; source: string; kind: Kind; destination: string } {
  const vhost = req.param('vhost');
  const dtype = req.param('dtype');
  if (dtype !== 'q' && dtype !== 'e') throw notFound();
  return { vhost, source: req.param('source'), kind: dtype === 'q' ? 'queue' : 'exchange', destination: req.param('destination') };
}

function between(req: Req): BindingDef[] {
  const e = ends(req);
  return vhostBindings(req.broker, e.vhost)
    .filter((b) => b.source === e.source && b.destinationKind === e.kind && b.destination === e.destination);
}

/** rabbit_mgmt_wm_binding's unpack: "key" alone means no arguments, "key~hash" names the arguments' hash. */
function findBinding(req: Req): BindingDef {
  const props = req.param('props');
  const tilde = props.indexOf('~');
  const key = unquotePlus(tilde < 0 ? props : props.slice(0, tilde));
  const hash = tilde < 0 ? '' : props.slice(tilde + 1);
  const found = between(req).find((b) => {
    const pk = propertiesKey(b.routingKey, tableToJson(b.args));
    if (pk === props) return true;
    const hasArgs = Object.keys(b.args).length > 0;
    return b.routingKey === key && (hash === '' ? !hasArgs : hasArgs && pk.endsWith(`~${hash}`));
  });
  if (!found) throw notFound();
  return found;
}

function listAll(req: Req): Response {
  const items: Json[] = [];
  for (const v of listVhosts(req)) for (const b of vhostBindings(req.broker, v)) items.push(bindingInfo(b));
  return jsonResponse(replyList(req.query, items, { paginate: false, defaultSort: BINDING_SORT }));
}

async function create(req: Req): Promise<Response> {
  const e = ends(req);
  if (!req.broker.vhosts.has(e.vhost)) throw notFound('vhost_not_found', 'not_found');
  const b = await req.body();
  const routingKey = b.routing_key === undefined || b.routing_key === null ? '' : String(b.routing_key);
  const args = toFieldTable(b.arguments);
  await guarded('direct', () => ops.bind(opContext(req, e.vhost),
    { source: e.source, destination: e.destination, destinationKind: e.kind, routingKey, args }));
  const pk = propertiesKey(routingKey, tableToJson(args));
  return new Response(null, { status: 201, headers: { location: `${encodeURIComponent(e.destination)}/${encodeURIComponent(pk)}` } });
}

export function register(r: Router): void {
  r.on('/bindings', { auth: 'vhost', GET: listAll });
  r.on('/bindings/:vhost', { auth: 'vhost', GET: listAll });
  r.on('/bindings/:vhost/e/:source/:dtype/:destination', {
    auth: 'vhost',
    GET: (req) => jsonResponse(replyList(req.query, between(req).map(bindingInfo), { paginate: false, defaultSort: BINDING_SORT })),
    POST: create,
  });
  r.on('/bindings/:vhost/e/:source/:dtype/:destination/:props', {
    auth: 'vhost',
    GET: (req) => req.reply(bindingInfo(findBinding(req))),
    DELETE: async (req) => {
      const b = findBinding(req);
      await guarded('direct', () => ops.unbind(opContext(req, b.vhost),
        { source: b.source, destination: b.destination, destinationKind: b.destinationKind, routingKey: b.routingKey, args: b.args }));
      return noContent();
    },
  });
}
