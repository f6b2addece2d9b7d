// The management API as a hono app: every route module registered under /api, RabbitMQ's JSON 404 for unknown
// paths, and errors turned into {error, reason} answers (protocol errors as its direct requests answer them).
import { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { amqpError, errorResponse, HttpError, jsonResponse } from './http.js';
import { Router, type Mgmt } from './router.js';
import { csrfGuard } from './csrf.js';
import * as bindings from './routes/bindings.js';
import * as connections from './routes/connections.js';
import * as definitions from './routes/definitions.js';
import * as exchanges from './routes/exchanges.js';
import * as health from './routes/health.js';
import * as overview from './routes/overview.js';
import * as policies from './routes/policies.js';
import * as queues from './routes/queues.js';
import * as topicPermissions from './routes/topic-permissions.js';
import * as users from './routes/users.js';
import * as vhosts from './routes/vhosts.js';
import { mountUi } from './ui-static.js';

export function createApp(mgmt: Mgmt): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  // Read by the web UI before anyone logs in, so no credentials (as RabbitMQ's /api/auth).
  app.get('/api/auth', () => jsonResponse(overview.AUTH_INFO));
  app.use('/api/*', csrfGuard);
  // A change answered as done is on disk: wait for the store's fsync after every request that may change
  // metadata (one fsync serves all requests and publishes meanwhile).
  app.use('/api/*', async (c, next) => {
    await next();
    const store = mgmt.broker.store;
    if (store && c.req.method !== 'GET' && c.req.method !== 'HEAD') await new Promise<void>((r) => store.sync(() => r())); // a change the WAL refused threw already
  });
  const r = new Router(app, mgmt);
  // Order matters where paths overlap: static segments before parameters (users/bulk-delete before users/:user).
  for (const m of [overview, users, vhosts, connections, exchanges, queues, bindings, policies, definitions, health, topicPermissions]) m.register(r);
  mountUi(app);
  app.notFound(() => jsonResponse({ error: 'Object Not Found', reason: 'Not Found' }, 404));
  app.onError((e) => {
    const mapped = amqpError(e, 'direct');
    if (mapped instanceof HttpError) return errorResponse(mapped);
    mgmt.log('error', `management API: ${(e as Error)?.stack ?? e}`);
    return jsonResponse({ error: 'internal_server_error', reason: String((e as Error)?.message ?? e) }, 500);
  });
  return app;
}
