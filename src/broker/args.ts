// Validation of queue and exchange x-arguments with RabbitMQ 3.10's reply codes, and the equivalence check
// for redeclaration ("inequivalent arg ..."). Texts follow rabbit_amqqueue / rabbit_exchange.
import { ChannelError, ReplyCode } from '../amqp/errors.js';
import { Typed, type FieldTable, type FieldValue } from '../amqp/table.js';
import { canonical } from './metadata.js';

export function typeName(v: FieldValue | undefined): string {
  if (v === undefined) return 'none';
  if (v === null) return 'void';
  if (typeof v === 'string') return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? (v >= -0x8000_0000 && v <= 0x7fff_ffff ? 'signedint' : 'long') : 'double';
  if (typeof v === 'bigint') return 'long';
  if (Buffer.isBuffer(v)) return 'binary';
  if (v instanceof Typed) return ({ f: 'float', D: 'decimal', T: 'timestamp', l: 'long' } as Record<string, string>)[v.type] ?? 'long';
  if (Array.isArray(v)) return 'array';
  return 'table';
}

function show(v: FieldValue | undefined): string {
  if (typeof v === 'string') return v;
  if (v instanceof Typed) return String(v.value);
  return canonical(v);
}

const isInt = (v: FieldValue | undefined): v is number => typeof v === 'number' && Number.isInteger(v);

function invalid(q: string, vhost: string, key: string, why: string): never {
  throw new ChannelError(ReplyCode.PreconditionFailed, `invalid arg '${key}' for queue '${q}' in vhost '${vhost}': ${why}`);
}

const QUEUE_TYPES = new Set(['classic']);

/** Validates queue arguments as RabbitMQ 3.10 does for classic queues. */
export function validateQueueArgs(q: string, vhost: string, args: FieldTable): void {
  const check = (key: string, fn: (v: FieldValue) => string | undefined) => {
    const v = args[key];
    if (v === undefined) return;
    const why = fn(v);
    if (why) invalid(q, vhost, key, why);
  };
  const nonNeg = (v: FieldValue) => !isInt(v) ? `{unacceptable_type,${typeName(v)}}` : v < 0 ? `{value_negative,${v}}` : undefined;
  const positive = (v: FieldValue) => !isInt(v) ? `{unacceptable_type,${typeName(v)}}` : v === 0 ? '{value_zero,0}' : v < 0 ? `{value_negative,${v}}` : undefined;
  check('x-expires', positive);
  check('x-message-ttl', nonNeg);
  check('x-max-length', nonNeg);
  check('x-max-length-bytes', nonNeg);
  check('x-max-priority', (v) => !isInt(v) ? `{unacceptable_type,${typeName(v)}}` : v < 0 ? `{value_negative,${v}}` : v > 255 ? `{value_too_big,${v}}` : undefined);
  check('x-overflow', (v) => typeof v === 'string' && ['drop-head', 'reject-publish', 'reject-publish-dlx'].includes(v) ? undefined : `{unacceptable_value,${show(v)}}`);
  check('x-queue-mode', (v) => typeof v === 'string' && ['default', 'lazy'].includes(v) ? undefined : `{unacceptable_value,${show(v)}}`);
  check('x-single-active-consumer', (v) => typeof v === 'boolean' ? undefined : `{unacceptable_type,${typeName(v)}}`);
  check('x-dead-letter-exchange', (v) => typeof v === 'string' ? undefined : `{unacceptable_type,${typeName(v)}}`);
  check('x-dead-letter-routing-key', (v) => typeof v !== 'string' ? `{unacceptable_type,${typeName(v)}}`
    : args['x-dead-letter-exchange'] === undefined ? 'routing_key_but_no_dlx_defined' : undefined);
  const qt = args['x-queue-type'];
  if (qt !== undefined && !(typeof qt === 'string' && QUEUE_TYPES.has(qt))) {
    if (qt === 'quorum' || qt === 'stream') {
      throw new ChannelError(ReplyCode.PreconditionFailed, `queue type '${qt}' is not supported by this node yet (queue '${q}' in vhost '${vhost}')`);
    }
    invalid(q, vhost, 'x-queue-type', `{unacceptable_value,${show(qt)}}`);
  }
}

/** The x-arguments RabbitMQ compares when a queue is redeclared. */
const QUEUE_EQUIV_KEYS = ['x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-expires', 'x-max-length',
  'x-max-length-bytes', 'x-max-priority', 'x-message-ttl', 'x-overflow', 'x-queue-mode', 'x-queue-type',
  'x-single-active-consumer', 'x-queue-master-locator'];

function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (isInt(a) && isInt(b)) return a === b; // integer widths are interchangeable, as in RabbitMQ
  return canonical(a) === canonical(b);
}

export function inequivalent(kind: 'queue' | 'exchange', name: string, vhost: string, key: string, received: string, current: string): never {
  throw new ChannelError(ReplyCode.PreconditionFailed,
    `inequivalent arg '${key}' for ${kind} '${name}' in vhost '${vhost}': received ${received} but current is ${current}`);
}

function describe(v: FieldValue | undefined): string {
  return v === undefined ? 'none' : `the value '${show(v)}' of type '${typeName(v)}'`;
}

export function assertQueueArgsEquivalent(q: string, vhost: string, current: FieldTable, received: FieldTable): void {
  for (const k of QUEUE_EQUIV_KEYS) {
    const a = received[k], b = current[k];
    if (k === 'x-queue-type' && (a === undefined || b === undefined)) continue;
    if (!sameValue(a, b)) inequivalent('queue', q, vhost, k, describe(a), describe(b));
  }
}

export function assertExchangeArgsEquivalent(x: string, vhost: string, current: FieldTable, received: FieldTable): void {
  for (const k of ['alternate-exchange']) {
    const a = received[k], b = current[k];
    if (!sameValue(a, b)) inequivalent('exchange', x, vhost, k, describe(a), describe(b));
  }
}
