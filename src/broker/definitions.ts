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
  exchanges?: { name: string; vhost: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: FieldTable }[];
  queues?: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: FieldTable; type?: string }[];
  bindings?: { source: string; vhost: string; destination: string; destination_type: 'queue' | 'exchange'; routing_key: string; arguments: FieldTable }[];
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
    cmds.push({ type: 'user.put', def: { name: u.name, passwordHash: u.password_hash, hashingAlgorithm: u.hashing_algorithm ?? HASHING_SHA256, tags: tagList(u.tags) } });
  }
  for (const p of defs.permissions ?? []) {
    needVhost(p.vhost, `permission for user '${p.user}'`);
    cmds.push({ type: 'permission.set', def: { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read } });
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
  for (const v of defs.vhosts ?? []) {
    if (!broker.vhosts.has(v.name)) broker.addVhost(v.name, v.metadata?.description ?? v.description ?? '');
  }
  for (const c of cmds) broker.execute(c);
}

export function exportDefinitions(broker: Broker, version: string): Definitions {
  const m = broker.meta;
  const vhosts = [...m.vhosts.values()];
  return {
    rabbit_version: version, rabbitmq_version: version, product_name: 'Warren', product_version: version,
    users: [...m.users.values()].map((u) => ({ name: u.name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm, tags: u.tags, limits: {} })),
    vhosts: vhosts.map((v) => ({ name: v.def.name, description: v.def.description, tags: v.def.tags, metadata: { description: v.def.description, tags: v.def.tags } })),
    permissions: [...m.permissions.values()].map((p) => ({ ...p })),
    topic_permissions: [], parameters: [], global_parameters: [], policies: [],
    queues: vhosts.flatMap((v) => [...v.queues.values()].filter((q) => q.durable && !q.owner).map((q) => ({
      name: q.name, vhost: q.vhost, durable: q.durable, auto_delete: q.autoDelete, arguments: q.args, type: q.type }))),
    exchanges: vhosts.flatMap((v) => [...v.exchanges.values()].filter((e) => e.durable && e.name !== '' && !e.name.startsWith('amq.')).map((e) => ({
      name: e.name, vhost: e.vhost, type: e.type, durable: e.durable, auto_delete: e.autoDelete, internal: e.internal, arguments: e.args }))),
    bindings: vhosts.flatMap((v) => [...v.bindings.values()].map((b) => ({
      source: b.source, vhost: b.vhost, destination: b.destination, destination_type: b.destinationKind, routing_key: b.routingKey, arguments: b.args }))),
  };
}
