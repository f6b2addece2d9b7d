// /api/policies, /api/operator-policies, /api/parameters and /api/global-parameters: stored through metadata
// commands (their effect on queues is the vhost's). Runtime parameters accept the components Warren will
// act on (federation upstreams, shovels); others are refused as RabbitMQ refuses a component it lacks.
import type { Command, PolicyDef } from '../../broker/metadata.js';
import { parameterKey } from '../../broker/metadata.js';
import { isAdmin, loginVhosts, visibleVhosts } from '../auth.js';
import { badRequest, jsonResponse, noContent, notFound, putResponse } from '../http.js';
import type { Json } from '../info.js';
import { replyList } from '../list.js';
import { policyInfo, validatePolicy } from '../policy-validation.js';
import type { Req, Router } from '../router.js';

const COMPONENTS = ['federation-upstream', 'federation-upstream-set', 'shovel'];

function vhostsOf(req: Req): string[] {
  if (req.c.req.param('vhost') !== undefined) return [req.vhost()];
  return isAdmin(req.user.tags) ? visibleVhosts(req.broker, req.user) : loginVhosts(req.broker, req.user);
}

function policyEndpoints(r: Router, base: string, operator: boolean): void {
  const mapOf = (req: Req, vhost: string) => {
    const m = req.broker.meta.vhosts.get(vhost)!;
    return operator ? m.operatorPolicies : m.policies;
  };
  const list = (req: Req) => {
    const items = vhostsOf(req).flatMap((v) => [...mapOf(req, v).values()].map(policyInfo));
    return jsonResponse(replyList(req.query, items, { paginate: false }));
  };
  const lookup = (req: Req): PolicyDef => {
    const p = mapOf(req, req.vhost()).get(req.param('name'));
    if (!p) throw notFound();
    return p;
  };
  r.on(base, { auth: 'vhost', GET: list });
  r.on(`${base}/:vhost`, { auth: 'vhost', GET: list });
  r.on(`${base}/:vhost/:name`, {
    auth: operator ? 'admin' : 'policies',
    GET: (req) => req.reply(policyInfo(lookup(req))),
    PUT: async (req) => {
      const vhost = req.vhost(), name = req.param('name');
      const def = validatePolicy(vhost, name, await req.body(), operator);
      const existed = mapOf(req, vhost).has(name);
      req.broker.execute({ type: operator ? 'operator-policy.set' : 'policy.set', def });
      return putResponse(!existed);
    },
    DELETE: (req) => {
      const p = lookup(req);
      req.broker.execute({ type: operator ? 'operator-policy.clear' : 'policy.clear', vhost: p.vhost, name: p.name });
      return noContent();
    },
  });
}

function parameterList(req: Req): Response {
  const component = req.c.req.param('component');
  const items: Json[] = [];
  for (const v of vhostsOf(req)) {
    for (const p of req.broker.meta.vhosts.get(v)!.parameters.values()) {
      if (component === undefined || p.component === component) items.push({ vhost: p.vhost, component: p.component, name: p.name, value: p.value });
    }
  }
  return jsonResponse(replyList(req.query, items, { paginate: false }));
}

function lookupParameter(req: Req) {
  const p = req.broker.meta.vhosts.get(req.vhost())!.parameters.get(parameterKey(req.param('component'), req.param('name')));
  if (!p) throw notFound();
  return p;
}

function globalParameter(req: Req) {
  const p = req.broker.meta.globalParameters.get(req.param('name'));
  if (!p) throw notFound();
  return p;
}

export function register(r: Router): void {
  policyEndpoints(r, '/policies', false);
  policyEndpoints(r, '/operator-policies', true);
  r.on('/parameters', { auth: 'policies', GET: parameterList });
  r.on('/parameters/:component', { auth: 'policies', GET: parameterList });
  r.on('/parameters/:component/:vhost', { auth: 'policies', GET: parameterList });
  r.on('/parameters/:component/:vhost/:name', {
    auth: 'policies',
    GET: (req) => {
      const p = lookupParameter(req);
      return jsonResponse({ vhost: p.vhost, component: p.component, name: p.name, value: p.value });
    },
    PUT: async (req) => {
      const vhost = req.vhost(), component = req.param('component'), name = req.param('name');
      const value = (await req.body()).value;
      if (value === undefined || value === null) throw badRequest('[{key_missing,value}]');
      if (!COMPONENTS.includes(component)) throw badRequest(`Validation failed\n\ncomponent ${component} not found\n`);
      if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`Validation failed\n\n${component} value must be an object\n`);
      const existed = req.broker.meta.vhosts.get(vhost)!.parameters.has(parameterKey(component, name));
      req.broker.execute({ type: 'parameter.set', def: { vhost, component, name, value } });
      return putResponse(!existed);
    },
    DELETE: (req) => {
      const p = lookupParameter(req);
      req.broker.execute({ type: 'parameter.clear', vhost: p.vhost, component: p.component, name: p.name });
      return noContent();
    },
  });
  r.on('/global-parameters', {
    auth: 'globalParameters',
    GET: (req) => jsonResponse(replyList(req.query, [...req.broker.meta.globalParameters.values()].map((p) => ({ name: p.name, value: p.value })),
      { paginate: false, defaultSort: ['name'] })),
  });
  r.on('/global-parameters/:name', {
    auth: 'globalParameters',
    GET: (req) => { const p = globalParameter(req); return jsonResponse({ name: p.name, value: p.value }); },
    PUT: async (req) => {
      const name = req.param('name');
      const value = (await req.body()).value;
      if (value === undefined || value === null) throw badRequest('[{key_missing,value}]');
      const existed = req.broker.meta.globalParameters.has(name);
      const cmd: Command = { type: 'global-parameter.set', def: { name, value } };
      req.broker.execute(cmd);
      return putResponse(!existed);
    },
    DELETE: (req) => {
      req.broker.execute({ type: 'global-parameter.clear', name: globalParameter(req).name });
      return noContent();
    },
  });
}
