// Policy validation as RabbitMQ 3.10's rabbit_policy and rabbit_policies: priority, pattern, apply-to and each
// definition key with its validator and message. Operator policies accept only the limit keys. Pure; the
// effect of a policy on queues and exchanges belongs to the vhost, not here.
import type { PolicyDef } from '../broker/metadata.js';
import { badRequest, erlTerm } from './http.js';

type Check = (v: unknown, def: Record<string, unknown>) => string | undefined;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const str = (what: string): Check => (v) => (typeof v === 'string' ? undefined : `${erlTerm(v)} is not a valid ${what}`);
const int = (min: number, what: string): Check => (v) => (isInt(v) && v >= min ? undefined : `${erlTerm(v)} is not a valid ${what}`);
const oneOf = (values: unknown[], what: string): Check => (v) => (values.includes(v) ? undefined : `${erlTerm(v)} is not a valid ${what}`);

const haMode: Check = (v, def) => {
  if (v === 'all') return def['ha-params'] === undefined ? undefined : 'ha-mode="all" does not take parameters';
  if (v === 'exactly') return isInt(def['ha-params']) && def['ha-params'] > 0 ? undefined : 'ha-mode="exactly" requires ha-params to be a positive integer';
  if (v === 'nodes') {
    const p = def['ha-params'];
    return Array.isArray(p) && p.length > 0 && p.every((n) => typeof n === 'string') ? undefined : 'ha-mode="nodes" requires ha-params to be a non-empty list of node names';
  }
  return `${erlTerm(v)} is not a valid ha-mode value`;
};

/** Every policy key RabbitMQ 3.10 recognises (core, mirroring, federation, streams) with its validator. */
const POLICY_KEYS: Record<string, Check> = {
  'alternate-exchange': str('alternate exchange name'),
  'dead-letter-exchange': str('dead letter exchange name'),
  'dead-letter-routing-key': str('dead letter routing key'),
  'dead-letter-strategy': oneOf(['at-most-once', 'at-least-once'], 'dead letter strategy'),
  'message-ttl': int(0, 'message TTL'),
  expires: int(1, 'queue expiry'),
  'max-length': int(0, 'maximum length'),
  'max-length-bytes': int(0, 'maximum length in bytes'),
  'max-in-memory-length': int(0, 'maximum memory in bytes'),
  'max-in-memory-bytes': int(0, 'maximum memory in bytes'),
  'delivery-limit': int(0, 'delivery limit'),
  'queue-mode': oneOf(['default', 'lazy'], 'queue-mode value'),
  'queue-version': oneOf([1, 2], 'queue version'),
  overflow: oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx'], 'overflow value'),
  'queue-master-locator': oneOf(['min-masters', 'client-local', 'random'], 'queue-master-locator value'),
  'queue-leader-locator': oneOf(['client-local', 'balanced'], 'queue-leader-locator value'),
  'ha-mode': haMode,
  'ha-params': (_v, def) => (def['ha-mode'] === undefined ? 'ha-params require ha-mode' : undefined),
  'ha-sync-mode': oneOf(['automatic', 'manual'], 'ha-sync-mode value'),
  'ha-sync-batch-size': int(1, 'ha-sync-batch-size value'),
  'ha-promote-on-shutdown': oneOf(['when-synced', 'always'], 'ha-promote-on-shutdown value'),
  'ha-promote-on-failure': oneOf(['when-synced', 'always'], 'ha-promote-on-failure value'),
  'federation-upstream': str('federation upstream name'),
  'federation-upstream-set': str('federation upstream set name'),
  'max-age': str('max-age value'),
  'stream-max-segment-size-bytes': int(0, 'segment size'),
};

const OPERATOR_KEYS = ['expires', 'message-ttl', 'max-length', 'max-length-bytes', 'max-in-memory-length',
  'max-in-memory-bytes', 'delivery-limit'];

/** A PUT /api/policies (or operator-policies) body checked and turned into a PolicyDef. */
export function validatePolicy(vhost: string, name: string, b: Record<string, unknown>, operator: boolean): PolicyDef {
  // RabbitMQ's policy endpoint (not the operator-policy one) HTML-escapes < and > in these reasons.
  const fail = (msg: string): never => {
    const text = `Validation failed\n\n${msg}\n`;
    throw badRequest(operator ? text : text.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  };
  for (const k of ['pattern', 'definition']) if (b[k] === undefined || b[k] === null) throw badRequest(`[{key_missing,${k}}]`);
  const priority = b.priority ?? 0;
  if (typeof priority !== 'number') fail(`priority should be a number, actually was ${erlTerm(priority)}`);
  const pattern = String(b.pattern);
  try { new RegExp(pattern); } catch (e) { fail(`pattern should be regular expression but is invalid: {"${(e as Error).message}",1}`); }
  const applyTo = b['apply-to'] === undefined || b['apply-to'] === null ? 'all' : String(b['apply-to']);
  if (!['queues', 'exchanges', 'all'].includes(applyTo)) fail(`apply-to '${applyTo}' unrecognised; should be 'queues', 'exchanges' or 'all'`);
  const def = b.definition;
  if (typeof def !== 'object' || def === null || Array.isArray(def)) return fail(`${erlTerm(def)} is not a valid policy definition`);
  const entries = Object.entries(def as Record<string, unknown>);
  if (entries.length === 0) fail('no policy provided');
  const known = operator ? OPERATOR_KEYS : Object.keys(POLICY_KEYS);
  const unknown = entries.filter(([k]) => !known.includes(k));
  if (unknown.length) fail(`[${unknown.map(([k, v]) => `{${erlTerm(k)},${erlTerm(v)}}`).join(',')}] are not recognised policy settings`);
  for (const [k, v] of entries) {
    const err = POLICY_KEYS[k]!(v, def as Record<string, unknown>);
    if (err) fail(err);
  }
  return { vhost, name, pattern, applyTo, priority: priority as number, definition: def as Record<string, unknown> };
}

export function policyInfo(p: PolicyDef): Record<string, unknown> {
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: p.definition, priority: p.priority };
}
