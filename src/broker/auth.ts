// Users' passwords and permissions. Hashes are RabbitMQ's rabbit_password_hashing_sha256 form,
// base64(salt(4) ++ sha256(salt ++ password)), so definitions exported from RabbitMQ verify here and back.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PermissionDef } from './metadata.js';

export const HASHING_SHA256 = 'rabbit_password_hashing_sha256';

export function hashPassword(password: string, salt = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export function checkPassword(password: string, stored: string, algorithm = HASHING_SHA256): boolean {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length < 5) return false;
  const salt = raw.subarray(0, 4);
  const alg = algorithm === 'rabbit_password_hashing_sha512' ? 'sha512' : algorithm === 'rabbit_password_hashing_md5' ? 'md5' : 'sha256';
  const digest = createHash(alg).update(salt).update(password, 'utf8').digest();
  const expect = raw.subarray(4);
  return expect.length === digest.length && timingSafeEqual(expect, digest);
}

export type PermissionKind = 'configure' | 'write' | 'read';

const regexCache = new Map<string, RegExp | null>();

/** RabbitMQ matches permission regexes unanchored; the empty string grants nothing. */
export function permits(perm: PermissionDef | undefined, kind: PermissionKind, name: string): boolean {
  if (!perm) return false;
  const src = perm[kind];
  if (src === '') return false;
  let re = regexCache.get(src);
  if (re === undefined) {
    try { re = new RegExp(src); } catch { re = null; }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(src, re);
  }
  return re !== null && re.test(name);
}
