// Test support for the management API: a small fetch client (basic auth, JSON in and out), users made through
// the API itself (so the same test runs against Warren and RabbitMQ's management plugin), and shape checks that
// compare key sets and value types rather than values that differ between brokers.
import assert from 'node:assert/strict';
import type { TestBroker } from './broker.js';
import { eventually } from './amqp.js';

export interface ApiResponse<T = unknown> { status: number; headers: Headers; text: string; json: T }

export type Json = Record<string, unknown>;

export interface Api {
  base: string;
  req<T = unknown>(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = unknown>(path: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
  put(path: string, body?: unknown, opts?: RequestOptions): Promise<ApiResponse>;
  post<T = unknown>(path: string, body?: unknown, opts?: RequestOptions): Promise<ApiResponse<T>>;
  del(path: string, opts?: RequestOptions): Promise<ApiResponse>;
  as(user: string, password: string): Api;
}

export interface RequestOptions { headers?: Record<string, string>; auth?: string | null; raw?: string }

/** A client for `${mgmtUrl}/api` logged in as user/password (guest/guest by default). */
export function api(broker: TestBroker, user = 'guest', password = 'guest'): Api {
  const base = `${broker.mgmtUrl}/api`;
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const req = async <T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth !== null) headers.authorization = opts.auth ?? auth;
    let payload: string | undefined = opts.raw;
    if (body !== undefined) { payload = JSON.stringify(body); headers['content-type'] = 'application/json'; }
    else if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const r = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await r.text();
    let json: unknown;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: r.status, headers: r.headers, text, json: json as T };
  };
  const self: Api = {
    base, req,
    get: (p, o) => req('GET', p, undefined, o),
    put: (p, b, o) => req('PUT', p, b ?? {}, o),
    post: (p, b, o) => req('POST', p, b ?? {}, o),
    del: (p, o) => req('DELETE', p, undefined, o),
    as: (u, pw) => api(broker, u, pw),
  };
  return self;
}

/** Path segment encoding as RabbitMQ expects it ("/" as %2F). */
export const enc = encodeURIComponent;

/** Creates a user with tags and, optionally, full permissions on `/`; returns a cleanup function. */
export async function makeUser(a: Api, name: string, tags: string, perms?: [string, string, string], vhost = '/'): Promise<() => Promise<void>> {
  assert.ok([201, 204].includes((await a.put(`/users/${enc(name)}`, { password: 'pw', tags })).status));
  if (perms) {
    const r = await a.put(`/permissions/${enc(vhost)}/${enc(name)}`, { configure: perms[0], write: perms[1], read: perms[2] });
    assert.ok([201, 204].includes(r.status), `permissions: ${r.status} ${r.text}`);
  }
  return async () => { await a.del(`/users/${enc(name)}`); };
}

type TypeName = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null' | 'string|null' | 'number|string' | 'object|null';

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Asserts the object has each key with a value of the given type (either of "a|b"). */
export function assertShape(obj: unknown, shape: Record<string, TypeName>, what = 'object'): void {
  assert.ok(obj !== null && typeof obj === 'object', `${what} is not an object: ${JSON.stringify(obj)}`);
  for (const [k, t] of Object.entries(shape)) {
    assert.ok(k in (obj as Json), `${what} lacks '${k}' (has ${Object.keys(obj as Json).sort().join(', ')})`);
    const actual = typeOf((obj as Json)[k]);
    assert.ok(t.split('|').includes(actual), `${what}.${k} is ${actual}, expected ${t}`);
  }
}

/** A `{rate: number}` details object for each key, as RabbitMQ's basic rates mode gives. */
export function assertRates(obj: Json, keys: string[], what = 'object'): void {
  for (const k of keys) {
    assertShape(obj, { [k]: 'number', [`${k}_details`]: 'object' }, what);
    assertShape(obj[`${k}_details`], { rate: 'number' }, `${what}.${k}_details`);
  }
}

/** Polls GET path until check(json) is truthy (RabbitMQ reports stats every 5 s, so allow some time). */
export async function waitFor<T>(a: Api, path: string, check: (j: T) => unknown, timeoutMs = 15_000): Promise<T> {
  let last: T | undefined;
  try {
    return await eventually(async () => {
      const r = await a.get<T>(path);
      last = r.json;
      return r.status === 200 && check(r.json) ? r.json : undefined;
    }, timeoutMs, 200) as T;
  } catch {
    assert.fail(`GET ${path} never satisfied the check; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
  }
}

/** Environment for a Warren started by a management test: statistics sampled often so rates show quickly. */
export const MGMT_TEST_ENV = { WARREN_STATS_INTERVAL_MS: '200' };
