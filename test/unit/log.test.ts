// Unit tests for src/log.ts: per-output level thresholds and the plaintext / JSON (RabbitMQ 3.10's
// rabbit_logger_json_fmt keys) line formats.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLine, loggerFor, rfc3339Space, type LogOutput } from '../../src/log.js';

const at = new Date('2026-03-04T05:06:07.089Z');

describe('logger', () => {
  it('plaintext is Warren\'s line: ISO time, [level], message', () => {
    assert.equal(formatLine('plaintext', at, 'warning', 'disk low', { alarm: 'disk' }), '2026-03-04T05:06:07.089Z [warning] disk low\n');
  });

  it('json is one object per line with time (rfc3339_space), level, msg, pid, domain and the fields', () => {
    const line = formatLine('json', at, 'info', 'closing "x"\nnext', { connection: '1.2.3.4:5 -> 6.7.8.9:5672', user: 'guest', vhost: undefined });
    assert.ok(line.endsWith('\n'));
    assert.equal(line.indexOf('\n'), line.length - 1, 'a newline inside msg stays escaped');
    const doc = JSON.parse(line) as Record<string, unknown>;
    assert.equal(doc.time, '2026-03-04 05:06:07.089000+00:00');
    assert.equal(doc.level, 'info');
    assert.equal(doc.msg, 'closing "x"\nnext');
    assert.match(String(doc.pid), /^<0\.\d+\.0>$/);
    assert.equal(doc.domain, 'rabbitmq');
    assert.equal(doc.user, 'guest');
    assert.ok(!('vhost' in doc), 'undefined fields are left out');
    assert.equal(rfc3339Space(at), '2026-03-04 05:06:07.089000+00:00');
  });

  it('each output has its own threshold and format; none silences an output', () => {
    const a: string[] = [], b: string[] = [], c: string[] = [];
    const outs: LogOutput[] = [
      { level: 'debug', format: 'json', write: (l) => a.push(l) },
      { level: 'warning', format: 'plaintext', write: (l) => b.push(l) },
      { level: 'none', format: 'plaintext', write: (l) => c.push(l) },
    ];
    const log = loggerFor(outs, () => at);
    log('debug', 'd'); log('info', 'i'); log('warning', 'w'); log('error', 'e', { event: 'x' });
    assert.deepEqual(a.map((l) => (JSON.parse(l) as { level: string }).level), ['debug', 'info', 'warning', 'error']);
    assert.deepEqual(b, ['2026-03-04T05:06:07.089Z [warning] w\n', '2026-03-04T05:06:07.089Z [error] e\n']);
    assert.deepEqual(c, []);
  });
});
