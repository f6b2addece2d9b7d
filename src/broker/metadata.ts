// Broker metadata as a state machine: every change to vhosts, users, permissions, exchanges, queues and
// bindings is a plain serialisable Command applied by the deterministic apply(). On one node commands go to a
// local log (issue 3); in a cluster the same commands go through Raft. apply() validates nothing a caller
// must check first (permissions, equivalence); it is idempotent and returns the primitive changes it made,
// cascades included (a deleted queue's bindings, an auto-delete exchange losing its last binding).
// Policies, operator policies, runtime parameters and limits are stored here; their effect is the vhost's.
import type { FieldTable } from '../amqp/table.js';
import { BindingMap } from './binding-map.js';

export interface VhostDef { name: string; description: string; tags: string[]; defaultQueueType?: string }
export interface UserDef {
  name: string; passwordHash: string; hashingAlgorithm: string; tags: string[];
  /** Per-user limits (max-connections, max-channels), as RabbitMQ's user-limits; absent = none. */
  limits?: Record<string, number>;
}
export interface PermissionDef { user: string; vhost: string; configure: string; write: string; read: string }
/** A topic permission (RabbitMQ 3.7+): write/read regexes on routing keys, per user, vhost and topic exchange. */
export interface TopicPermissionDef { user: string; vhost: string; exchange: string; write: string; read: string }
export interface ExchangeDef {
  vhost: string; name: string; type: string; durable: boolean; autoDelete: boolean; internal: boolean; args: FieldTable;
}
export interface QueueDef {
  vhost: string; name: string; type: string; durable: boolean; autoDelete: boolean;
  /** Owning connection of an exclusive queue ("node/connection-id"), or undefined. */
  owner: string | undefined;
  args: FieldTable;
}
export type DestinationKind = 'queue' | 'exchange';
export interface BindingDef {
  vhost: string; source: string; destination: string; destinationKind: DestinationKind; routingKey: string; args: FieldTable;
}

/** A policy or operator policy, as RabbitMQ's (apply-to: queues, exchanges, all, classic_queues, ...). */
export interface PolicyDef {
  vhost: string; name: string; pattern: string; applyTo: string; priority: number; definition: Record<string, unknown>;
}
/** A vhost-scoped runtime parameter (federation-upstream, shovel, ...); value is the component's JSON. */
export interface ParameterDef { vhost: string; component: string; name: string; value: unknown }
export interface GlobalParameterDef { name: string; value: unknown }

export type Command =
  | { type: 'vhost.add'; def: VhostDef }
  | { type: 'vhost.delete'; name: string }
  | { type: 'user.put'; def: UserDef }
  | { type: 'user.delete'; name: string }
  | { type: 'permission.set'; def: PermissionDef }
  | { type: 'permission.clear'; user: string; vhost: string }
  | { type: 'topic-permission.set'; def: TopicPermissionDef }
  /** Without exchange: every topic permission of the user in the vhost. */
  | { type: 'topic-permission.clear'; user: string; vhost: string; exchange?: string }
  | { type: 'exchange.declare'; def: ExchangeDef }
  | { type: 'exchange.delete'; vhost: string; name: string }
  | { type: 'queue.declare'; def: QueueDef }
  | { type: 'queue.delete'; vhost: string; name: string }
  | { type: 'binding.add'; def: BindingDef }
  | { type: 'binding.remove'; def: BindingDef }
  /** Replaces description, tags and default queue type of an existing vhost. */
  | { type: 'vhost.update'; def: VhostDef }
  /** Replaces the vhost's limits (max-connections, max-queues); {} clears them. */
  | { type: 'vhost.limits'; vhost: string; limits: Record<string, number> }
  | { type: 'user.limits'; name: string; limits: Record<string, number> }
  | { type: 'policy.set'; def: PolicyDef }
  | { type: 'policy.clear'; vhost: string; name: string }
  | { type: 'operator-policy.set'; def: PolicyDef }
  | { type: 'operator-policy.clear'; vhost: string; name: string }
  | { type: 'parameter.set'; def: ParameterDef }
  | { type: 'parameter.clear'; vhost: string; component: string; name: string }
  | { type: 'global-parameter.set'; def: GlobalParameterDef }
  | { type: 'global-parameter.clear'; name: string };

export type Change =
  | { type: 'vhost.added'; def: VhostDef }
  | { type: 'vhost.removed'; name: string }
  | { type: 'exchange.added'; def: ExchangeDef }
  | { type: 'exchange.removed'; def: ExchangeDef }
  | { type: 'queue.added'; def: QueueDef }
  | { type: 'queue.removed'; def: QueueDef }
  | { type: 'binding.added'; def: BindingDef }
  | { type: 'binding.removed'; def: BindingDef }
  | { type: 'user.changed'; name: string }
  | { type: 'permission.changed'; user: string; vhost: string }
  | { type: 'vhost.changed'; name: string }
  | { type: 'vhost.limits.changed'; vhost: string }
  /** A policy (operator: false) or operator policy was set or cleared: effective settings may change. */
  | { type: 'policy.changed'; vhost: string; name: string; operator: boolean }
  | { type: 'parameter.changed'; vhost: string; component: string; name: string }
  | { type: 'global-parameter.changed'; name: string };

export interface VhostState {
  def: VhostDef;
  exchanges: Map<string, ExchangeDef>;
  queues: Map<string, QueueDef>;
  /** Keyed by bindingKey(), indexed by source and destination. */
  bindings: BindingMap;
  policies: Map<string, PolicyDef>;
  operatorPolicies: Map<string, PolicyDef>;
  /** Keyed by parameterKey(). */
  parameters: Map<string, ParameterDef>;
  limits: Record<string, number>;
}

export interface MetaState {
  vhosts: Map<string, VhostState>;
  users: Map<string, UserDef>;
  /** Keyed by `${user}\0${vhost}`. */
  permissions: Map<string, PermissionDef>;
  /** Keyed by `${user}\0${vhost}\0${exchange}`; optional so states built elsewhere need not name it. */
  topicPermissions?: Map<string, TopicPermissionDef>;
  globalParameters: Map<string, GlobalParameterDef>;
}

export function emptyState(): MetaState {
  return { vhosts: new Map(), users: new Map(), permissions: new Map(), topicPermissions: new Map(), globalParameters: new Map() };
}

/** Canonical JSON of a table: key order does not matter for binding identity. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(typeof v === 'bigint' ? v.toString() : v) ?? 'null';
  if (Buffer.isBuffer(v)) return `b64:${v.toString('base64')}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  if ('type' in o && 'value' in o && Object.keys(o).length === 2 && o.constructor.name === 'Typed') return `${o.type}:${canonical(o.value)}`;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export function bindingKey(b: BindingDef): string {
  return `${b.destinationKind}\0${b.source}\0${b.destination}\0${b.routingKey}\0${canonical(b.args)}`;
}

export const permissionKey = (user: string, vhost: string) => `${user}\0${vhost}`;
export const parameterKey = (component: string, name: string) => `${component}\0${name}`;

/** Applies a command; returns the primitive changes in the order they happened. */
export function apply(state: MetaState, cmd: Command): Change[] {
  const out: Change[] = [];
  switch (cmd.type) {
    case 'vhost.add': {
      if (state.vhosts.has(cmd.def.name)) break;
      state.vhosts.set(cmd.def.name, { def: cmd.def, exchanges: new Map(), queues: new Map(), bindings: new BindingMap(),
        policies: new Map(), operatorPolicies: new Map(), parameters: new Map(), limits: {} });
      out.push({ type: 'vhost.added', def: cmd.def });
      break;
    }
    case 'vhost.delete': {
      const vh = state.vhosts.get(cmd.name);
      if (!vh) break;
      for (const q of [...vh.queues.values()]) removeQueue(vh, q, out);
      for (const e of [...vh.exchanges.values()]) removeExchange(vh, e, out);
      state.vhosts.delete(cmd.name);
      for (const [k, p] of state.permissions) if (p.vhost === cmd.name) state.permissions.delete(k);
      for (const [k, p] of state.topicPermissions ?? []) if (p.vhost === cmd.name) state.topicPermissions!.delete(k);
      out.push({ type: 'vhost.removed', name: cmd.name });
      break;
    }
    case 'user.put': state.users.set(cmd.def.name, cmd.def); out.push({ type: 'user.changed', name: cmd.def.name }); break;
    case 'user.delete': {
      if (!state.users.delete(cmd.name)) break;
      for (const [k, p] of state.permissions) if (p.user === cmd.name) state.permissions.delete(k);
      for (const [k, p] of state.topicPermissions ?? []) if (p.user === cmd.name) state.topicPermissions!.delete(k);
      out.push({ type: 'user.changed', name: cmd.name });
      break;
    }
    case 'permission.set':
      state.permissions.set(permissionKey(cmd.def.user, cmd.def.vhost), cmd.def);
      out.push({ type: 'permission.changed', user: cmd.def.user, vhost: cmd.def.vhost });
      break;
    case 'permission.clear':
      if (state.permissions.delete(permissionKey(cmd.user, cmd.vhost))) out.push({ type: 'permission.changed', user: cmd.user, vhost: cmd.vhost });
      break;
    case 'topic-permission.set':
      (state.topicPermissions ??= new Map()).set(`${permissionKey(cmd.def.user, cmd.def.vhost)}\0${cmd.def.exchange}`, cmd.def);
      out.push({ type: 'permission.changed', user: cmd.def.user, vhost: cmd.def.vhost });
      break;
    case 'topic-permission.clear': {
      let n = 0;
      for (const [k, p] of state.topicPermissions ?? []) {
        if (p.user === cmd.user && p.vhost === cmd.vhost && (cmd.exchange === undefined || p.exchange === cmd.exchange)) { state.topicPermissions!.delete(k); n++; }
      }
      if (n) out.push({ type: 'permission.changed', user: cmd.user, vhost: cmd.vhost });
      break;
    }
    case 'exchange.declare': {
      const vh = state.vhosts.get(cmd.def.vhost);
      if (!vh || vh.exchanges.has(cmd.def.name)) break;
      vh.exchanges.set(cmd.def.name, cmd.def);
      out.push({ type: 'exchange.added', def: cmd.def });
      break;
    }
    case 'exchange.delete': {
      const vh = state.vhosts.get(cmd.vhost);
      const e = vh?.exchanges.get(cmd.name);
      if (vh && e) removeExchange(vh, e, out);
      break;
    }
    case 'queue.declare': {
      const vh = state.vhosts.get(cmd.def.vhost);
      if (!vh || vh.queues.has(cmd.def.name)) break;
      vh.queues.set(cmd.def.name, cmd.def);
      out.push({ type: 'queue.added', def: cmd.def });
      break;
    }
    case 'queue.delete': {
      const vh = state.vhosts.get(cmd.vhost);
      const q = vh?.queues.get(cmd.name);
      if (vh && q) removeQueue(vh, q, out);
      break;
    }
    case 'binding.add': {
      const vh = state.vhosts.get(cmd.def.vhost);
      if (!vh) break;
      const k = bindingKey(cmd.def);
      if (vh.bindings.has(k)) break;
      vh.bindings.set(k, cmd.def);
      out.push({ type: 'binding.added', def: cmd.def });
      break;
    }
    case 'binding.remove': {
      const vh = state.vhosts.get(cmd.def.vhost);
      if (!vh) break;
      const k = bindingKey(cmd.def);
      const b = vh.bindings.get(k);
      if (!b) break;
      removeBinding(vh, k, b, out);
      break;
    }
    default: applySettings(state, cmd, out);
  }
  return out;
}

/** Commands that change settings (vhost metadata, limits, policies, parameters); none cascades. */
function applySettings(state: MetaState, cmd: Command, out: Change[]): void {
  switch (cmd.type) {
    case 'vhost.update': {
      const vh = state.vhosts.get(cmd.def.name);
      if (!vh) break;
      vh.def = cmd.def;
      out.push({ type: 'vhost.changed', name: cmd.def.name });
      break;
    }
    case 'vhost.limits': {
      const vh = state.vhosts.get(cmd.vhost);
      if (!vh) break;
      vh.limits = { ...cmd.limits };
      out.push({ type: 'vhost.limits.changed', vhost: cmd.vhost });
      break;
    }
    case 'user.limits': {
      const u = state.users.get(cmd.name);
      if (!u) break;
      const limits = { ...cmd.limits };
      state.users.set(cmd.name, Object.keys(limits).length ? { ...u, limits } : withoutLimits(u));
      out.push({ type: 'user.changed', name: cmd.name });
      break;
    }
    case 'policy.set': case 'operator-policy.set': {
      const vh = state.vhosts.get(cmd.def.vhost);
      if (!vh) break;
      const operator = cmd.type === 'operator-policy.set';
      (operator ? vh.operatorPolicies : vh.policies).set(cmd.def.name, cmd.def);
      out.push({ type: 'policy.changed', vhost: cmd.def.vhost, name: cmd.def.name, operator });
      break;
    }
    case 'policy.clear': case 'operator-policy.clear': {
      const operator = cmd.type === 'operator-policy.clear';
      const vh = state.vhosts.get(cmd.vhost);
      if (vh && (operator ? vh.operatorPolicies : vh.policies).delete(cmd.name)) {
        out.push({ type: 'policy.changed', vhost: cmd.vhost, name: cmd.name, operator });
      }
      break;
    }
    case 'parameter.set': {
      const vh = state.vhosts.get(cmd.def.vhost);
      if (!vh) break;
      vh.parameters.set(parameterKey(cmd.def.component, cmd.def.name), cmd.def);
      out.push({ type: 'parameter.changed', vhost: cmd.def.vhost, component: cmd.def.component, name: cmd.def.name });
      break;
    }
    case 'parameter.clear': {
      if (state.vhosts.get(cmd.vhost)?.parameters.delete(parameterKey(cmd.component, cmd.name))) {
        out.push({ type: 'parameter.changed', vhost: cmd.vhost, component: cmd.component, name: cmd.name });
      }
      break;
    }
    case 'global-parameter.set':
      state.globalParameters.set(cmd.def.name, cmd.def);
      out.push({ type: 'global-parameter.changed', name: cmd.def.name });
      break;
    case 'global-parameter.clear':
      if (state.globalParameters.delete(cmd.name)) out.push({ type: 'global-parameter.changed', name: cmd.name });
      break;
    default: break;
  }
}

function withoutLimits(u: UserDef): UserDef {
  const { limits: _limits, ...rest } = u;
  return rest;
}

function removeBinding(vh: VhostState, key: string, b: BindingDef, out: Change[]): void {
  vh.bindings.delete(key);
  out.push({ type: 'binding.removed', def: b });
  // An auto-delete exchange goes when it loses its last binding as a source.
  const src = vh.exchanges.get(b.source);
  if (src?.autoDelete) {
    if (vh.bindings.fromSource(b.source).size > 0) return;
    removeExchange(vh, src, out);
  }
}

function removeQueue(vh: VhostState, q: QueueDef, out: Change[]): void {
  vh.queues.delete(q.name);
  for (const [k, b] of [...vh.bindings.toDestination('queue', q.name)]) if (vh.bindings.has(k)) removeBinding(vh, k, b, out);
  out.push({ type: 'queue.removed', def: q });
}

function removeExchange(vh: VhostState, e: ExchangeDef, out: Change[]): void {
  if (!vh.exchanges.has(e.name)) return;
  vh.exchanges.delete(e.name);
  for (const [k, b] of [...vh.bindings]) {
    if (b.source === e.name || (b.destinationKind === 'exchange' && b.destination === e.name)) {
      vh.bindings.delete(k);
      out.push({ type: 'binding.removed', def: b });
    }
  }
  out.push({ type: 'exchange.removed', def: e });
  // Exchanges that were bound to this one may now be auto-delete orphans.
  for (const other of [...vh.exchanges.values()]) {
    if (!other.autoDelete) continue;
    let has = false;
    for (const x of vh.bindings.values()) if (x.source === other.name) { has = true; break; }
    if (!has && out.some((c) => c.type === 'binding.removed' && c.def.source === other.name)) removeExchange(vh, other, out);
  }
}
