// warren-server and its management listener: the "management API listening" line after the AMQP one, the port
// from warren.conf, statistics switched off (management_agent.disable_metrics_collector), and a management port
// that cannot be bound stopping the boot (exit 1), as RabbitMQ's boot fails when its management plugin cannot
// listen. Warren-only: these start processes of their own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { external, serverScript, startWarren } from '../support/broker.js';
import { api, waitFor, type Json } from '../support/mgmt.js';

let dir: string;

describe('warren-server management listener', { skip: external ? 'needs a Warren process of its own' : false }, () => {
  before(() => { dir = mkdtempSync(join(tmpdir(), 'warren-mgmt-server-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints "management API listening on HOST:PORT" after the AMQP line and serves there', async () => {
    const b = await startWarren();
    try {
      const lines = b.output().split('\n');
      const amqpLine = lines.findIndex((l) => /accepting AMQP connections/.test(l));
      const mgmtLine = lines.findIndex((l) => /^management API listening on \S+:\d+$/.test(l));
      assert.ok(amqpLine >= 0 && mgmtLine > amqpLine, b.output());
      assert.equal((await api(b).get('/whoami')).status, 200);
    } finally { await b.stop(); }
  });

  it('management.tcp.port and .ip from warren.conf; statistics off with the metrics collector disabled', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const conf = join(dir, 'mgmt.conf');
    writeFileSync(conf, `management.tcp.port = ${port}\nmanagement.tcp.ip = 127.0.0.1\nmanagement_agent.disable_metrics_collector = true\n`);
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: conf, WARREN_MANAGEMENT_PORT: '' } });
    try {
      assert.equal(b.mgmtPort, port);
      assert.match(b.output(), new RegExp(`management API listening on 127\\.0\\.0\\.1:${port}\\n`));
      const o = (await api(b).get<Json>('/overview')).json;
      assert.deepEqual([o.disable_stats, o.rates_mode, 'message_stats' in o], [true, 'none', false]);
      await api(b).put('/queues/%2F/q', {});
      assert.equal('message_stats' in (await api(b).get<Json>('/queues/%2F/q')).json, false);
    } finally { await b.stop(); }
  });

  it('a raised resource alarm fails the alarm health checks (503) and shows on the node', async () => {
    const conf = join(dir, 'alarm.conf');
    writeFileSync(conf, 'vm_memory_high_watermark.absolute = 1MB\n');
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: conf } });
    try {
      const n = await waitFor<Json[]>(api(b), '/nodes', (l) => l[0]!.mem_alarm === true);
      assert.equal(n[0]!.mem_limit, 1_000_000);
      for (const check of ['alarms', 'local-alarms']) {
        const r = await api(b).get<Json>(`/health/checks/${check}`);
        assert.equal(r.status, 503);
        assert.equal(r.json.status, 'failed');
        assert.deepEqual(r.json.alarms, [{ node: n[0]!.name, resource: 'memory' }]);
      }
    } finally { await b.stop(); }
  });

  it('a management port already in use stops the node: exit 1 with a message, no AMQP line', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    writeFileSync(join(dir, 'ip.conf'), 'management.tcp.ip = 127.0.0.1\n');
    try {
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
        const p = spawn(process.execPath, [serverScript], {
          env: { ...process.env, WARREN_NODE_PORT: '0', WARREN_NODE_IP_ADDRESS: '127.0.0.1', WARREN_MANAGEMENT_PORT: String(port),
            WARREN_DIST_PORT: '0', WARREN_PROMETHEUS_PORT: '0', WARREN_COOKIE_FILE: join(dir, '.warren.cookie'),
            WARREN_CONFIG_FILE: join(dir, 'ip.conf'), WARREN_DATA_DIR: join(dir, 'busy') },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '', err = '';
        p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
        p.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
        const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`did not exit:\n${out}${err}`)); }, 15_000);
        p.once('exit', (code) => { clearTimeout(t); resolve({ code, out, err }); });
      });
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`warren-server: management API cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      assert.doesNotMatch(r.out, /accepting AMQP connections/);
    } finally { await new Promise<void>((res) => busy.close(() => res())); }
  });
});
