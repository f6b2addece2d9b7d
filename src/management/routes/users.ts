// /api/users (list, without-permissions, bulk-delete, create/update with password or password_hash and tags,
// delete), /api/whoami, /api/permissions in every form, /api/user-limits (topic permissions: topic-permissions.ts).
import { hashPassword, HASHING_SHA256 } from '../../broker/auth.js';
import type { PermissionDef, UserDef } from '../../broker/metadata.js';
import { badRequest, erlTerm, jsonResponse, noContent, notFound, parseTags, putResponse, requireKeys } from '../http.js';
import type { Json } from '../info.js';
import { replyList } from '../list.js';
import type { Req, Router } from '../router.js';

export function userInfo(u: UserDef): Json {
  return { name: u.name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm, tags: u.tags, limits: u.limits ?? {} };
}

export function permissionInfo(p: PermissionDef): Json {
  return { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read };
}

function lookup(req: Req): UserDef {
  const u = req.broker.user(req.param('user'));
  if (!u) throw notFound();
  return u;
}

/** rabbit_auth_backend_internal:put_user: tags required; password or password_hash (not both); neither clears it. */
async function putUser(req: Req): Promise<Response> {
  const name = req.param('user');
  const b = await req.body();
  let tags: string[];
  if (b.tags !== undefined && b.tags !== null) tags = parseTags(b.tags);
  else if (b.administrator !== undefined) tags = b.administrator === true || b.administrator === 'true' ? ['administrator'] : [];
  else throw badRequest('tags_not_present');
  const hasPass = b.password !== undefined, hasHash = b.password_hash !== undefined;
  if (hasPass && hasHash) throw badRequest('both_password_and_password_hash_are_provided');
  const old = req.broker.user(name);
  let passwordHash = '', hashingAlgorithm = old?.hashingAlgorithm ?? HASHING_SHA256;
  if (hasPass) { passwordHash = hashPassword(String(b.password)); hashingAlgorithm = HASHING_SHA256; }
  if (hasHash) {
    passwordHash = String(b.password_hash);
    hashingAlgorithm = typeof b.hashing_algorithm === 'string' ? b.hashing_algorithm : HASHING_SHA256;
  }
  const limits = typeof b.limits === 'object' && b.limits !== null && !Array.isArray(b.limits) ? b.limits as Record<string, number> : old?.limits;
  const def: UserDef = { name, passwordHash, hashingAlgorithm, tags, ...(limits && Object.keys(limits).length ? { limits } : {}) };
  req.broker.execute({ type: 'user.put', def });
  return putResponse(!old);
}

function lookupPermission(req: Req): PermissionDef | undefined {
  const user = req.param('user'), vhost = req.param('vhost');
  return [...req.broker.meta.permissions.values()].find((p) => p.user === user && p.vhost === vhost);
}

function checkRegex(s: string): void {
  try { new RegExp(s); } catch (e) { throw badRequest(['invalid_regexp', s, (e as Error).message]); }
}

async function putPermission(req: Req): Promise<Response> {
  const user = req.param('user'), vhost = req.param('vhost');
  if (!req.broker.user(user) || !req.broker.vhosts.has(vhost)) throw badRequest('vhost_or_user_not_found');
  const b = await req.body();
  requireKeys(b, ['configure', 'write', 'read']);
  const [configure, write, read] = [String(b.configure), String(b.write), String(b.read)];
  for (const r of [configure, write, read]) checkRegex(r);
  const existed = lookupPermission(req) !== undefined;
  req.broker.execute({ type: 'permission.set', def: { user, vhost, configure, write, read } });
  return putResponse(!existed);
}

const PERMISSION_SORT = ['vhost', 'user'];

function limitsOf(u: UserDef): Json[] { return u.limits && Object.keys(u.limits).length ? [{ user: u.name, value: u.limits }] : []; }

export function register(r: Router): void {
  r.on('/users/bulk-delete', {
    auth: 'admin',
    POST: async (req) => {
      const b = await req.body();
      requireKeys(b, ['users']);
      if (!Array.isArray(b.users)) throw badRequest('[{key_missing,users}]');
      for (const name of b.users) if (req.broker.user(String(name))) req.broker.execute({ type: 'user.delete', name: String(name) });
      return noContent();
    },
  });
  r.on('/users/without-permissions', {
    auth: 'admin',
    GET: (req) => {
      const withPerms = new Set([...req.broker.meta.permissions.values()].map((p) => p.user));
      const items = [...req.broker.meta.users.values()].filter((u) => !withPerms.has(u.name)).map(userInfo);
      return jsonResponse(replyList(req.query, items, { paginate: false, defaultSort: ['name'] }));
    },
  });
  r.on('/users', {
    auth: 'admin',
    GET: (req) => jsonResponse(replyList(req.query, [...req.broker.meta.users.values()].map(userInfo), { paginate: false, defaultSort: ['name'] })),
  });
  r.on('/users/:user', {
    auth: 'admin',
    GET: (req) => req.reply(userInfo(lookup(req))),
    PUT: putUser,
    DELETE: (req) => { req.broker.execute({ type: 'user.delete', name: lookup(req).name }); return noContent(); },
  });
  r.on('/users/:user/permissions', {
    auth: 'admin',
    GET: (req) => {
      const u = lookup(req);
      const items = [...req.broker.meta.permissions.values()].filter((p) => p.user === u.name).map(permissionInfo);
      return jsonResponse(replyList(req.query, items, { paginate: false, defaultSort: PERMISSION_SORT }));
    },
  });
  r.on('/whoami', { auth: 'any', GET: (req) => jsonResponse({ name: req.user.name, tags: req.user.tags }) });
  r.on('/permissions', {
    auth: 'admin',
    GET: (req) => jsonResponse(replyList(req.query, [...req.broker.meta.permissions.values()].map(permissionInfo),
      { paginate: false, defaultSort: PERMISSION_SORT })),
  });
  r.on('/permissions/:vhost/:user', {
    auth: 'admin',
    GET: (req) => {
      const p = lookupPermission(req);
      if (!p) throw notFound();
      return req.reply(permissionInfo(p));
    },
    PUT: putPermission,
    DELETE: (req) => {
      const p = lookupPermission(req);
      if (!p) throw notFound();
      req.broker.execute({ type: 'permission.clear', user: p.user, vhost: p.vhost });
      return noContent();
    },
  });
  r.on('/user-limits', { auth: 'vhostVisible', GET: (req) => jsonResponse([...req.broker.meta.users.values()].flatMap(limitsOf)) });
  r.on('/user-limits/:user', { auth: 'vhostVisible', GET: (req) => jsonResponse(limitsOf(lookup(req))) });
  r.on('/user-limits/:user/:name', {
    auth: 'admin',
    PUT: async (req) => {
      const u = lookup(req), name = req.param('name');
      const value = (await req.body()).value;
      if (value === undefined) throw badRequest('[{key_missing,value}]');
      if (name !== 'max-connections' && name !== 'max-channels') {
        // RabbitMQ 3.10.8's user-limit texts carry no "Validation failed" heading (unlike vhost limits).
        throw badRequest(`Unrecognised terms [{<<"${name}">>,${erlTerm(value)}}] in user-limits`);
      }
      if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`${name} should be a number, actually was ${erlTerm(value)}`);
      req.broker.execute({ type: 'user.limits', name: u.name, limits: { ...u.limits, [name]: value } });
      return noContent();
    },
    DELETE: (req) => {
      const u = lookup(req);
      const { [req.param('name')]: _gone, ...limits } = u.limits ?? {};
      req.broker.execute({ type: 'user.limits', name: u.name, limits });
      return noContent();
    },
  });
}
