// Integration tests: warren-server's log outputs as RabbitMQ 3.10 configures them. log.console.formatter = json
// gives one JSON object per stderr line (time, level, msg and the connection's fields); levels filter per
// output; log.file gets its own level and format; the startup lines scripts parse stay plain on stdout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { external, startWarren } from '../support/broker.js';
import { eventually } from '../support/amqp.js';

let dir: string;

describe('structured logs', { skip: external ? 'needs a Warren process of its own' : false }, () => {
  before(() => { dir = mkdtempSync(join(tmpdir(), 'warren-log-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('json on the console, plaintext warnings in log.file, startup lines unchanged on stdout', async () => {
    const conf = join(dir, 'json.conf');
    writeFileSync(conf, 'log.console.formatter = json\nlog.console.level = info\n' +
      'log.file = logs/warren.log\nlog.file.level = warning\nlog.file.formatter = plaintext\n');
    // An empty WARREN_LOG_LEVEL (startWarren sets "warning") leaves the levels to warren.conf.
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: conf, WARREN_LOG_LEVEL: '' } });
    try {
      assert.match(b.output(), /^Warren \S+ node \S+ accepting AMQP connections on \S+:\d+ \(data in .*\)$/m);
      assert.match(b.output(), /^management API listening on \S+:\d+$/m);
      const c = await amqp.connect(b.url);
      await c.close();
      await assert.rejects(amqp.connect(b.url.replace('guest:guest', 'guest:wrong')));

      const jsonLines = () => {
        // b.output() interleaves stdout; JSON lines are the ones starting with "{".
        return b.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      };
      await eventually(() => jsonLines().some((d) => d.event === 'connection_closed'));
      await eventually(() => jsonLines().some((d) => d.event === 'auth_failure'));
      const docs = jsonLines();
      for (const d of docs) {
        assert.equal(typeof d.msg, 'string');
        assert.match(String(d.time), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00$/);
        assert.ok(['info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'].includes(String(d.level)), `level ${String(d.level)} passes info`);
      }
      // Every stderr line is JSON: nothing but stdout's startup lines is plain text.
      for (const l of b.output().split('\n')) {
        if (l === '' || l.startsWith('{')) continue;
        assert.match(l, /^(Warren .* accepting AMQP connections on|management API listening on|prometheus listening on|control listening on)/);
      }
      const opened = docs.find((d) => d.event === 'connection_opened')!;
      assert.equal(opened.level, 'info');
      assert.equal(opened.user, 'guest');
      assert.equal(opened.vhost, '/');
      assert.match(String(opened.peer), /^(::ffff:)?127\.0\.0\.1:\d+$/);
      assert.match(String(opened.connection), / -> /);
      const closed = docs.find((d) => d.event === 'connection_closed')!;
      assert.equal(closed.connection, opened.connection);
      const refused = docs.find((d) => d.event === 'auth_failure')!;
      assert.equal(refused.level, 'error');
      assert.equal(refused.user, 'guest');
      assert.match(String(refused.msg), /PLAIN login refused: user 'guest' - invalid credentials/);
      assert.ok(docs.some((d) => /^using config file /.test(String(d.msg))));

      // The file: plaintext, warning and up only.
      const file = readFileSync(join(b.dataDir!, 'logs', 'warren.log'), 'utf8');
      const lines = file.split('\n').filter(Boolean);
      assert.ok(lines.length >= 1);
      for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\S+Z \[(warning|error|critical|alert|emergency)\] /);
      assert.match(file, /\[error\] Error on AMQP connection .*PLAIN login refused/);
      assert.doesNotMatch(file, /authenticated and granted access/);
    } finally { await b.stop(); }
  });

  it('json in log.file with console off; log.console.level = error filters info out', async () => {
    const conf = join(dir, 'file.conf');
    writeFileSync(conf, 'log.console.level = error\nlog.file = warren.json.log\nlog.file.formatter = json\nlog.file.level = debug\n');
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: conf, WARREN_LOG_LEVEL: '' } });
    try {
      const c = await amqp.connect(b.url);
      await c.close();
      const path = join(b.dataDir!, 'warren.json.log');
      await eventually(() => readFileSync(path, 'utf8').includes('connection_closed'));
      const docs = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(docs.every((d) => typeof d.time === 'string' && typeof d.level === 'string' && typeof d.msg === 'string'));
      assert.ok(docs.some((d) => d.event === 'connection_opened' && d.user === 'guest'));
      assert.ok(docs.some((d) => /^recovered \d+ log records/.test(String(d.msg))));
      // Console at error: none of those info lines reached stderr.
      assert.doesNotMatch(b.output(), /\[info\]|"level":"info"/);
    } finally { await b.stop(); }
  });

  it('an unknown formatter is a configuration error', async () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, 'log.console.formatter = yaml\n');
    await assert.rejects(startWarren({ env: { WARREN_CONFIG_FILE: conf } }),
      /warren-server exited with 78 .*invalid value 'yaml' for 'log.console.formatter': expected one of: plaintext, json/s);
  });
});
