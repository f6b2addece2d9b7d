// The commands that rebuild a metadata state from nothing. Snapshots are stored this way, and a recovered
// state is loaded into a fresh broker this way, so both stay complete as metadata grows: a new kind of
// entity only needs its commands added here (the snapshot round-trip test fails until it is).
import type { Command, MetaState } from './metadata.js';

/** keep() decides, per vhost, which exchanges, queues and bindings are included (e.g. only durable ones). */
export interface StateFilter {
  exchange?(vhost: string, name: string): boolean;
  queue?(vhost: string, name: string): boolean;
  binding?(vhost: string, source: string, destination: string, kind: 'queue' | 'exchange'): boolean;
}

export function stateToCommands(s: MetaState, keep: StateFilter = {}): Command[] {
  const out: Command[] = [];
  for (const v of s.vhosts.values()) {
    const vh = v.def.name;
    out.push({ type: 'vhost.add', def: v.def });
    if (Object.keys(v.limits).length) out.push({ type: 'vhost.limits', vhost: vh, limits: v.limits });
    for (const e of v.exchanges.values()) if (keep.exchange?.(vh, e.name) ?? true) out.push({ type: 'exchange.declare', def: e });
    for (const q of v.queues.values()) if (keep.queue?.(vh, q.name) ?? true) out.push({ type: 'queue.declare', def: q });
    for (const b of v.bindings.values()) {
      if (keep.binding?.(vh, b.source, b.destination, b.destinationKind) ?? true) out.push({ type: 'binding.add', def: b });
    }
    for (const p of v.policies.values()) out.push({ type: 'policy.set', def: p });
    for (const p of v.operatorPolicies.values()) out.push({ type: 'operator-policy.set', def: p });
    for (const p of v.parameters.values()) out.push({ type: 'parameter.set', def: p });
  }
  for (const u of s.users.values()) {
    out.push({ type: 'user.put', def: u });
    const limits = (u as { limits?: Record<string, number> }).limits;
    if (limits && Object.keys(limits).length) out.push({ type: 'user.limits', name: u.name, limits });
  }
  for (const p of s.permissions.values()) out.push({ type: 'permission.set', def: p });
  for (const p of s.topicPermissions?.values() ?? []) out.push({ type: 'topic-permission.set', def: p });
  for (const g of s.globalParameters.values()) out.push({ type: 'global-parameter.set', def: g });
  return out;
}
