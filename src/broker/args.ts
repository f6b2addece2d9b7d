// Validation of queue and exchange x-arguments with RabbitMQ 3.10's reply codes and texts, and the equivalence
// checks for redeclaration ("inequivalent arg ..."). Texts follow rabbit_amqqueue and rabbit_misc.
import { ChannelError, ReplyCode } from '../amqp/errors.js';
import { Typed, WIRE_TAGS, type FieldTable, type FieldValue } from '../amqp/table.js';

/** The wire tag a decoded number arrived with, when it differs from the one JS would infer. */
function wireType(table: FieldTable, key: string): string | undefined {
  const tags = (table as { [WIRE_TAGS]?: Map<string | number, number> })[WIRE_TAGS];
  const t = tags?.get(key);
  return t === undefined ? undefined : String.fromCharCode(t);
}
import { canonical } from './metadata.js';

/** RabbitMQ's names for field types (rabbit_binary_parser), by wire tag. */
const TYPE_NAMES: Record<string, string> = {
  t: 'bool', b: 'byte', B: 'unsignedbyte', s: 'short', u: 'unsignedshort', I: 'signedint', i: 'unsignedint',
  l: 'long', f: 'float', d: 'double', D: 'decimal', S: 'longstr', A: 'array', T: 'timestamp', F: 'table',
  V: 'void', x: 'binary',
};

/** The RabbitMQ type name of a value: its wire type when it was decoded from the wire, else inferred. */
export function argType(table: FieldTable, key: string): string {
  const tag = wireType(table, key);
  if (tag) return TYPE_NAMES[tag] ?? tag;
  const v = table[key];
  if (v === undefined) return 'none';
  if (v === null) return 'void';
  if (typeof v === 'string') return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? (v >= -0x8000_0000 && v <= 0x7fff_ffff ? 'signedint' : 'long') : 'double';
  if (typeof v === 'bigint') return 'long';
  if (Buffer.isBuffer(v)) return 'binary';
  if (v instanceof Typed) return TYPE_NAMES[v.type] ?? v.type;
  if (Array.isArray(v)) return 'array';
  return 'table';
}

function show(v: FieldValue | undefined): string {
  if (typeof v === 'string') return v;
  if (v instanceof Typed) return String(typeof v.value === 'object' ? canonical(v.value) : v.value);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return canonical(v);
}

const isInt = (v: FieldValue | undefined): v is number => typeof v === 'number' && Number.isInteger(v);
const isIntType = (t: string) => ['byte', 'unsignedbyte', 'short', 'unsignedshort', 'signedint', 'unsignedint', 'long'].includes(t);

const QUEUE_TYPES = new Set(['classic']);
const STRING_ARGS = ['x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-overflow', 'x-queue-mode', 'x-queue-type'];

/** Validates queue arguments as RabbitMQ 3.10 does for classic queues. */
export function validateQueueArgs(q: string, vhost: string, args: FieldTable, durable = true): void {
  const invalid = (key: string, why: string): never => {
    throw new ChannelError(ReplyCode.PreconditionFailed, `invalid arg '${key}' for queue '${q}' in vhost '${vhost}': ${why}`);
  };
  for (const key of STRING_ARGS) {
    const v = args[key];
    if (v !== undefined && typeof v !== 'string') {
      throw new ChannelError(ReplyCode.PreconditionFailed, `invalid type '${argType(args, key)}' for arg '${key}' in queue '${q}' in vhost '${vhost}'`);
    }
  }
  const integer = (key: string, min: number, max = Infinity) => {
    const v = args[key];
    if (v === undefined) return;
    if (!isInt(v) || !isIntType(argType(args, key))) return invalid(key, `"expected integer, got ${argType(args, key)}"`);
    if (v === 0 && min === 1) invalid(key, '{value_zero,0}');
    if (v < 0) invalid(key, `{value_negative,${v}}`);
    if (v > max) invalid(key, `{max_value_exceeded,${v}}`);
  };
  integer('x-expires', 1);
  integer('x-message-ttl', 0);
  integer('x-max-length', 0);
  integer('x-max-length-bytes', 0);
  integer('x-max-priority', 0, 255);
  const overflow = args['x-overflow'];
  if (overflow !== undefined && !['drop-head', 'reject-publish', 'reject-publish-dlx'].includes(overflow as string)) invalid('x-overflow', 'invalid_overflow');
  const mode = args['x-queue-mode'];
  if (mode !== undefined && !['default', 'lazy'].includes(mode as string)) invalid('x-queue-mode', `"unsupported queue mode '${show(mode)}'"`);
  const version = args['x-queue-version'];
  if (version !== undefined && !(isInt(version) && (version === 1 || version === 2))) invalid('x-queue-version', `"unsupported queue version '${show(version)}'"`);
  const sac = args['x-single-active-consumer'];
  if (sac !== undefined && typeof sac !== 'boolean') invalid('x-single-active-consumer', `{unacceptable_type,${argType(args, 'x-single-active-consumer')}}`);
  if (args['x-dead-letter-routing-key'] !== undefined && args['x-dead-letter-exchange'] === undefined) {
    invalid('x-dead-letter-routing-key', 'routing_key_but_no_dlx_defined');
  }
  const qt = args['x-queue-type'];
  if (qt !== undefined && !QUEUE_TYPES.has(qt as string)) {
    if (qt === 'quorum' || qt === 'stream') {
      if (!durable) throw new ChannelError(ReplyCode.PreconditionFailed, `invalid property 'non-durable' for queue '${q}' in vhost '${vhost}'`);
      throw new ChannelError(ReplyCode.PreconditionFailed,
        `queue type '${qt}' is not supported by this Warren node yet (queue '${q}' in vhost '${vhost}')`);
    }
    invalid('x-queue-type', `"unsupported queue type '${show(qt)}'"`);
  }
}

export function inequivalent(kind: 'queue' | 'exchange', name: string, vhost: string, key: string, received: string, current: string): never {
  throw new ChannelError(ReplyCode.PreconditionFailed,
    `inequivalent arg '${key}' for ${kind} '${name}' in vhost '${vhost}': received ${received} but current is ${current}`);
}

/** rabbit_misc:assert_args_equivalence: integer types are compatible; texts as its val/1. */
function assertArgsEquivalent(kind: 'queue' | 'exchange', name: string, vhost: string, current: FieldTable, received: FieldTable, keys: string[]): void {
  for (const k of keys) {
    const a = received[k], b = current[k];
    if (a === undefined && b === undefined) continue;
    if (a !== undefined && b !== undefined) {
      const same = isInt(a) && isInt(b) && isIntType(argType(received, k)) && isIntType(argType(current, k))
        ? a === b : argType(received, k) === argType(current, k) && canonical(a) === canonical(b);
      if (same) continue;
      inequivalent(kind, name, vhost, k, `'${show(a)}'`, `'${show(b)}'`);
    }
    const typed = (t: FieldTable, v: FieldValue | undefined) => v === undefined ? 'none' : `the value '${show(v)}' of type '${argType(t, k)}'`;
    inequivalent(kind, name, vhost, k, typed(received, a), typed(current, b));
  }
}

/** The x-arguments RabbitMQ compares when a classic queue is redeclared. */
const QUEUE_EQUIV_KEYS = ['x-expires', 'x-message-ttl', 'x-dead-letter-exchange', 'x-dead-letter-routing-key',
  'x-max-length', 'x-max-length-bytes', 'x-max-priority', 'x-overflow', 'x-queue-mode', 'x-queue-version',
  'x-single-active-consumer', 'x-queue-master-locator'];

export function assertQueueArgsEquivalent(q: string, vhost: string, current: FieldTable, received: FieldTable): void {
  assertArgsEquivalent('queue', q, vhost, current, received, QUEUE_EQUIV_KEYS);
  // x-queue-type is compared only when both name one (a redeclare without it is fine).
  const a = received['x-queue-type'], b = current['x-queue-type'];
  if (a !== undefined && b !== undefined && a !== b) inequivalent('queue', q, vhost, 'x-queue-type', `'${show(a)}'`, `'${show(b)}'`);
}

export function assertExchangeArgsEquivalent(x: string, vhost: string, current: FieldTable, received: FieldTable): void {
  assertArgsEquivalent('exchange', x, vhost, current, received, ['alternate-exchange']);
}
