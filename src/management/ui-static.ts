// The management web UI's files on the management port: index.html at "/", the UI's modules and CSS under /ui/,
// and the two small runtime libraries it imports (preact, htm) under /ui/vendor/, taken from node_modules so
// nothing is fetched from the network. The UI is plain ES modules with no build step; it only talks to /api.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The UI's source directory. tsc compiles only .ts, so from dist/src/management/ the files are still read from
 * src/management/ui/ three levels up; a copy next to the module (a packaged build) wins when present.
 */
export function uiDir(): string {
  const candidates = [join(here, 'ui'), join(here, '..', '..', '..', 'src', 'management', 'ui')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

/** Bare module names the UI's import map points at /ui/vendor/<file>. */
const VENDOR: Record<string, string> = { 'preact.mjs': 'preact', 'hooks.mjs': 'preact/hooks', 'htm.mjs': 'htm' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

async function file(path: string): Promise<Response> {
  try {
    const body = await readFile(path);
    // no-cache: revalidate on every load, so an upgraded node never runs a stale mix of UI modules.
    return new Response(body, { headers: { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' } });
  } catch {
    return new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain' } });
  }
}

/** Adds the UI's routes; they need no credentials (the login form is part of the UI, as in RabbitMQ). */
export function mountUi(app: Hono<{ Bindings: HttpBindings }>): void {
  const dir = uiDir();
  const vendor = new Map(Object.entries(VENDOR).map(([f, spec]) => [f, fileURLToPath(import.meta.resolve(spec))]));
  app.get('/', () => file(join(dir, 'index.html')));
  app.get('/index.html', () => file(join(dir, 'index.html')));
  app.get('/ui/vendor/:file', (c) => {
    const path = vendor.get(c.req.param('file'));
    return path ? file(path) : file('');
  });
  app.get('/ui/*', (c) => {
    const rel = decodeURIComponent(new URL(c.req.url).pathname.slice('/ui/'.length));
    const path = normalize(join(dir, rel));
    // Never serve outside the UI directory ("..", encoded or not).
    if (!path.startsWith(dir + sep)) return file('');
    return file(path);
  });
}
