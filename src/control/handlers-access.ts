// warrenctl's user, vhost, permission, policy and parameter commands on the node, with rabbitmqctl 3.10's
// checks, messages and exit codes. Every change is a metadata command through broker.execute(); policy
// validation is the management API's (rabbit_policy's rules), shared.
import { ReplyCode } from '../amqp/errors.js';
import { hashPassword, HASHING_SHA256 } from '../broker/auth.js';
import type { Broker } from '../broker/broker.js';
import { parameterKey } from '../broker/metadata.js';
import { HttpError } from '../management/http.js';
import { validatePolicy } from '../management/policy-validation.js';
import type { Server } from '../server/server.js';
import type { Handler, HandlerContext } from './listener.js';
import { ControlError, ExitCode, type ListResult, type Row } from './protocol.js';

/** Runtime parameter components Warren stores (for federation and shovels), as the management API accepts. */
const COMPONENTS = ['federation-upstream', 'federation-upstream-set', 'shovel'];

const app = (ctx: HandlerContext) => ctx.node.requireApp();
const vhostOf = (ctx: HandlerContext) => ctx.req.vhost ?? '/';

function noUser(name: string, quoted = true): never {
  throw new ControlError(ExitCode.NoUser, quoted ? `User "${name}" does not exist` : `User ${name} does not exist`);
}

function needUser(b: Broker, name: string, quoted = true) {
  return b.user(name) ?? noUser(name, quoted);
}

/** rabbitmqctl's two wordings for a missing vhost: a plain data error, or "Error:" with exit 69. */
function needVhost(b: Broker, vhost: string, style: 'data' | 'unavailable'): void {
  if (b.vhosts.has(vhost)) return;
  if (style === 'data') throw new ControlError(ExitCode.DataErr, `Virtual host '${vhost}' does not exist`, true);
  throw new ControlError(ExitCode.Unavailable, `Virtual host ${vhost} does not exist`);
}

/** As RabbitMQ's connection tracking: connections of a deleted user or vhost are closed with 320. */
function closeConnections(server: Server, match: (user: string, vhost: string | undefined) => boolean, reason: string): void {
  for (const c of [...server.connections]) if (match(c.user, c.ctx?.vhost.name)) c.close(ReplyCode.ConnectionForced, reason);
}

function checkRegex(user: string, vhost: string, ...patterns: string[]): void {
  for (const p of patterns) {
    try { new RegExp(p); } catch {
      throw new ControlError(ExitCode.Unavailable, `Failed to set permissions for '${user}' in virtual host '${vhost}': regular expression '${p}' is invalid`);
    }
  }
}

function jsonArg(text: string): unknown {
  try { return JSON.parse(text) as unknown; } catch {
    throw new ControlError(ExitCode.Unavailable, 'JSON decoding error. Reason: badarg');
  }
}

const list = (rows: Row[]): ListResult => ({ rows });

export const ACCESS_HANDLERS: Record<string, Handler> = {
  add_user: { needsApp: true, run: (ctx) => {
    const [name, password] = ctx.req.args as [string, string];
    const b = app(ctx).broker;
    if (b.user(name)) throw new ControlError(ExitCode.Software, `User "${name}" already exists`);
    // A blank password disables password login, as RabbitMQ's add_user documents.
    b.execute({ type: 'user.put', def: { name, passwordHash: password === '' ? '' : hashPassword(password), hashingAlgorithm: HASHING_SHA256, tags: [] } });
  } },
  delete_user: { needsApp: true, run: (ctx) => {
    const [name] = ctx.req.args as [string];
    const { broker, server } = app(ctx);
    needUser(broker, name);
    broker.execute({ type: 'user.delete', name });
    closeConnections(server, (u) => u === name, `user '${name}' is deleted`);
  } },
  change_password: { needsApp: true, run: (ctx) => {
    const [name, password] = ctx.req.args as [string, string];
    const b = app(ctx).broker;
    const u = needUser(b, name);
    b.execute({ type: 'user.put', def: { ...u, passwordHash: password === '' ? '' : hashPassword(password), hashingAlgorithm: HASHING_SHA256 } });
  } },
  set_user_tags: { needsApp: true, run: (ctx) => {
    const [name, ...tags] = ctx.req.args as [string, ...string[]];
    const b = app(ctx).broker;
    const u = needUser(b, name);
    b.execute({ type: 'user.put', def: { ...u, tags } });
  } },
  list_users: { needsApp: true, run: (ctx) =>
    list([...app(ctx).broker.meta.users.values()].map((u) => ({ user: u.name, tags: { t: 'atoms', v: u.tags } }))) },

  add_vhost: { needsApp: true, run: (ctx) => {
    const [name] = ctx.req.args as [string];
    const b = app(ctx).broker;
    if (b.vhosts.has(name)) return; // as RabbitMQ: adding an existing vhost succeeds and changes nothing
    const o = ctx.req.opts;
    const description = typeof o.description === 'string' ? o.description : '';
    b.addVhost(name, description);
    const tags = typeof o.tags === 'string' ? o.tags.split(',').map((t) => t.trim()).filter(Boolean) : [];
    const dqt = typeof o['default-queue-type'] === 'string' ? o['default-queue-type'] : undefined;
    if (tags.length || dqt) b.execute({ type: 'vhost.update', def: { name, description, tags, ...(dqt ? { defaultQueueType: dqt } : {}) } });
  } },
  delete_vhost: { needsApp: true, run: (ctx) => {
    const [name] = ctx.req.args as [string];
    const { broker, server } = app(ctx);
    needVhost(broker, name, 'data');
    closeConnections(server, (_u, v) => v === name, `vhost '${name}' is deleted`);
    broker.execute({ type: 'vhost.delete', name });
  } },
  list_vhosts: { needsApp: true, run: (ctx) => {
    const b = app(ctx).broker;
    return list([...b.meta.vhosts.values()].map(({ def }) => {
      const all: Row = {
        name: def.name, description: def.description, tags: { t: 'atoms', v: def.tags },
        default_queue_type: def.defaultQueueType ?? 'undefined', tracing: false,
        cluster_state: { t: 'map', v: { [ctx.node.name]: 'running' } },
      };
      return Object.fromEntries((ctx.req.columns ?? ['name']).map((c) => [c, all[c] ?? null]));
    }));
  } },

  set_permissions: { needsApp: true, run: (ctx) => {
    const [user, configure, write, read] = ctx.req.args as [string, string, string, string];
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'unavailable');
    needUser(b, user, false);
    checkRegex(user, vhost, configure, write, read);
    b.execute({ type: 'permission.set', def: { user, vhost, configure, write, read } });
  } },
  clear_permissions: { needsApp: true, run: (ctx) => {
    const [user] = ctx.req.args as [string];
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needUser(b, user, false);
    needVhost(b, vhost, 'unavailable');
    b.execute({ type: 'permission.clear', user, vhost });
  } },
  list_permissions: { needsApp: true, run: (ctx) => {
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'data');
    return list([...b.meta.permissions.values()].filter((p) => p.vhost === vhost)
      .map((p) => ({ user: p.user, configure: p.configure, write: p.write, read: p.read })));
  } },
  list_user_permissions: { needsApp: true, run: (ctx) => {
    const [user] = ctx.req.args as [string];
    const b = app(ctx).broker;
    // rabbitmqctl prints the Erlang term {:no_such_user, "x"} here, with exit 69; the code is kept.
    if (!b.user(user)) throw new ControlError(ExitCode.Unavailable, `User "${user}" does not exist`);
    return list([...b.meta.permissions.values()].filter((p) => p.user === user)
      .map((p) => ({ vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })));
  } },

  set_policy: { needsApp: true, run: (ctx) => {
    const [name, pattern, definition] = ctx.req.args as [string, string, string];
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'data');
    const o = ctx.req.opts;
    const body = { pattern, definition: jsonArg(definition), priority: typeof o.priority === 'number' ? o.priority : 0, 'apply-to': o['apply-to'] ?? 'all' };
    try {
      b.execute({ type: 'policy.set', def: validatePolicy(vhost, name, body, false) });
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      // The management API escapes < and > for HTML; rabbitmqctl prints the reason as it is.
      throw new ControlError(ExitCode.Unavailable, String(e.reason).replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
    }
  } },
  clear_policy: { needsApp: true, run: (ctx) => {
    const [name] = ctx.req.args as [string];
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'data');
    if (!b.meta.vhosts.get(vhost)!.policies.has(name)) throw new ControlError(ExitCode.Unavailable, 'Parameter does not exist');
    b.execute({ type: 'policy.clear', vhost, name });
  } },
  list_policies: { needsApp: true, run: (ctx) => {
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'data');
    return list([...b.meta.vhosts.get(vhost)!.policies.values()].map((p) => ({
      vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: JSON.stringify(p.definition), priority: p.priority,
    })));
  } },

  set_parameter: { needsApp: true, run: (ctx) => {
    const [component, name, value] = ctx.req.args as [string, string, string];
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'data');
    if (component === 'policy') throw new ControlError(ExitCode.Unavailable, 'policies may not be set using this method');
    const v = jsonArg(value);
    if (!COMPONENTS.includes(component)) throw new ControlError(ExitCode.Unavailable, `Validation failed\n\ncomponent ${component} not found\n`);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ControlError(ExitCode.Unavailable, `Validation failed\n\n${component} value must be an object\n`);
    b.execute({ type: 'parameter.set', def: { vhost, component, name, value: v } });
  } },
  clear_parameter: { needsApp: true, run: (ctx) => {
    const [component, name] = ctx.req.args as [string, string];
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'data');
    if (!b.meta.vhosts.get(vhost)!.parameters.has(parameterKey(component, name))) throw new ControlError(ExitCode.Unavailable, 'Parameter does not exist');
    b.execute({ type: 'parameter.clear', vhost, component, name });
  } },
  list_parameters: { needsApp: true, run: (ctx) => {
    const vhost = vhostOf(ctx), b = app(ctx).broker;
    needVhost(b, vhost, 'data');
    return list([...b.meta.vhosts.get(vhost)!.parameters.values()].map((p) => ({ component: p.component, name: p.name, value: JSON.stringify(p.value) })));
  } },
};
