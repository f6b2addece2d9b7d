// Test support: the broker under test. Integration tests talk to a real broker over real sockets.
// With WARREN_TEST_URL set (e.g. amqp://guest:guest@127.0.0.1:5673/ for RabbitMQ 3.10.8, see
// test/against-rabbitmq.sh) they use that broker, and its management API at WARREN_TEST_MGMT_URL (default:
// the AMQP port + 10000, as test/rabbitmq.sh sets it up); otherwise each test file starts its own Warren process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/warren-server.js, seen from dist/test/support/. */
export const serverScript = join(here, '..', '..', 'src', 'cli', 'warren-server.js');

/** True when the tests run against an external broker (RabbitMQ), not a Warren they started. */
export const external = Boolean(process.env.WARREN_TEST_URL);
export const isRabbit = external && process.env.WARREN_TEST_BROKER !== 'warren';

export interface TestBroker {
  url: string;
  host: string;
  port: number;
  /** The management API: its port and base URL (http://host:port, without /api). */
  mgmtPort: number;
  mgmtUrl: string;
  /** The AMQPS port when the config opens a TLS listener (listeners.ssl.*), and the HTTPS management base URL. */
  tlsPort?: number;
  mgmtHttpsUrl?: string;
  /** The Prometheus endpoint's base URL (http://host:port, without /metrics); undefined for an external broker. */
  promUrl?: string;
  /** The Warren process, or undefined for an external broker. */
  proc?: ChildProcess;
  dataDir?: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
  /** Keep the data dir when the broker stops (for restart tests). */
  keepData?: boolean;
}

/** Start a Warren process on a free port and wait for its "accepting" line. */
export async function startWarren(opts: StartOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'warren-test-'));
  const proc = spawn(process.execPath, [serverScript], {
    env: {
      ...process.env,
      WARREN_NODE_PORT: '0',
      WARREN_MANAGEMENT_PORT: '0',
      WARREN_PROMETHEUS_PORT: '0',
      // The control port (warrenctl) on a free port, and a cookie of the test's own instead of $HOME's.
      WARREN_DIST_PORT: '0',
      WARREN_COOKIE_FILE: join(dataDir, '.warren.cookie'),
      WARREN_DATA_DIR: dataDir,
      WARREN_LOG_LEVEL: process.env.WARREN_LOG_LEVEL ?? 'warning',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => { out += d; });
  const [port, mgmtPort, promPort] = await new Promise<[number, number, number]>((resolve, reject) => {
    const onData = (d: string) => {
      out += d;
      const m = /accepting AMQP connections on [^\s]*?:(\d+)/.exec(out);
      const mg = /management API listening on (?!https)[^\s]*?:(\d+)/.exec(out);
      const pr = /prometheus listening on [^\s]*?:(\d+)/.exec(out);
      if (m && mg && pr) {
        proc.stdout!.off('data', onData); proc.stdout!.on('data', (x: string) => { out += x; });
        resolve([Number(m[1]), Number(mg[1]), Number(pr[1])]);
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`warren-server exited with ${code} before accepting:\n${out}`)));
    setTimeout(() => reject(new Error(`warren-server did not start in 15 s:\n${out}`)), 15000).unref();
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) { cleanup(); return proc.exitCode; }
    const code = await new Promise<number | null>((resolve) => {
      proc.once('exit', (c) => resolve(c));
      proc.kill(signal);
      setTimeout(() => proc.kill('SIGKILL'), 10000).unref();
    });
    cleanup();
    return code;
  };
  const cleanup = () => { if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true }); };
  // Printed before the prometheus line, so present by now when configured.
  const tls = /accepting AMQP TLS connections on [^\s]*?:(\d+)/.exec(out);
  const https = /management API listening on https:\/\/[^\s]*?:(\d+)/.exec(out);
  return { url: `amqp://guest:guest@127.0.0.1:${port}/`, host: '127.0.0.1', port, mgmtPort, mgmtUrl: `http://127.0.0.1:${mgmtPort}`,
    promUrl: `http://127.0.0.1:${promPort}`, proc, dataDir, output: () => out, stop,
    tlsPort: tls ? Number(tls[1]) : undefined, mgmtHttpsUrl: https ? `https://localhost:${https[1]}` : undefined };
}

/** The broker a test file should use: the external one if WARREN_TEST_URL is set, else a fresh Warren. */
export async function startBroker(opts: StartOptions = {}): Promise<TestBroker> {
  const ext = process.env.WARREN_TEST_URL;
  if (ext) {
    const u = new URL(ext);
    const port = Number(u.port || 5672);
    const mgmt = new URL(process.env.WARREN_TEST_MGMT_URL ?? `http://${u.hostname}:${port + 10000}`);
    const mgmtPort = Number(mgmt.port || 80);
    return { url: ext, host: u.hostname, port, mgmtPort, mgmtUrl: `http://${mgmt.hostname}:${mgmtPort}`, output: () => '', stop: async () => null };
  }
  return startWarren(opts);
}
