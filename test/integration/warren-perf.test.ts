// Integration tests for the warren-perf CLI: runs it as users do (a child process, --json) against a real
// broker for ~2 s and checks the result's fields and that the counts are positive and consistent. Speed is
// measured in benchmarks, never asserted here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type TestBroker } from '../support/broker.js';
import { uniq } from '../support/amqp.js';
import { connect } from '../../src/client/index.js';
import type { PerfResult } from '../../src/perf/report.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/warren-perf.js, seen from dist/test/integration/. */
const cli = join(here, '..', '..', 'src', 'cli', 'warren-perf.js');
const limits = { timeout: 30_000 };
let broker: TestBroker;
const exchanges: string[] = [];

function perf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, '-h', broker.url, ...args], { timeout: 25_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A durable exchange of the test's own (PerfTest's default "direct" would be left behind on a shared broker). */
function exchange(): string[] {
  const x = uniq('perf.direct');
  exchanges.push(x);
  return ['-e', x];
}

async function perfJson(args: string[]): Promise<PerfResult> {
  const r = await perf([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as PerfResult;
}

function checkLatency(l: PerfResult['latencyUs']): void {
  assert.ok(l.count > 0);
  assert.ok(l.min <= l.p50 && l.p50 <= l.p75 && l.p75 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l));
}

describe('warren-perf', () => {
  before(async () => { broker = await startBroker(); });
  after(async () => {
    // The exchanges are durable (as PerfTest declares them): remove them from a shared broker.
    const c = await connect(broker.url);
    const ch = await c.createChannel();
    for (const x of exchanges) await ch.exchangeDelete(x);
    await c.close();
    await broker.stop();
  });

  it('1 producer, 1 consumer, autoack, 2 s: JSON fields and consistent counts', limits, async () => {
    const r = await perfJson(['-z', '2', '-s', '16', '-a', '--id', 'auto', ...exchange()]);
    assert.equal(r.id, 'auto');
    assert.ok(!r.broker.includes(':guest@'), 'no password in the output');
    assert.equal(r.options.autoack, true);
    assert.ok(r.duration >= 2);
    assert.ok(r.sent > 0);
    assert.ok(r.received > 0);
    assert.ok(r.received <= r.sent);
    assert.equal(r.confirmed, 0);
    assert.ok(r.sendRate > 0 && r.receiveRate > 0);
    checkLatency(r.latencyUs);
    assert.equal(r.samples.length, 2);
    for (const s of r.samples) assert.deepEqual(Object.keys(s).sort(), ['confirmed', 'latencyUs', 'nacked', 'received', 'sent', 'time']);
    assert.equal(r.error, undefined);
  });

  it('confirms, persistent, named queue, prefetch and multi-ack: every confirmed message is received', limits, async () => {
    const q = uniq('perf.q');
    const r = await perfJson(['-C', '3000', '-c', '100', '--persistent', '-s', '1000', '-q', '100', '--multi-ack-every', '10', '-u', q, ...exchange()]);
    assert.equal(r.sent, 3000);
    assert.equal(r.confirmed, 3000);
    assert.equal(r.nacked, 0);
    assert.equal(r.received, 3000);
    checkLatency(r.latencyUs);
  });

  it('fanout to 2 consumers and a topic exchange with a queue pattern over 2 workers', limits, async () => {
    const x = uniq('perf.fanout');
    exchanges.push(x);
    const fan = await perfJson(['-e', x, '-t', 'fanout', '-y', '2', '-C', '500', '-r', '1000']);
    assert.equal(fan.sent, 500);
    assert.equal(fan.received, 1000, 'each consumer gets every message');
    const t = uniq('perf.topic');
    exchanges.push(t);
    const topic = await perfJson(['-e', t, '-t', 'topic', '--queue-pattern', `${t}-%d`, '--queue-pattern-to', '2', '-x', '2', '-y', '2',
      '-C', '400', '--workers', '2', '--queue-args', 'x-max-length=100000']);
    assert.equal(topic.sent, 800);
    assert.equal(topic.received, 800);
    checkLatency(topic.latencyUs);
  });

  it('text output: PerfTest-style line per second and a summary; bad options exit 2', limits, async () => {
    const r = await perf(['-z', '1', '-r', '200', '--id', 'txt', ...exchange()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^id: txt, time 1\.\d{3} s, sent: \d+ msg\/s, received: \d+ msg\/s, min\/median\/75th\/95th\/99th consumer latency: \d+\/\d+\/\d+\/\d+\/\d+ µs$/m);
    assert.match(r.stdout, /^id: txt, sending rate avg: \d+ msg\/s$/m);
    assert.match(r.stdout, /^id: txt, receiving rate avg: \d+ msg\/s$/m);
    assert.match(r.stdout, /^id: txt, consumer latency min\/median\/75th\/95th\/99th\/99\.9th\/max: (\d+\/){6}\d+ µs$/m);
    const bad = await perf(['--type', 'headers']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--type/);
  });
});
