// The one fetch helper: every call to /api carries the logged-in user's basic credentials, kept in
// sessionStorage as RabbitMQ's UI keeps them (gone when the tab closes). Failures become ApiError with the
// API's {error, reason}; a 401 on a logged-in session logs out (the user was deleted or the password changed).
const KEY = 'warren.auth';

export class ApiError extends Error {
  constructor(status, error, reason) {
    super(reason ? `${error}: ${typeof reason === 'string' ? reason : JSON.stringify(reason)}` : error);
    this.status = status; this.error = error; this.reason = reason;
  }
}

export const enc = encodeURIComponent;

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY) ?? 'null'); } catch { return null; }
}

async function request(method, path, body, auth, headers = {}) {
  const init = {
    method,
    // "omit": a failed login must not open the browser's own password dialog (it only does for credentialed requests).
    credentials: 'omit',
    headers: { authorization: `Basic ${auth}`, ...headers },
  };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  let res;
  try { res = await fetch(`/api${path}`, init); } catch (e) { throw new ApiError(0, 'network_error', 'The node is not reachable'); }
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (!res.ok) {
    throw new ApiError(res.status, json?.error ?? `HTTP ${res.status}`, json?.reason ?? (res.status === 401 ? 'Login failed' : res.statusText));
  }
  return json;
}

/** Checks credentials with /api/whoami and keeps them; throws ApiError (401 "Login failed" / "Not management user"). */
export async function login(user, pass) {
  const auth = btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)));
  const me = await request('GET', '/whoami', undefined, auth);
  sessionStorage.setItem(KEY, JSON.stringify({ auth, name: me.name, tags: me.tags }));
  return me;
}

export function logout() {
  sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event('warren:logout'));
}

export async function api(method, path, body, headers) {
  const s = session();
  try {
    return await request(method, path, body, s?.auth ?? '', headers);
  } catch (e) {
    if (e.status === 401 && (e.reason === 'Login failed' || e.reason === 'Not management user')) logout();
    throw e;
  }
}

export const get = (path) => api('GET', path);
