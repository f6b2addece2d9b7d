// How warrenctl reaches a node: the node name (-n, default from the settings), its control port (--port, the
// control.port file in the node's data directory, then WARREN_DIST_PORT or the default), the cookie, and one
// signed HTTP request per command on loopback. Failures become the errors rabbitmqctl reports, with its exit
// codes: unreachable or refused (69, with diagnostics), timed out (75).
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { cookieHash, cookiePath, CookieError, readCookie, signRequest } from '../../control/cookie.js';
import { AUTH_HEADER, CONTROL_PATH, CONTROL_PORT_FILE, ExitCode, type ControlErrorBody, type ControlRequest, type ControlResponse } from '../../control/protocol.js';
import { defaultDataDir } from '../../config/env.js';
import { loadSettings } from '../../config/settings.js';
import type { Ctx } from './spec.js';

/** A usage error (exit 64 unless said otherwise), printed with the usage line; or, 'plain-error', as "Error:". */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.Usage, readonly style: 'usage' | 'plain-error' = 'usage') { super(message); }
}
/** The node answered with an error. */
export class NodeError extends Error {
  constructor(readonly body: ControlErrorBody) { super(body.message); }
}
export class Unreachable extends Error {
  constructor(readonly node: string, readonly diagnostics: string[], readonly cookie: { file: string; hash?: string }) { super('unreachable'); }
}
export class TimedOut extends Error {
  constructor(readonly ms: number) { super('timeout'); }
}

export interface Target {
  node: string;
  /** Ports to try, in order, with where each came from. */
  ports: { port: number; from: string }[];
  cookieFile: string;
}

/** rabbitmqctl appends the local short host name to a bare node name. */
export function qualifyNode(name: string): string {
  return name.includes('@') ? name : `${name}@${hostname().split('.')[0]}`;
}

export function resolveTarget(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Target {
  let s: { nodeName: string; dataDir: string; distPort: number } | undefined;
  try { s = loadSettings(env); } catch { s = undefined; } // a broken warren.conf must not stop warrenctl
  const own = s?.nodeName ?? qualifyNode(env.WARREN_NODENAME || 'warren');
  const node = typeof opts.node === 'string' ? qualifyNode(opts.node) : own;
  const cookieFile = cookiePath(env);
  if (typeof opts.port === 'number') return { node, ports: [{ port: opts.port, from: '--port' }], cookieFile };
  const dataDir = node === own || env.WARREN_DATA_DIR ? s?.dataDir ?? defaultDataDir(node) : defaultDataDir(node);
  const ports: Target['ports'] = [];
  const file = join(dataDir, CONTROL_PORT_FILE);
  try {
    const p = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(p) && p > 0) ports.push({ port: p, from: file });
  } catch { /* no node has written it: try the configured port */ }
  const dist = s?.distPort ?? 25672;
  if (!ports.some((p) => p.port === dist)) ports.push({ port: dist, from: env.WARREN_DIST_PORT ? 'WARREN_DIST_PORT' : 'the default port' });
  return { node, ports, cookieFile };
}

interface HttpReply { status: number; body: string }

function post(port: number, body: string, auth: string, timeoutMs: number | undefined): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: CONTROL_PATH, method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [AUTH_HEADER]: auth } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    if (timeoutMs !== undefined) {
      const t = setTimeout(() => { req.destroy(new TimedOut(timeoutMs)); }, timeoutMs);
      req.on('close', () => clearTimeout(t));
    }
    req.on('error', reject);
    req.end(body);
  });
}

const describe = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' ? 'connection refused' : code ?? (e as Error).message;
};

/** Sends one command; resolves with the node's result or throws NodeError, Unreachable or TimedOut. */
export async function send(target: Target, req: ControlRequest, timeoutMs: number | undefined): Promise<{ result: unknown; port: number }> {
  let cookie: string;
  try { cookie = readCookie(target.cookieFile); } catch (e) {
    if (!(e instanceof CookieError)) throw e;
    const hint = e.message.includes('owner only') ? `suggestion: chmod 600 ${target.cookieFile}`
      : 'suggestion: start the node once (it creates the cookie), or set WARREN_COOKIE_FILE to the file the node uses';
    throw new Unreachable(target.node, [e.message, hint], { file: target.cookieFile });
  }
  const body = JSON.stringify(req);
  const diags: string[] = [];
  const hash = cookieHash(cookie);
  for (const { port, from } of target.ports) {
    let reply: HttpReply;
    try { reply = await post(port, body, signRequest(cookie, body), timeoutMs); } catch (e) {
      if (e instanceof TimedOut) throw e;
      diags.push(`unable to connect to 127.0.0.1:${port} (${from}): ${describe(e)}`);
      continue;
    }
    let parsed: ControlResponse | undefined;
    try { parsed = JSON.parse(reply.body) as ControlResponse; } catch { parsed = undefined; }
    if (reply.status === 403) {
      diags.push(`port ${port} (${from}) answered, but the node refused this CLI tool's cookie`,
        'suggestion: check that the cookie file is the one the node uses (WARREN_COOKIE_FILE, or $HOME/.warren.cookie of the user running it)');
      throw new Unreachable(target.node, diags, { file: target.cookieFile, hash });
    }
    if (reply.status === 421 && parsed && !parsed.ok) {
      diags.push(`port ${port} (${from}) is node '${parsed.error.message}', not '${target.node}'`);
      continue;
    }
    if (!parsed || reply.status !== 200) {
      diags.push(`port ${port} (${from}) answered HTTP ${reply.status}, not as a Warren node`);
      continue;
    }
    if (!parsed.ok) throw new NodeError(parsed.error);
    return { result: parsed.result, port };
  }
  diags.push('suggestion: start the node');
  throw new Unreachable(target.node, diags, { file: target.cookieFile, hash });
}

export function unreachableText(e: Unreachable): string {
  const n = e.node;
  return [
    `Error: unable to perform an operation on node '${n}'. Please see diagnostics information and suggestions below.`, '',
    'Most common reasons for this are:', '',
    ' * Target node is unreachable (e.g. due to hostname resolution, TCP connection or firewall issues)',
    " * CLI tool fails to authenticate with the server (e.g. due to CLI tool's cookie not matching that of the server)",
    ' * Target node is not running', '',
    'In addition to the diagnostics info below:', '',
    ` * Consult server logs on node ${n}`,
    ' * warrenctl finds a local node by the control.port file in its data directory (WARREN_DATA_DIR), then WARREN_DIST_PORT; --port names the port', '',
    'DIAGNOSTICS', '===========', '',
    `attempted to contact: [${n}]`, '',
    `${n}:`, ...e.diagnostics.map((d) => `  * ${d}`), '',
    'Current node details:',
    ` * effective user's home directory: ${homedir()}`,
    ` * cookie file: ${e.cookie.file}`,
    ...(e.cookie.hash ? [` * cookie hash: ${e.cookie.hash}`] : []), '',
  ].join('\n');
}

/** After stop: waits until the node's control port no longer accepts connections. */
export async function waitUntilDown(c: Ctx, port = c.controlPort): Promise<void> {
  const deadline = Date.now() + (c.timeout ?? 120) * 1000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port: port ?? 0 }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (!open) return;
    if (Date.now() > deadline) throw new TimedOut((c.timeout ?? 120) * 1000);
    await new Promise((r) => setTimeout(r, 100));
  }
}
