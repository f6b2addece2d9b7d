// HTTP basic authentication against the broker's users and RabbitMQ's management tag rules
// (rabbit_web_dispatch_access_control): management < policymaker / monitoring < administrator. Every
// refusal is 401 as in RabbitMQ 3.10; only a failed login carries WWW-Authenticate.
import type { Broker } from '../broker/broker.js';
import type { UserDef } from '../broker/metadata.js';
import { HttpError, notAuthorised } from './http.js';

export const REALM = 'Basic realm="Warren Management"';

export interface Principal { name: string; tags: string[]; user: UserDef }

const has = (tags: string[], any: string[]) => tags.some((t) => any.includes(t));
export const isAdmin = (tags: string[]) => has(tags, ['administrator']);
export const isPolicymaker = (tags: string[]) => has(tags, ['administrator', 'policymaker']);
export const isMonitor = (tags: string[]) => has(tags, ['administrator', 'monitoring']);
export const isMgmtUser = (tags: string[]) => has(tags, ['administrator', 'monitoring', 'policymaker', 'management']);

export function isLoopback(addr: string | undefined): boolean {
  return !!addr && (addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.'));
}

/** The Authorization header's user and password, or undefined when it is not Basic. */
export function basicCredentials(header: string | undefined): { user: string; pass: string } | undefined {
  const m = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const raw = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = raw.indexOf(':');
  return i < 0 ? undefined : { user: raw.slice(0, i), pass: raw.slice(i + 1) };
}

/** Logs a request in; throws the 401 RabbitMQ answers (no credentials, wrong ones, loopback-only, no tag). */
export function authenticate(broker: Broker, header: string | undefined, remote: string | undefined): Principal {
  const creds = basicCredentials(header);
  if (!creds) throw new HttpError(401, 'not_authorized', undefined, { 'www-authenticate': REALM });
  const user = broker.authenticate(creds.user, creds.pass);
  if (!user) throw new HttpError(401, 'not_authorized', 'Login failed', { 'www-authenticate': REALM });
  if (broker.loopbackUsers.has(user.name) && !isLoopback(remote)) throw notAuthorised('User can only log in via localhost');
  if (!isMgmtUser(user.tags)) throw notAuthorised('Not management user');
  return { name: user.name, tags: user.tags, user };
}

/** Vhosts the user may log in to (has permissions on). */
export function loginVhosts(broker: Broker, p: Principal): string[] {
  return [...broker.vhosts.keys()].filter((v) => broker.canAccessVhost(p.name, v));
}

/** Vhosts whose objects the user sees: all for monitors and administrators, else the login ones. */
export function visibleVhosts(broker: Broker, p: Principal): string[] {
  return isMonitor(p.tags) ? [...broker.vhosts.keys()] : loginVhosts(broker, p);
}

/** How an endpoint is guarded, named after rabbit_mgmt_util's is_authorized_* functions. */
export type AuthRule =
  | 'any' | 'admin' | 'monitor' | 'vhost' | 'vhostVisible' | 'policies' | 'globalParameters';

/**
 * Checks a rule for a logged-in user; `vhost` is the path's vhost when it names an existing one (a missing
 * vhost passes, so that the request then answers 404 as RabbitMQ's does).
 */
export function authorize(broker: Broker, p: Principal, rule: AuthRule, vhost: string | undefined): void {
  const t = p.tags;
  const inVhost = () => vhost === undefined || broker.canAccessVhost(p.name, vhost);
  switch (rule) {
    case 'any': return;
    case 'admin': if (!isAdmin(t)) throw notAuthorised('Not administrator user'); return;
    case 'monitor': if (!isMonitor(t)) throw notAuthorised('Not monitor user'); return;
    case 'vhost':
      if (!isAdmin(t) && !inVhost()) throw notAuthorised('User not authorised to access virtual host');
      return;
    case 'vhostVisible':
      if (!isAdmin(t) && !isMonitor(t) && !inVhost()) throw notAuthorised('User not authorised to access virtual host');
      return;
    case 'policies':
      if (!isAdmin(t) && !(isPolicymaker(t) && inVhost())) throw notAuthorised('User not authorised to access object');
      return;
    case 'globalParameters':
      if (!isPolicymaker(t)) throw notAuthorised('User not authorised to access object');
      return;
  }
}
