// warrenctl's vhost and user limit commands on the node (set/clear/list_vhost_limits, set/clear/list_user_limits),
// with rabbitmqctl 3.10.8's checks, messages and exit codes (taken from a running 3.10.8). Changes are metadata
// commands through broker.execute(); the limits take effect on the next connection.open, channel or queue.
import { USER_LIMIT_NAMES, VHOST_LIMIT_NAMES } from '../broker/limits.js';
import type { Broker } from '../broker/broker.js';
import { erlTerm } from '../management/http.js';
import type { Handler, HandlerContext } from './listener.js';
import { ControlError, ExitCode, type ListResult, type Row } from './protocol.js';

const broker = (ctx: HandlerContext) => ctx.node.requireApp().broker;
const vhostOf = (ctx: HandlerContext) => ctx.req.vhost ?? '/';

/** Limits as rabbitmqctl prints them: a JSON object with its keys sorted (an Erlang map). */
export function limitsText(limits: Record<string, number> | undefined): string {
  const l = limits ?? {};
  return JSON.stringify(Object.fromEntries(Object.keys(l).sort().map((k) => [k, l[k]])));
}

function needVhost(b: Broker, vhost: string): void {
  if (!b.vhosts.has(vhost)) throw new ControlError(ExitCode.DataErr, `Virtual host '${vhost}' does not exist`, true);
}

function needUser(b: Broker, name: string) {
  // rabbitmqctl prints the Erlang term here, with exit 69.
  return b.user(name) ?? (() => { throw new ControlError(ExitCode.Unavailable, `{:no_such_user, "${name}"}`); })();
}

function parseDefinition(text: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new ControlError(ExitCode.Unavailable, 'JSON decoding error. Reason: badarg'); }
  // RabbitMQ crashes on anything but an object ({badmap, ...}); Warren says what it wanted.
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ControlError(ExitCode.Unavailable, `Validation failed\n\nlimits must be a JSON object, actually was ${erlTerm(v)}\n`);
  }
  return v as Record<string, unknown>;
}

/** rabbit_parameter_validation's findings: unknown names first, then values that are not integers. */
function problems(def: Record<string, unknown>, known: readonly string[], component: string): string[] {
  const unknown = Object.entries(def).filter(([k]) => !known.includes(k));
  const out = unknown.length ? [`Unrecognised terms [${unknown.map(([k, v]) => `{<<"${k}">>,${erlTerm(v)}}`).join(',')}] in ${component}`] : [];
  for (const [k, v] of Object.entries(def)) {
    if (known.includes(k) && !(typeof v === 'number' && Number.isInteger(v))) out.push(`${k} should be a number, actually was ${erlTerm(v)}`);
  }
  return out;
}

const rows = (r: Row[]): ListResult => ({ rows: r });

export const LIMIT_HANDLERS: Record<string, Handler> = {
  set_vhost_limits: { needsApp: true, run: (ctx) => {
    const [definition] = ctx.req.args as [string];
    const vhost = vhostOf(ctx), b = broker(ctx);
    const def = parseDefinition(definition);
    const bad = problems(def, VHOST_LIMIT_NAMES, 'limits');
    if (bad.length) throw new ControlError(ExitCode.Unavailable, `Validation failed\n\n${bad.join('\n')}\n`);
    needVhost(b, vhost);
    b.execute({ type: 'vhost.limits', vhost, limits: def as Record<string, number> });
  } },
  clear_vhost_limits: { needsApp: true, run: (ctx) => {
    const vhost = vhostOf(ctx), b = broker(ctx);
    const limits = b.meta.vhosts.get(vhost)?.limits;
    // As rabbitmqctl: a missing vhost and a vhost without limits both clear a runtime parameter that is not there.
    if (!limits || Object.keys(limits).length === 0) throw new ControlError(ExitCode.Unavailable, 'Parameter does not exist');
    b.execute({ type: 'vhost.limits', vhost, limits: {} });
  } },
  list_vhost_limits: { needsApp: true, run: (ctx) => {
    const b = broker(ctx);
    if (ctx.req.opts.global === true) {
      return rows([...b.meta.vhosts.values()].filter((v) => Object.keys(v.limits).length > 0)
        .map((v) => ({ vhost: v.def.name, limits: limitsText(v.limits) })));
    }
    const vhost = vhostOf(ctx);
    needVhost(b, vhost);
    const limits = b.meta.vhosts.get(vhost)!.limits;
    return Object.keys(limits).length ? limitsText(limits) : '';
  } },

  set_user_limits: { needsApp: true, run: (ctx) => {
    const [name, definition] = ctx.req.args as [string, string];
    const b = broker(ctx);
    const def = parseDefinition(definition);
    const u = needUser(b, name);
    const bad = problems(def, USER_LIMIT_NAMES, 'user-limits');
    // rabbitmqctl 3.10.8 prints one finding as it is and crashes (a case_clause) on several; Warren lists them.
    if (bad.length) throw new ControlError(ExitCode.Unavailable, bad.join('\n'));
    b.execute({ type: 'user.limits', name: u.name, limits: { ...u.limits, ...(def as Record<string, number>) } });
  } },
  clear_user_limits: { needsApp: true, run: (ctx) => {
    const [name, which] = ctx.req.args as [string, string];
    const b = broker(ctx);
    const u = needUser(b, name);
    if (which === 'all') { b.execute({ type: 'user.limits', name: u.name, limits: {} }); return; }
    // An unknown or unset limit name clears nothing and succeeds, as rabbitmqctl.
    const { [which]: _gone, ...rest } = u.limits ?? {};
    b.execute({ type: 'user.limits', name: u.name, limits: rest });
  } },
  list_user_limits: { needsApp: true, run: (ctx) => {
    const b = broker(ctx);
    if (ctx.req.opts.global === true) {
      return rows([...b.meta.users.values()].filter((u) => u.limits && Object.keys(u.limits).length > 0)
        .map((u) => ({ user: u.name, limits: limitsText(u.limits) })));
    }
    const name = typeof ctx.req.opts.user === 'string' ? ctx.req.opts.user : 'guest';
    return limitsText(needUser(b, name).limits);
  } },
};
