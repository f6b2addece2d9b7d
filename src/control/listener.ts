// The node's control listener: HTTP on loopback at the distribution port (25672, RabbitMQ's inter-node and CLI
// port). Each request is one warrenctl command, signed with the cookie; the listener checks the signature and
// the node name, runs the handler and answers JSON. It writes <dataDir>/control.port so warrenctl finds a node
// that listens on a port the OS chose, and removes the file when it closes.
import { listenOn } from '../server/listen.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestVerifier } from './cookie.js';
import { HANDLERS } from './handlers.js';
import type { WarrenNode } from './node.js';
import { AUTH_HEADER, CONTROL_PATH, CONTROL_PORT_FILE, ControlError, ExitCode, type ControlRequest, type ControlResponse } from './protocol.js';

/** Definitions files can be large; nothing else comes near this. */
const MAX_BODY = 256 * 1024 * 1024;

export interface ControlListener { host: string; port: number; close(): Promise<void> }

export interface ControlOptions { host: string; port: number; cookie: string; dataDir: string }

/** What a handler sees: the node, the request, and a hook for work that must wait until the reply is sent. */
export interface HandlerContext {
  node: WarrenNode;
  req: ControlRequest;
  afterResponse(fn: () => void): void;
}

export interface Handler {
  /** Whether the command needs the app running (most), or works in any state. */
  needsApp: boolean;
  run(ctx: HandlerContext): unknown;
}

export async function startControl(node: WarrenNode, opts: ControlOptions): Promise<ControlListener> {
  const verifier = new RequestVerifier(opts.cookie);
  const srv = createServer((req, res) => { void serve(node, verifier, req, res); });
  srv.keepAliveTimeout = 1000;
  const port = await listenOn(srv, opts.port, opts.host);
  const portFile = join(opts.dataDir, CONTROL_PORT_FILE);
  writeFileSync(portFile, `${port}\n`);
  node.control = { interface: opts.host, port, protocol: 'clustering', purpose: 'inter-node and CLI tool communication' };
  return {
    host: opts.host,
    port,
    close: () => new Promise<void>((resolve) => {
      rmSync(portFile, { force: true });
      srv.close(() => resolve());
      srv.closeAllConnections();
    }),
  };
}

function reply(res: ServerResponse, status: number, body: ControlResponse): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) { resolve(undefined); req.destroy(); return; }
      parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

const refuse = (exitCode: number, message: string): ControlResponse => ({ ok: false, error: { exitCode, message } });

async function serve(node: WarrenNode, verifier: RequestVerifier, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== CONTROL_PATH) { reply(res, 404, refuse(ExitCode.Unavailable, 'not a control request')); return; }
  let body: string | undefined;
  try { body = await readBody(req); } catch { return; }
  if (body === undefined) { reply(res, 413, refuse(ExitCode.DataErr, 'request too large')); return; }
  const auth = req.headers[AUTH_HEADER];
  // 403: the client reports a cookie mismatch as an unreachable node, as rabbitmqctl does.
  if (!verifier.verify(typeof auth === 'string' ? auth : undefined, body)) {
    node.opts.log('warning', 'control: refused a request with a wrong or missing cookie signature');
    reply(res, 403, refuse(ExitCode.Unavailable, 'authentication failed'));
    return;
  }
  let request: ControlRequest;
  try {
    request = JSON.parse(body) as ControlRequest;
    if (typeof request.command !== 'string' || !Array.isArray(request.args)) throw new Error('bad request');
  } catch {
    reply(res, 400, refuse(ExitCode.Usage, 'malformed control request'));
    return;
  }
  // 421: the request was meant for another node (its name is in the reply, for the client's diagnostics).
  if (request.node !== node.name) { reply(res, 421, refuse(ExitCode.Unavailable, node.name)); return; }
  const handler = Object.hasOwn(HANDLERS, request.command) ? HANDLERS[request.command] : undefined;
  if (!handler) { reply(res, 400, refuse(ExitCode.Usage, `unknown command '${request.command}'`)); return; }
  const after: (() => void)[] = [];
  try {
    if (handler.needsApp) node.requireApp();
    const result = await handler.run({ node, req: request, afterResponse: (fn) => after.push(fn) });
    // A change reported as done is on disk: wait for the store's fsync (cheap when nothing was written).
    const store = node.app?.broker.store;
    if (store) await new Promise<void>((r) => store.sync(() => r())); // a failed WAL already failed the change
    res.once('finish', () => { for (const fn of after) fn(); });
    reply(res, 200, { ok: true, result: result ?? null });
  } catch (e) {
    if (e instanceof ControlError) { reply(res, 200, { ok: false, error: e.toBody() }); return; }
    node.opts.log('error', `control: ${request.command} failed: ${(e as Error)?.stack ?? e}`);
    reply(res, 200, refuse(ExitCode.Software, (e as Error)?.message ?? String(e)));
  }
}
