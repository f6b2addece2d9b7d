// Interop: drive the broker with real third-party clients, Python pika (test/interop/pika_client.py) and the
// RabbitMQ Java client (test/interop/JavaClient.java). Each program runs its checks, prints one JSON line and
// exits 0 on success. Needs Debian's python3-pika, librabbitmq-client-java and a JDK (see .ci/run): when a
// tool is missing the test is skipped locally and fails under CI (process.env.CI set).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type TestBroker } from '../support/broker.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The .py/.java sources are not compiled into dist/: find them from dist/test/interop/ or the cwd. */
const srcDir = [join(here, '..', '..', '..', 'test', 'interop'), join(here), join(process.cwd(), 'test', 'interop')]
  .map((d) => resolve(d))
  .find((d) => existsSync(join(d, 'pika_client.py')) && existsSync(join(d, 'JavaClient.java')));

const JAVA_DIR = process.env.WARREN_JAVA_LIB_DIR ?? '/usr/share/java';
const AMQP_CLIENT_JAR = join(JAVA_DIR, 'amqp-client.jar');
/** amqp-client 5.x needs slf4j-api at run time; slf4j-nop silences its "no binding" warning. */
const SLF4J_JARS = ['slf4j-api.jar', 'slf4j-nop.jar'].map((j) => join(JAVA_DIR, j));
const RUN_TIMEOUT_MS = 30_000;

/** Fail under CI (the tools are supposed to be installed), skip elsewhere. */
function missing(t: { skip(msg?: string): void }, what: string): void {
  const msg = `${what}; install with: apt-get install --no-install-recommends python3-pika librabbitmq-client-java default-jdk-headless`;
  if (process.env.CI) assert.fail(`interop prerequisite missing under CI: ${msg}`);
  t.skip(msg);
}

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/** A python3 that can import pika: $WARREN_PYTHON, then python3 on PATH, then Debian's /usr/bin/python3
 * (a pyenv/venv python3 earlier on PATH does not see the python3-pika package). */
function findPython(): string | undefined {
  const candidates = [process.env.WARREN_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((c) => works(c, ['-c', 'import pika']));
}

interface RunResult { code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

function run(cmd: string, args: string[], timeout = RUN_TIMEOUT_MS): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolveRun) => {
    execFile(cmd, args, { timeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string; killed?: boolean }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
        if (e && typeof e.code === 'string') stderr += `\n[spawn error: ${e.code} ${e.message}]`;
        if (e?.killed) stderr += `\n[killed after ${timeout} ms timeout]`;
        resolveRun({ code, signal: e?.signal ?? null, stdout, stderr, ms: Date.now() - t0 });
      });
  });
}

function tail(s: string, n = 4000): string {
  return s.length > n ? `...${s.slice(-n)}` : s;
}

interface InteropReport { ok: boolean; client: string; checks: string[]; error?: string; failed?: string; [k: string]: unknown }

/** Assert a clean exit and parse the program's JSON report (its last stdout line). */
function report(name: string, r: RunResult): InteropReport {
  const lines = r.stdout.trim().split('\n').filter((l) => l.trim().startsWith('{'));
  let parsed: InteropReport | undefined;
  try { parsed = lines.length ? JSON.parse(lines[lines.length - 1]) as InteropReport : undefined; } catch { /* below */ }
  const detail = `${name} exited with code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''} after ${r.ms} ms` +
    (parsed && !parsed.ok ? `\nfailed check: ${parsed.failed}\nerror: ${parsed.error}\npassed: ${JSON.stringify(parsed.checks)}` : '') +
    `\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`;
  assert.equal(r.code, 0, detail);
  assert.ok(parsed, `no JSON report on stdout\n${detail}`);
  assert.equal(parsed.ok, true, detail);
  return parsed;
}

let brokerP: Promise<TestBroker> | undefined;
/** Started on first use, so a run where every client is skipped does not need a broker. */
function broker(): Promise<TestBroker> {
  brokerP ??= startBroker();
  return brokerP;
}
after(async () => {
  const b = await brokerP?.catch(() => undefined); // a failed start is reported by the tests themselves
  await b?.stop();
});

test('interop sources are found', () => {
  assert.ok(srcDir, `test/interop/pika_client.py and JavaClient.java not found from ${here} or ${process.cwd()}`);
});

test('Python pika client', { timeout: 60_000 }, async (t) => {
  const python = findPython();
  if (!python) return missing(t, 'python3 with the pika module (Debian package python3-pika)');
  const b = await broker();
  const r = await run(python, [join(srcDir!, 'pika_client.py'), b.host, String(b.port)]);
  const rep = report('pika_client.py', r);
  assert.equal(rep.client, 'pika');
  assert.deepEqual(rep.checks, [
    'connect',
    'exchange_declare durable topic',
    'queue_declare with arguments',
    'queue_bind',
    'confirm_delivery',
    'properties round trip via basic_get',
    'properties round trip via basic_consume',
    'empty body and large body',
    'priority ordering (x-max-priority)',
    'mandatory unroutable raises UnroutableError',
    'nack with requeue',
    'basic_qos prefetch',
    'per-message expiration',
    'channel error then new channel',
    'exchange_bind',
    'queue_purge and queue_delete',
    'clean close',
  ]);
  t.diagnostic(`pika ${String(rep.version)}: ${rep.checks.length} checks in ${r.ms} ms`);
});

test('RabbitMQ Java client', { timeout: 90_000 }, async (t) => {
  if (!works('javac', ['-version']) || !works('java', ['-version'])) {
    return missing(t, 'java and javac (Debian package default-jdk-headless)');
  }
  const absent = [AMQP_CLIENT_JAR, ...SLF4J_JARS].filter((j) => !existsSync(j));
  if (absent.length) {
    return missing(t, `${absent.join(', ')} (from Debian packages librabbitmq-client-java and libslf4j-java)`);
  }
  const b = await broker();
  const classes = mkdtempSync(join(tmpdir(), 'warren-interop-java-'));
  t.after(() => rmSync(classes, { recursive: true, force: true }));
  const jc = await run('javac', ['-encoding', 'UTF-8', '-nowarn', '-d', classes, '-cp', AMQP_CLIENT_JAR,
    join(srcDir!, 'JavaClient.java')]);
  assert.equal(jc.code, 0, `javac failed (code ${jc.code}):\n${tail(jc.stdout)}\n${tail(jc.stderr)}`);
  const cp = [classes, AMQP_CLIENT_JAR, ...SLF4J_JARS].join(':');
  // C1 only: these programs are short-lived, start-up time dominates
  const r = await run('java', ['-XX:TieredStopAtLevel=1', '-Dfile.encoding=UTF-8', '-cp', cp, 'JavaClient',
    b.host, String(b.port)]);
  const rep = report('JavaClient', r);
  assert.equal(rep.client, 'java');
  assert.deepEqual(rep.checks, [
    'connect',
    'exchangeDeclare durable topic + queueDeclare with arguments + queueBind',
    'confirmSelect + ReturnListener',
    'properties round trip via basicGet',
    'properties round trip via basicConsume (DefaultConsumer)',
    'mandatory unroutable -> ReturnListener',
    'basicQos + nack/requeue',
    'passive declare of missing queue -> ShutdownSignalException 404',
    'exchangeBind',
    'server-named queue',
    'txSelect/txCommit/txRollback',
    'consumer cancel notification on queue delete',
    'queuePurge/queueDelete/exchangeDelete',
    'clean close',
  ]);
  assert.match(String(rep.server_named_queue), /^amq\.gen-/);
  t.diagnostic(`java client ${String(rep.version)} against ${String(rep.server_product)} ${String(rep.server_version)}: ` +
    `javac ${jc.ms} ms, run ${r.ms} ms`);
});
