// Scaled-down runs of the load scenarios in bench/load/ (full sizes: node dist/bench/load/run.js): 300 idle
// connections, 200 channels on one connection, 1,000 queues with 5,000 bindings (declared, then deleted),
// and 200 connections per second opening and closing for 2 s. Every client must succeed and the alarms
// health check must answer throughout. Figures are printed as diagnostics, never asserted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../support/broker.js';
import { channels, churn, declares, idleConnections, type Result } from '../../bench/load/scenarios.js';
import { dropVhost, ensureVhost, type Target } from '../../bench/load/lib.js';

describe('load smoke', { timeout: 120_000 }, () => {
  let b: TestBroker;
  let t: Target;
  before(async () => {
    b = await startBroker();
    // Its own vhost, so that it can also run against a shared RabbitMQ (WARREN_TEST_URL).
    t = { host: b.host, port: b.port, mgmtUrl: b.mgmtUrl, vhost: `load-smoke-${process.pid}`, pid: b.proc?.pid };
    await ensureVhost(t);
  });
  after(async () => { if (t) await dropVhost(t); await b?.stop(); });

  const healthy = (r: Result) => {
    assert.ok(r.health.checks > 0, 'the health check ran');
    assert.equal(r.health.failures, 0, `health check failures: ${JSON.stringify(r.health)}`);
  };

  it('300 idle connections', async (ctx) => {
    const r = await idleConnections(t, { count: 300 });
    ctx.diagnostic(JSON.stringify(r));
    assert.deepEqual([r.opened, r.failed, r.aliveAfterwards], [300, 0, 300]);
    healthy(r);
  });

  it('200 channels on one connection', async (ctx) => {
    const r = await channels(t, { count: 200 });
    ctx.diagnostic(JSON.stringify(r));
    assert.deepEqual([r.opened, r.failed, r.closed], [200, 0, 200]);
    healthy(r);
  });

  it('1,000 queues and 5,000 bindings declared and deleted', async (ctx) => {
    const r = await declares(t, { queues: 1000, bindings: 5000 });
    ctx.diagnostic(JSON.stringify(r));
    healthy(r);
  });

  it('200 connections per second opening and closing for 2 s', async (ctx) => {
    const r = await churn(t, { rate: 200, seconds: 2 });
    ctx.diagnostic(JSON.stringify(r));
    assert.equal(r.failed, 0, `failures: ${JSON.stringify(r.errors)}`);
    assert.equal(r.skipped, 0);
    assert.equal(r.ok, r.attempted);
    assert.ok((r.ok as number) >= 300, `ran ${r.ok} connections`);
    healthy(r);
  });
});
