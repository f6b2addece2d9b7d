// Policies as RabbitMQ applies them: at most one policy (the highest priority whose pattern and apply-to fit)
// and one operator policy per queue or exchange; merged with the entity's own arguments by effective():
// numeric keys take the lowest of argument, policy and operator policy; other keys prefer the argument.
import type { FieldTable } from '../amqp/table.js';
import type { PolicyDef } from './metadata.js';

type Json = Record<string, unknown>;

/** RabbitMQ's rabbit_policy:match: the highest-priority policy whose pattern and apply-to fit. */
export function matchPolicy(policies: Iterable<PolicyDef>, name: string, kind: 'queue' | 'exchange', queueType = 'classic'): PolicyDef | undefined {
  let best: PolicyDef | undefined;
  for (const p of policies) {
    const applies = p.applyTo === 'all' || (kind === 'exchange' ? p.applyTo === 'exchanges'
      : p.applyTo === 'queues' || p.applyTo === `${queueType}_queues` || (queueType === 'stream' && p.applyTo === 'streams'));
    if (!applies) continue;
    let re: RegExp;
    try { re = new RegExp(p.pattern); } catch { continue; }
    if (re.test(name) && (!best || p.priority > best.priority)) best = p;
  }
  return best;
}

/** Policy and operator policy merged as RabbitMQ does: for numeric keys in both, the lower value wins. */
export function effectiveDefinition(policy: PolicyDef | undefined, op: PolicyDef | undefined): Json {
  const out: Json = { ...(policy?.definition ?? {}) };
  for (const [k, v] of Object.entries(op?.definition ?? {})) {
    const cur = out[k];
    out[k] = typeof cur === 'number' && typeof v === 'number' ? Math.min(cur, v) : v;
  }
  return out;
}


/** Policy keys that are numeric limits: the lowest value wins across argument, policy and operator policy. */
const NUMERIC = new Set(['message-ttl', 'expires', 'max-length', 'max-length-bytes', 'delivery-limit']);

/**
 * The value in effect for a policy key (e.g. 'message-ttl') of an entity with x-arguments `args`
 * (argument 'x-message-ttl'), given the merged policy definition.
 */
export function effective(args: FieldTable, def: Json, key: string, argKey = `x-${key}`): unknown {
  const a = args[argKey], p = def[key];
  if (NUMERIC.has(key)) {
    if (typeof a === 'number' && typeof p === 'number') return Math.min(a, p);
    return typeof a === 'number' ? a : typeof p === 'number' ? p : undefined;
  }
  return a !== undefined ? a : p;
}
