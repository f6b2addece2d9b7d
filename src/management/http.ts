// HTTP plumbing of the management API, shaped as RabbitMQ's rabbit_mgmt_util: errors as JSON {error, reason}
// with its status codes, JSON bodies (decoded as rabbit_json would), booleans and integers as it parses them,
// AMQP tables to and from JSON, and the URL quoting of binding property keys.
import { ChannelError, ConnectionError, ReplyCode, replyText } from '../amqp/errors.js';
import { Typed, type FieldTable, type FieldValue } from '../amqp/table.js';

/** An error that ends a request: status, RabbitMQ's error type, and a reason (string, or a list for tuples). */
export class HttpError extends Error {
  constructor(readonly status: number, readonly error: string, readonly reason: unknown,
    readonly headers: Record<string, string> = {}) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason));
  }
}

export const badRequest = (reason: unknown) => new HttpError(400, 'bad_request', reason);
export const notFound = (reason: unknown = 'Not Found', error = 'Object Not Found') => new HttpError(404, error, reason);
export const notAuthorised = (reason: string) => new HttpError(401, 'not_authorised', reason);

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-cache' };

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** 201 for a created resource, 204 when it existed (cowboy_rest's PUT answers). */
export const putResponse = (created: boolean) => new Response(null, { status: created ? 201 : 204 });
export const noContent = () => new Response(null, { status: 204 });

export function errorResponse(e: HttpError): Response {
  if (e.reason === undefined) return new Response(null, { status: e.status, headers: e.headers });
  return jsonResponse({ error: e.error, reason: e.reason }, e.status, e.headers);
}

/** A JSON request body as RabbitMQ decodes it: empty, "null" and "undefined" are {}; anything but an object is 400. */
export function decodeBody(text: string): Record<string, unknown> {
  const t = text.trim();
  if (t === '' || t === 'null' || t === 'undefined') return {};
  let v: unknown;
  try { v = JSON.parse(t); } catch { throw badRequest('not_json'); }
  if (typeof v === 'string') throw badRequest('invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('not_json');
  return v as Record<string, unknown>;
}

/** rabbit_mgmt_util:with_decode's key check: "[{key_missing,read}]" for the first missing key. */
export function requireKeys(body: Record<string, unknown>, keys: string[]): void {
  const missing = keys.filter((k) => body[k] === undefined || body[k] === null);
  if (missing.length) throw badRequest(`[${missing.map((k) => `{key_missing,${k}}`).join(',')}]`);
}

/** rabbit_misc:parse_bool: true/false or their strings; undefined stays undefined. */
export function parseBool(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badRequest(['not_boolean', v]);
}

/** rabbit_misc:parse_int: integers, floats truncated, decimal strings. */
export function parseInteger(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v)) return Number(v);
  throw badRequest(['not_integer', v]);
}

/** Comma-separated or a list, as rabbit_vhost and rabbit_auth_backend_internal accept tags. */
export function parseTags(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).map((t) => t.trim()).filter(Boolean);
  if (typeof v === 'string') return v.split(',').map((t) => t.trim()).filter(Boolean);
  return [];
}

/** An Erlang-ish rendering of a JSON value, for RabbitMQ's validation messages (<<"x">> for strings). */
export function erlTerm(v: unknown): string {
  if (typeof v === 'string') return `<<${JSON.stringify(v)}>>`;
  if (Array.isArray(v)) return `[${v.map(erlTerm).join(',')}]`;
  if (v !== null && typeof v === 'object') return `#{${Object.entries(v).map(([k, x]) => `<<${JSON.stringify(k)}>> => ${erlTerm(x)}`).join(',')}}`;
  return String(v);
}

/** JSON to an AMQP table as rabbit_misc:to_amqp_table: integers as longs, other numbers as doubles. */
export function toFieldTable(v: unknown): FieldTable {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(['unhandled_type', v]);
  const out: FieldTable = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toFieldValue(x);
  return out;
}

function toFieldValue(x: unknown): FieldValue {
  if (x === null) throw badRequest('null_not_allowed');
  if (Array.isArray(x)) return x.map(toFieldValue);
  switch (typeof x) {
    // Numbers go out as the table writer picks: integers as I/l, others as d (RabbitMQ: long or double).
    case 'string': case 'boolean': case 'number': return x;
    case 'object': return toFieldTable(x);
    default: throw badRequest(['unhandled_type', String(x)]);
  }
}

/** An AMQP table as JSON, as rabbit_misc:amqp_table: binary that is not UTF-8 is shown as base64. */
export function tableToJson(t: FieldTable | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!t) return out;
  for (const [k, v] of Object.entries(t)) out[k] = valueToJson(v);
  return out;
}

function valueToJson(v: FieldValue): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return utf8Safe(v);
  if (v instanceof Typed) return v.toJSON();
  if (Array.isArray(v)) return v.map(valueToJson);
  return tableToJson(v);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A payload or byte string as text when it is valid UTF-8 (RabbitMQ's utf8_safe), else undefined. */
export function utf8OrUndefined(b: Buffer): string | undefined {
  try { return strictUtf8.decode(b); } catch { return undefined; }
}

function utf8Safe(b: Buffer): string {
  const s = utf8OrUndefined(b);
  if (s !== undefined) return s;
  const enc = b.toString('base64').replace(/.{76}/g, '$&\n');
  return `Not UTF-8, base64 is: ${enc}`;
}

/** mochiweb's quote_plus: letters, digits and . - ~ _ kept, space as +, the rest %XX. */
export function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-~_]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The inverse of quotePlus (+ is a space). */
export function unquotePlus(s: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; }
}

/**
 * Protocol errors from the broker operations as RabbitMQ's management answers them. 'direct' is its
 * direct_request (declare, delete, bind): 404 not_found, 401 "Access refused.", else 400 with the text.
 * 'channel' is its with_channel (get): the reply text with the code's name, and 400 "CODE TEXT"; 'publish' is
 * always 400 "CODE TEXT".
 */
export function amqpError(e: unknown, style: 'direct' | 'channel' | 'publish'): unknown {
  if (!(e instanceof ChannelError) && !(e instanceof ConnectionError)) return e;
  const text = style === 'direct' ? e.message : replyText(e.code, e.message);
  // A publish learns of errors from its channel closing: every one is a 400 (rabbit_mgmt_wm_exchange_publish).
  if (style === 'publish') return badRequest(`${e.code} ${text}`);
  if (e.code === ReplyCode.NotFound) return new HttpError(404, 'not_found', text);
  if (e.code === ReplyCode.AccessRefused || e.code === ReplyCode.NotAllowed) {
    return notAuthorised(style === 'direct' ? 'Access refused.' : text);
  }
  return badRequest(style === 'direct' ? text : `${e.code} ${text}`);
}
