// The node cookie, Warren's .erlang.cookie: a secret file readable by its owner only ($HOME/.warren.cookie or
// WARREN_COOKIE_FILE). The node creates it on first start and refuses one that group or others may read.
// Requests are signed with it (HMAC), so the cookie itself never crosses the socket and cannot be replayed.
import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export class CookieError extends Error {}

/** How far a request's timestamp may be from the node's clock. */
const MAX_SKEW_MS = 5 * 60_000;

export function cookiePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.WARREN_COOKIE_FILE || join(homedir(), '.warren.cookie');
}

/** Erlang's check: the file is refused when group or others have any permission on it. */
function checkedRead(path: string): string {
  const st = statSync(path);
  if (!st.isFile()) throw new CookieError(`cookie file ${path} is not a regular file`);
  if ((st.mode & 0o077) !== 0) throw new CookieError(`cookie file ${path} must be accessible by owner only`);
  const cookie = readFileSync(path, 'utf8').trim();
  if (cookie === '') throw new CookieError(`cookie file ${path} is empty`);
  return cookie;
}

/** For the node: reads the cookie, creating it (mode 0600, 20 random capitals as Erlang makes them) if missing. */
export function ensureCookie(path: string): string {
  try {
    return checkedRead(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw asCookieError(e, path);
  }
  let cookie = '';
  for (let i = 0; i < 20; i++) cookie += String.fromCharCode(65 + randomInt(26));
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return checkedRead(path);
    throw asCookieError(e, path);
  }
  try { writeSync(fd, cookie); } finally { closeSync(fd); }
  return cookie;
}

/** For warrenctl: the cookie, or a CookieError saying why there is none. */
export function readCookie(path: string): string {
  try {
    return checkedRead(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CookieError(`cookie file ${path} does not exist`);
    throw asCookieError(e, path);
  }
}

function asCookieError(e: unknown, path: string): CookieError {
  if (e instanceof CookieError) return e;
  return new CookieError(`cannot read cookie file ${path}: ${(e as Error).message}`);
}

/** Erlang prints the cookie's MD5 in base64 so two sides can compare cookies without showing them. */
export function cookieHash(cookie: string): string {
  return createHash('md5').update(cookie).digest('base64');
}

const mac = (cookie: string, ts: string, body: string) =>
  createHmac('sha256', cookie).update(`${ts}\n`).update(body).digest();

export function signRequest(cookie: string, body: string, now = Date.now()): string {
  const ts = String(now);
  return `${ts}.${mac(cookie, ts, body).toString('hex')}`;
}

/** Checks signatures; remembers recent ones so a captured request cannot be sent again. */
export class RequestVerifier {
  private readonly seen = new Map<string, number>();

  constructor(private readonly cookie: string, private readonly now: () => number = Date.now) {}

  verify(header: string | undefined, body: string): boolean {
    if (!header) return false;
    const m = /^(\d{1,16})\.([0-9a-f]{64})$/.exec(header);
    if (!m) return false;
    const [, ts, hex] = m as unknown as [string, string, string];
    const t = this.now();
    if (Math.abs(t - Number(ts)) > MAX_SKEW_MS) return false;
    const expected = mac(this.cookie, ts, body);
    if (!timingSafeEqual(expected, Buffer.from(hex, 'hex'))) return false;
    for (const [k, at] of this.seen) if (t - at > 2 * MAX_SKEW_MS) this.seen.delete(k);
    if (this.seen.has(hex)) return false;
    this.seen.set(hex, t);
    return true;
  }
}
