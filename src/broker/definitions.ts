// Definitions in RabbitMQ's JSON format (rabbitmqctl export_definitions / the management API): import turns
// them into metadata commands, export reads them back out of the metadata state. A RabbitMQ export loads here.
import type { FieldTable } from '../amqp/table.js';
import { HASHING_SHA256 } from './auth.js';
import type { Broker } from './broker.js';
import type { Command } from './metadata.js';
import { exchangeType } from './router.js';

export interface Definitions {
  rabbit_version?: string;
  rabbitmq_version?: string;
  product_name?: string;
  product_version?: string;
  users?: { name: string; password_hash: string; hashing_algorithm?: string; tags: string | string[]; limits?: object }[];
  vhosts?: { name: string; description?: string; tags?: string[]; metadata?: { description?: string; tags?: string[] } }[];
  permissions?: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions?: { user: string; vhost: string; exchange: string; write: string; read: string }[];
  exchanges?: { name: string; vhost: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: FieldTable }[];
  queues?: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: FieldTable; type?: string }[];
  bindings?: { source: string; vhost: string; destination: string; destination_type: 'queue' | 'exchange'; routing_key: string; arguments: FieldTable }[];
  policies?: { vhost: string; name: string; pattern: string; 'apply-to'?: string; definition: Record<string, unknown>; priority?: number }[];
  parameters?: { vhost: string; component: string; name: string; value: unknown }[];
  global_parameters?: { name: string; value: unknown }[];
  [k: string]: unknown;
}

export class DefinitionsError extends Error {}

const tagList = (t: string | string[] | undefined): string[] =>
  Array.isArray(t) ? t : typeof t === 'string' && t !== '' ? t.split(',').map((s) => s.trim()).filter(Boolean) : [];

/** Validates everything first, then applies; a bad file changes nothing. */
export function importDefinitions(broker: Broker, defs: Definitions): void {
  if (typeof defs !== 'object' || defs === null) throw new DefinitionsError('definitions must be a JSON object');
  const cmds: Command[] = [];
  const vhostsAfter = new Set(broker.vhosts.keys());
  for (const v of defs.vhosts ?? []) {
    if (typeof v?.name !== 'string') throw new DefinitionsError('vhost without a name');
    vhostsAfter.add(v.name);
  }
  const needVhost = (vh: string, what: string) => {
    if (!vhostsAfter.has(vh)) throw new DefinitionsError(`${what} refers to vhost '${vh}', which does not exist`);
  };
  for (const u of defs.users ?? []) {
    if (typeof u?.name !== 'string' || typeof u.password_hash !== 'string') throw new DefinitionsError('user without name or password_hash');
    const limits = limitsOf(u.limits);
    cmds.push({ type: 'user.put', def: { name: u.name, passwordHash: u.password_hash, hashingAlgorithm: u.hashing_algorithm ?? HASHING_SHA256,
      tags: tagList(u.tags), ...(limits ? { limits } : {}) } });
  }
  for (const p of defs.permissions ?? []) {
    needVhost(p.vhost, `permission for user '${p.user}'`);
    cmds.push({ type: 'permission.set', def: { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read } });
  }
  for (const p of defs.topic_permissions ?? []) {
    needVhost(p.vhost, `topic permission for user '${p.user}'`);
    if (typeof p.exchange !== 'string') throw new DefinitionsError(`topic permission for user '${p.user}' names no exchange`);
    cmds.push({ type: 'topic-permission.set', def: { user: p.user, vhost: p.vhost, exchange: p.exchange, write: p.write ?? '', read: p.read ?? '' } });
  }
  for (const e of defs.exchanges ?? []) {
    needVhost(e.vhost, `exchange '${e.name}'`);
    if (!exchangeType(e.type)) throw new DefinitionsError(`exchange '${e.name}' has unknown type '${e.type}'`);
    cmds.push({ type: 'exchange.declare', def: { vhost: e.vhost, name: e.name, type: e.type, durable: e.durable !== false,
      autoDelete: e.auto_delete === true, internal: e.internal === true, args: e.arguments ?? {} } });
  }
  for (const q of defs.queues ?? []) {
    needVhost(q.vhost, `queue '${q.name}'`);
    cmds.push({ type: 'queue.declare', def: { vhost: q.vhost, name: q.name, type: 'classic', durable: q.durable !== false,
      autoDelete: q.auto_delete === true, owner: undefined, args: q.arguments ?? {} } });
  }
  for (const b of defs.bindings ?? []) {
    needVhost(b.vhost, `binding from '${b.source}'`);
    cmds.push({ type: 'binding.add', def: { vhost: b.vhost, source: b.source, destination: b.destination,
      destinationKind: b.destination_type === 'exchange' ? 'exchange' : 'queue', routingKey: b.routing_key ?? '', args: b.arguments ?? {} } });
  }
  settingsCommands(defs, needVhost, cmds);
  for (const v of defs.vhosts ?? []) {
    if (!broker.vhosts.has(v.name)) broker.addVhost(v.name, v.metadata?.description ?? v.description ?? '');
    // Tags, as RabbitMQ 3.11+ exports them (3.10 exports the name only).
    const tags = tagList(v.metadata?.tags ?? v.tags);
    const def = broker.meta.vhosts.get(v.name)?.def;
    if (def && tags.length) broker.execute({ type: 'vhost.update', def: { ...def, tags } });
  }
  for (const c of cmds) broker.execute(c);
}

function limitsOf(v: unknown): Record<string, number> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number') out[k] = x;
  return Object.keys(out).length ? out : undefined;
}

/** Policies, runtime parameters (vhost-limits among them, as RabbitMQ exports them) and global parameters. */
function settingsCommands(defs: Definitions, needVhost: (vh: string, what: string) => void, cmds: Command[]): void {
  for (const p of defs.policies ?? []) {
    needVhost(p.vhost, `policy '${p.name}'`);
    if (typeof p.pattern !== 'string' || typeof p.definition !== 'object') throw new DefinitionsError(`policy '${p.name}' needs a pattern and a definition`);
    cmds.push({ type: 'policy.set', def: { vhost: p.vhost, name: p.name, pattern: p.pattern, applyTo: p['apply-to'] ?? 'all',
      priority: p.priority ?? 0, definition: p.definition } });
  }
  for (const p of defs.parameters ?? []) {
    needVhost(p.vhost, `parameter '${p.name}'`);
    if (p.component === 'vhost-limits') cmds.push({ type: 'vhost.limits', vhost: p.vhost, limits: limitsOf(p.value) ?? {} });
    else if (p.component === 'operator_policy') {
      // RabbitMQ exports operator policies as runtime parameters of this component.
      const v = (p.value ?? {}) as { pattern?: string; definition?: Record<string, unknown>; priority?: number; 'apply-to'?: string };
      if (typeof v.pattern !== 'string' || typeof v.definition !== 'object') throw new DefinitionsError(`operator policy '${p.name}' needs a pattern and a definition`);
      cmds.push({ type: 'operator-policy.set', def: { vhost: p.vhost, name: p.name, pattern: v.pattern, applyTo: v['apply-to'] ?? 'all',
        priority: v.priority ?? 0, definition: v.definition } });
    } else cmds.push({ type: 'parameter.set', def: { vhost: p.vhost, component: p.component, name: p.name, value: p.value } });
  }
  for (const g of defs.global_parameters ?? []) cmds.push({ type: 'global-parameter.set', def: { name: g.name, value: g.value } });
}

export function exportDefinitions(broker: Broker, version: string): Definitions {
  const m = broker.meta;
  const vhosts = [...m.vhosts.values()];
  return {
    rabbit_version: version, rabbitmq_version: version, product_name: 'Warren', product_version: version,
    users: [...m.users.values()].map((u) => ({ name: u.name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm, tags: u.tags, limits: u.limits ?? {} })),
    vhosts: vhosts.map((v) => ({ name: v.def.name, description: v.def.description, tags: v.def.tags, metadata: { description: v.def.description, tags: v.def.tags } })),
    permissions: [...m.permissions.values()].map((p) => ({ ...p })),
    topic_permissions: [...m.topicPermissions?.values() ?? []].map((p) => ({ ...p })),
    parameters: vhosts.flatMap((v) => [
      ...[...v.operatorPolicies.values()].map((p) => ({ vhost: p.vhost, component: 'operator_policy', name: p.name,
        value: { pattern: p.pattern, definition: p.definition, priority: p.priority, 'apply-to': p.applyTo } })),
      ...[...v.parameters.values()].map((p) => ({ vhost: p.vhost, component: p.component, name: p.name, value: p.value })),
      ...(Object.keys(v.limits).length ? [{ vhost: v.def.name, component: 'vhost-limits', name: 'limits', value: v.limits }] : []),
    ]),
    global_parameters: [...m.globalParameters.values()].map((g) => ({ name: g.name, value: g.value })),
    policies: vhosts.flatMap((v) => [...v.policies.values()].map((p) => ({
      vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: p.definition, priority: p.priority }))),
    queues: vhosts.flatMap((v) => [...v.queues.values()].filter((q) => q.durable && !q.owner).map((q) => ({
      name: q.name, vhost: q.vhost, durable: q.durable, auto_delete: q.autoDelete, arguments: q.args, type: q.type }))),
    exchanges: vhosts.flatMap((v) => [...v.exchanges.values()].filter((e) => e.durable && e.name !== '' && !e.name.startsWith('amq.')).map((e) => ({
      name: e.name, vhost: e.vhost, type: e.type, durable: e.durable, auto_delete: e.autoDelete, internal: e.internal, arguments: e.args }))),
    bindings: vhosts.flatMap((v) => [...v.bindings.values()].map((b) => ({
      source: b.source, vhost: b.vhost, destination: b.destination, destination_type: b.destinationKind, routing_key: b.routingKey, arguments: b.args }))),
  };
}
