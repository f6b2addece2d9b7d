// Endpoint plumbing in cowboy_rest's order: method allowed (405 with Allow), then authentication and the
// endpoint's authorization rule (401), then the handler, which answers 404 for missing objects. Paths are
// matched on the encoded URL, so "%2F" stays inside a segment; parameters arrive decoded.
import type { Context, Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { Broker } from '../broker/broker.js';
import type { Server } from '../server/server.js';
import { authenticate, authorize, type AuthRule, type Principal } from './auth.js';
import { badRequest, decodeBody, jsonResponse, notFound, HttpError } from './http.js';
import { columnsParam, extractColumns } from './list.js';
import type { InfoSource } from './info.js';
import type { StatsSampler } from './sampler.js';

export interface Listener { protocol: string; host: string; port: number }

/** Everything the routes read: the broker and server, the sampler when statistics are on, node facts. */
export interface Mgmt extends InfoSource {
  broker: Broker;
  server: Server;
  sampler?: StatsSampler;
  version: string;
  /** Every bound listener of this node (amqp ..., http), for the overview and health checks. */
  listeners: Listener[];
  dataDir: string;
  configFiles: string[];
  logFiles: string[];
  memLimit: number;
  diskFreeLimit: number;
  startedAt: number;
  log: (level: 'debug' | 'info' | 'warning' | 'error', msg: string) => void;
}

/** RabbitMQ's management.http.max_body_size default. */
const MAX_BODY = 10_000_000;
/** Path parameters naming exchanges, where "amq.default" means the default exchange "". */
const EXCHANGE_PARAMS = new Set(['exchange', 'source', 'destination']);

export class Req {
  private bodyCache: Record<string, unknown> | undefined;
  readonly query: URLSearchParams;

  constructor(readonly c: Context<{ Bindings: HttpBindings }>, readonly mgmt: Mgmt, readonly user: Principal) {
    this.query = new URL(c.req.url).searchParams;
  }

  get broker(): Broker { return this.mgmt.broker; }

  param(name: string): string {
    const v = this.c.req.param(name) ?? '';
    return EXCHANGE_PARAMS.has(name) && v === 'amq.default' ? '' : v;
  }

  /** The path's vhost, which must exist (404 otherwise). */
  vhost(): string {
    const v = this.param('vhost');
    if (!this.broker.vhosts.has(v)) throw notFound();
    return v;
  }

  header(name: string): string | undefined { return this.c.req.header(name); }

  /** A single object as JSON, with the columns= selection applied (rabbit_mgmt_util:reply). */
  reply(body: unknown): Response { return jsonResponse(extractColumns(body, columnsParam(this.query))); }

  async text(): Promise<string> {
    const len = Number(this.header('content-length') ?? 0);
    if (len > MAX_BODY) throw badRequest('Exceeded HTTP request body size limit');
    return this.c.req.text();
  }

  async body(): Promise<Record<string, unknown>> {
    this.bodyCache ??= decodeBody(await this.text());
    return this.bodyCache;
  }
}

export type Handler = (req: Req) => Response | Promise<Response>;
type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface Endpoint {
  /** The rule for every method, or per method. */
  auth: AuthRule | Partial<Record<Method, AuthRule>>;
  GET?: Handler; PUT?: Handler; POST?: Handler; DELETE?: Handler;
}

export class Router {
  constructor(private readonly app: Hono<{ Bindings: HttpBindings }>, private readonly mgmt: Mgmt) {}

  /** Registers `path` under /api; static paths must come before parameterised ones that overlap them. */
  on(path: string, ep: Endpoint): void {
    const methods = (['GET', 'PUT', 'POST', 'DELETE'] as const).filter((m) => ep[m]);
    const allow = [...(ep.GET ? ['HEAD', 'GET'] : []), ...methods.filter((m) => m !== 'GET'), 'OPTIONS'].join(', ');
    this.app.all(`/api${path}`, async (c) => {
      const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
      if (method === 'OPTIONS') return new Response(null, { status: 200, headers: { allow } });
      const handler = ep[method as Method];
      if (!handler) return new Response(null, { status: 405, headers: { allow } });
      const header = c.req.header('authorization');
      let user: Principal;
      try {
        user = authenticate(this.mgmt.broker, header, c.env?.incoming?.socket?.remoteAddress);
        this.mgmt.server.authAttempts.record('http', true);
      } catch (e) {
        if (header !== undefined) this.mgmt.server.authAttempts.record('http', false);
        throw e;
      }
      const rule = typeof ep.auth === 'string' ? ep.auth : ep.auth[method as Method] ?? 'any';
      const vh = c.req.param('vhost');
      authorize(this.mgmt.broker, user, rule, vh !== undefined && this.mgmt.broker.vhosts.has(vh) ? vh : undefined);
      const res = await handler(new Req(c, this.mgmt, user));
      return c.req.method === 'HEAD' ? new Response(null, { status: res.status, headers: res.headers }) : res;
    });
  }
}

export { HttpError };
