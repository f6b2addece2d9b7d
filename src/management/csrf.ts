// Cross-site request forgery guard for the management API. Logins are HTTP basic only (no cookies), but a
// browser that has cached basic credentials sends them with any request a page on another site makes, so a
// request that may change something (anything but GET, HEAD, OPTIONS) is refused with 403 when the browser
// says it comes from another site (Sec-Fetch-Site, or an Origin other than this host). A browser's request
// (it sends Origin, Referer, Sec-Fetch-* or a Mozilla user agent) must also have an application/json body,
// which a cross-site page cannot send without a CORS preflight (that Warren never grants), so an old browser
// that sends no Origin cannot be used either; the one exception is a multipart form upload (definitions)
// shown to come from this origin. Tools (curl, rabbitmqadmin, scripts) are not browsers and keep RabbitMQ's
// behaviour: `curl -d '{...}'` sends application/x-www-form-urlencoded and RabbitMQ accepts it.
import type { MiddlewareHandler } from 'hono';
import { errorResponse, HttpError } from './http.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why a request is refused, or undefined to let it through. */
export function crossSiteRefusal(method: string, header: (name: string) => string | undefined): HttpError | undefined {
  if (SAFE.has(method)) return undefined;
  const site = header('sec-fetch-site');
  const origin = header('origin');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return new HttpError(403, 'forbidden', `cross-site request refused (Sec-Fetch-Site: ${site})`);
  }
  let sameOrigin = site === 'same-origin';
  if (origin !== undefined) {
    let host: string | undefined;
    try { host = new URL(origin).host; } catch { host = undefined; }
    if (host === undefined || host !== header('host')) return new HttpError(403, 'forbidden', `cross-site request refused (Origin: ${origin})`);
    sameOrigin = true;
  }
  const hasBody = Number(header('content-length') ?? 0) > 0 || header('transfer-encoding') !== undefined;
  if (!hasBody) return undefined;
  const browser = site !== undefined || origin !== undefined || header('referer') !== undefined || /\bMozilla\//.test(header('user-agent') ?? '');
  if (!browser) return undefined;
  const type = (header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || (type === 'multipart/form-data' && sameOrigin)) return undefined;
  return new HttpError(415, 'unsupported_media_type', `request bodies must be application/json, not '${type || 'none'}'`);
}

export const csrfGuard: MiddlewareHandler = async (c, next) => {
  const refused = crossSiteRefusal(c.req.method, (n) => c.req.header(n));
  if (refused) return errorResponse(refused);
  await next();
};
