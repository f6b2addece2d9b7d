// Health checks as RabbitMQ 3.10's /api/health/checks/* ({"status":"ok"} or 503 {"status":"failed", reason}),
// the deprecated /api/healthchecks/node, and /api/aliveness-test/{vhost}: declare "aliveness-test", publish
// "test_message" to it, get it back.
import * as ops from '../../broker/ops.js';
import { badRequest, jsonResponse, notFound } from '../http.js';
import { getMessages, publish } from '../messages.js';
import type { Req, Router } from '../router.js';
import { guarded, opContext } from './queues.js';

const ok = (extra: Record<string, unknown> = {}) => jsonResponse({ status: 'ok', ...extra });
const failed = (body: Record<string, unknown>) => jsonResponse({ status: 'failed', ...body }, 503);

/** rabbit_mgmt_wm_health_check_protocol_listener's aliases, for the protocols a Warren node serves. */
function normalizeProtocol(p: string): string {
  const s = p.toLowerCase();
  if (['amqp091', 'amqp0.9.1', 'amqp0-9-1', 'amqp0_9_1', 'amqp10', 'amqp1.0', 'amqp1-0', 'amqp1_0'].includes(s)) return 'amqp';
  if (s === 'amqps') return 'amqp/ssl';
  if (['http1', 'http1.1', 'http_api', 'management', 'management_ui', 'ui'].includes(s)) return 'http';
  if (['cli', 'distribution'].includes(s)) return 'clustering';
  return s;
}

async function aliveness(req: Req): Promise<Response> {
  const ctx = opContext(req);
  const name = 'aliveness-test';
  const got = await guarded('channel', async () => {
    ops.declareQueue(ctx, { name, passive: false, durable: false, exclusive: false, autoDelete: false, args: {} });
    const ex = ctx.vhost.exchanges.get('')!;
    await publish(ctx, req.mgmt.server, ex, name, {}, Buffer.from('test_message'));
    return getMessages(ctx, ctx.vhost.queues.get(name)!, { count: 1, ackMode: 'ack_requeue_false', encoding: 'auto', truncate: undefined });
  });
  return got.length ? ok() : failed({ reason: 'aliveness-test queue is empty' });
}

export function register(r: Router): void {
  for (const [check, where] of [['alarms', 'in the cluster'], ['local-alarms', 'on the node']]) {
    r.on(`/health/checks/${check}`, {
      auth: 'any',
      GET: (req) => {
        const raised = [...req.mgmt.server.alarms];
        if (raised.length === 0) return ok();
        return failed({ reason: `There are alarms in effect ${where}`, alarms: raised.map((resource) => ({ node: req.broker.nodeName, resource })) });
      },
    });
  }
  r.on('/health/checks/certificate-expiration/:within/:unit', {
    auth: 'any',
    GET: (req) => {
      if (!/^\d+$/.test(req.param('within'))) throw badRequest('Invalid period');
      if (!['days', 'weeks', 'months', 'years'].includes(req.param('unit'))) throw badRequest('Invalid unit');
      return ok(); // no TLS listeners, so no certificate can expire
    },
  });
  r.on('/health/checks/port-listener/:port', {
    auth: 'any',
    GET: (req) => {
      const raw = req.param('port');
      if (!/^\d+$/.test(raw)) throw badRequest('Invalid port');
      const port = Number(raw);
      const ports = req.mgmt.listeners.map((l) => l.port);
      return ports.includes(port) ? ok({ port }) : failed({ reason: 'No active listener', missing: port, ports });
    },
  });
  r.on('/health/checks/protocol-listener/:protocol', {
    auth: 'any',
    GET: (req) => {
      const protocol = normalizeProtocol(req.param('protocol'));
      const protocols = req.mgmt.listeners.map((l) => l.protocol);
      return protocols.includes(protocol) ? ok({ protocol }) : failed({ reason: 'No active listener', missing: protocol, protocols });
    },
  });
  r.on('/health/checks/virtual-hosts', { auth: 'any', GET: () => ok() });
  r.on('/health/checks/node-is-mirror-sync-critical', { auth: 'any', GET: () => ok() });
  r.on('/health/checks/node-is-quorum-critical', { auth: 'any', GET: () => ok({ reason: 'single node cluster' }) });
  r.on('/healthchecks/node', { auth: 'any', GET: () => ok() });
  r.on('/healthchecks/node/:node', {
    auth: 'any',
    GET: (req) => { if (req.param('node') !== req.broker.nodeName) throw notFound(); return ok(); },
  });
  r.on('/aliveness-test/:vhost', { auth: 'vhost', GET: aliveness });
}
