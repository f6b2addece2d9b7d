// Integration tests: warren-server started with a warren.conf (WARREN_CONFIG_FILE) and a warren-env.conf —
// server properties, default user, tune values, several listeners, log file, exit 78 on a bad config.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { external, serverScript, startWarren, type TestBroker } from '../support/broker.js';
import { WireSocket, decodeClose, eventually, wireHandshake } from '../support/amqp.js';

let dir: string;
function confFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
/** Starts Warren with this warren.conf text (and any extra environment). */
async function withConf(text: string, env: Record<string, string> = {}): Promise<TestBroker> {
  return startWarren({ env: { WARREN_CONFIG_FILE: confFile(`c${Math.random().toString(36).slice(2)}.conf`, text), ...env } });
}

/** Runs warren-server to completion (it must exit by itself) and returns its exit code and stderr. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [serverScript], {
      env: { ...process.env, WARREN_NODE_PORT: '0', WARREN_DIST_PORT: '0', WARREN_COOKIE_FILE: join(dir, 'cookie'),
        WARREN_DATA_DIR: join(dir, 'data-exit'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '', stdout = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`warren-server did not exit:\n${stdout}${stderr}`)); }, 10000);
    p.once('exit', (code) => { clearTimeout(t); resolve({ code, stderr, stdout }); });
  });
}

describe('warren.conf', { skip: external ? 'needs a Warren process of its own' : false }, () => {
  before(() => { dir = mkdtempSync(join(tmpdir(), 'warren-config-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('server_properties and cluster_name show up in connection.start', async () => {
    const b = await withConf('server_properties.product = RabbitMQ\nserver_properties.version = 3.13.7\ncluster_name = east # the cluster\n');
    try {
      const c = await amqp.connect(b.url);
      const props = c.connection.serverProperties as unknown as Record<string, unknown>;
      assert.equal(props.product, 'RabbitMQ');
      assert.equal(props.version, '3.13.7');
      assert.equal(props.cluster_name, 'east');
      assert.equal((props.capabilities as Record<string, unknown>).publisher_confirms, true, 'capabilities untouched');
      await c.close();
    } finally { await b.stop(); }
  });

  it('default_user/default_pass/default_vhost create that user; guest does not exist', async () => {
    const b = await withConf("default_user = admin\ndefault_pass = 's3cr#t'\ndefault_vhost = prod\n");
    try {
      const c = await amqp.connect(`amqp://admin:${encodeURIComponent('s3cr#t')}@127.0.0.1:${b.port}/prod`);
      const ch = await c.createChannel();
      await ch.assertQueue('', { exclusive: true });
      await c.close();
      await assert.rejects(amqp.connect(`amqp://guest:guest@127.0.0.1:${b.port}/prod`), /403 \(ACCESS-REFUSED\)/);
      // The vhost "/" was not created either: connection.open is refused with 530.
      const w = await WireSocket.open(b.host, b.port);
      try {
        const { reply } = await wireHandshake(w, { user: 'admin', password: 's3cr#t', vhost: '/' });
        assert.deepEqual([reply.classId, reply.methodId], [10, 50], 'connection.close');
        assert.equal(decodeClose(reply.args).replyCode, 530);
      } finally { w.destroy(); }
    } finally { await b.stop(); }
  });

  it('frame_max, channel_max and heartbeat are what connection.tune proposes', async () => {
    const b = await withConf('frame_max = 8192\nchannel_max = 100\nheartbeat = 15\n');
    const w = await WireSocket.open(b.host, b.port);
    try {
      const { tune, reply } = await wireHandshake(w);
      assert.deepEqual(tune, { channelMax: 100, frameMax: 8192, heartbeat: 15 });
      assert.deepEqual([reply.classId, reply.methodId], [10, 41], 'connection.open-ok');
      const c = await amqp.connect(b.url);
      const cn = c.connection as unknown as { frameMax: number; channelMax: number };
      assert.deepEqual([cn.frameMax, cn.channelMax], [8192, 100]);
      await c.close();
    } finally { w.destroy(); await b.stop(); }
  });

  it('several listeners: the first is printed once, the others accept connections too', async () => {
    // An empty WARREN_NODE_PORT leaves the listeners to warren.conf (startWarren sets it to 0 otherwise).
    const b = await withConf('listeners.tcp.first = 127.0.0.1:0\nlisteners.tcp.second = 127.0.0.1:0\n', { WARREN_NODE_PORT: '', WARREN_LOG_LEVEL: 'info' });
    try {
      // The other listeners are logged (stderr) after the line on stdout that startWarren waits for.
      const second = (await eventually(() => /additional AMQP listener on 127\.0\.0\.1:(\d+)/.exec(b.output())))!;
      const out = b.output();
      assert.equal(out.match(/accepting AMQP connections/g)?.length, 1);
      assert.match(out, new RegExp(`accepting AMQP connections on 127\\.0\\.0\\.1:${b.port} `));
      assert.notEqual(Number(second[1]), b.port);
      const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${second[1]}/`);
      await c.close();
    } finally { await b.stop(); }
  });

  it('warren-env.conf can name the config file; log.file writes under the data directory', async () => {
    const conf = confFile('via-env.conf', 'server_properties.product = FromEnvFile\nlog.file = logs/warren.log\nlog.file.level = debug\n');
    const envFile = confFile('warren-env.conf', `# like rabbitmq-env.conf\nCONFIG_FILE=${conf}\n`);
    // An empty WARREN_LOG_LEVEL (startWarren sets "warning") leaves the levels to warren.conf.
    const b = await startWarren({ env: { WARREN_CONF_ENV_FILE: envFile, WARREN_LOG_LEVEL: '' } });
    try {
      const c = await amqp.connect(b.url);
      assert.equal((c.connection.serverProperties as unknown as Record<string, unknown>).product, 'FromEnvFile');
      await c.close();
      const log = readFileSync(join(b.dataDir!, 'logs', 'warren.log'), 'utf8');
      assert.match(log, new RegExp(`\\[info\\] using config file ${conf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(log, /\[info\] using environment file /);
    } finally { await b.stop(); }
  });

  it('a bad key makes warren-server exit 78 naming the file and line, without a stack trace', async () => {
    const file = confFile('bad.conf', '# a comment\nheartbeat = 30\nfoo.bar = 1\n');
    const r = await runToExit({ WARREN_CONFIG_FILE: file });
    assert.equal(r.code, 78);
    assert.equal(r.stderr, `warren-server: ${file}:3: unknown key 'foo.bar'\n`);
    assert.doesNotMatch(r.stdout, /accepting AMQP connections/);
  });

  it('a bad value, a missing config file and a bad variable also exit 78', async () => {
    const bad = confFile('bad-value.conf', '\n\nframe_max = lots\n');
    let r = await runToExit({ WARREN_CONFIG_FILE: bad });
    assert.equal(r.code, 78);
    assert.match(r.stderr, new RegExp(`^warren-server: .*bad-value\\.conf:3: invalid value 'lots' for 'frame_max'`));
    r = await runToExit({ WARREN_CONFIG_FILE: join(dir, 'nope.conf') });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /config file .*nope\.conf does not exist/);
    r = await runToExit({ WARREN_NODE_PORT: 'http' });
    assert.deepEqual([r.code, r.stderr], [78, 'warren-server: WARREN_NODE_PORT=http is not a TCP port number\n']);
  });
});
