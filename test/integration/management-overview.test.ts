// /api/overview, /api/nodes, /api/cluster-name, the health checks and /api/aliveness-test in RabbitMQ 3.10's
// shapes; message rates that move while a client publishes (sampled every collect_statistics_interval).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { sleep, uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, assertRates, assertShape, enc, MGMT_TEST_ENV, waitFor, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
const p = uniq('mo');
const V = enc('/');

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
});

after(async () => {
  await a.del(`/queues/${V}/aliveness-test`);
  await a.del(`/queues/${V}/${p}.rates`);
  await broker.stop();
});

describe('management API: overview and nodes', () => {
  it('overview: versions, totals, listeners and contexts', async () => {
    const o = await waitFor<Json>(a, '/overview', (x) => 'message_stats' in x && 'queue_totals' in x);
    assertShape(o, { management_version: 'string', rates_mode: 'string', rabbitmq_version: 'string', product_name: 'string',
      product_version: 'string', cluster_name: 'string', node: 'string', exchange_types: 'array', object_totals: 'object',
      queue_totals: 'object', message_stats: 'object', listeners: 'array', contexts: 'array', disable_stats: 'boolean',
      sample_retention_policies: 'object', statistics_db_event_queue: 'number' }, 'overview');
    assert.equal(o.rates_mode, 'basic');
    assertShape(o.object_totals, { channels: 'number', connections: 'number', consumers: 'number', exchanges: 'number', queues: 'number' });
    assertRates(o.message_stats as Json, ['publish', 'deliver_get', 'ack', 'confirm', 'redeliver'], 'overview.message_stats');
    const listeners = o.listeners as Json[];
    assert.ok(listeners.some((l) => l.protocol === 'amqp' && l.port === broker.port), 'AMQP listener');
    assert.ok(listeners.some((l) => l.protocol === 'http' && l.port === broker.mgmtPort), 'HTTP listener');
    for (const l of listeners) assertShape(l, { node: 'string', protocol: 'string', ip_address: 'string', port: 'number' }, 'listener');
    const cols = (await a.get<Json>('/overview?columns=node,object_totals.queues')).json;
    assert.deepEqual(Object.keys(cols).sort(), ['node', 'object_totals']);
  });

  it('nodes: the node by name; not found for another name', async () => {
    const nodes = (await a.get<Json[]>('/nodes')).json;
    assert.equal(nodes.length, 1);
    const n = nodes[0]!;
    assertShape(n, { name: 'string', type: 'string', running: 'boolean', os_pid: 'string', mem_used: 'number', mem_limit: 'number',
      mem_alarm: 'boolean', disk_free: 'number', disk_free_limit: 'number', disk_free_alarm: 'boolean', fd_used: 'number',
      fd_total: 'number', sockets_used: 'number', sockets_total: 'number', uptime: 'number', processors: 'number',
      exchange_types: 'array', auth_mechanisms: 'array', applications: 'array', contexts: 'array', partitions: 'array',
      rates_mode: 'string', db_dir: 'string', config_files: 'array', log_files: 'array' }, 'node');
    assert.deepEqual([n.type, n.running, n.partitions], ['disc', true, []]);
    assertRates(n, ['connection_created', 'connection_closed', 'channel_created', 'channel_closed', 'queue_declared',
      'queue_created', 'queue_deleted'], 'node');
    assert.equal((await a.get<Json>(`/nodes/${enc(n.name as string)}`)).json.name, n.name);
    // RabbitMQ 3.10 crashes (500) on an unknown node name; Warren answers 404.
    assert.ok([404, 500].includes((await a.get(`/nodes/${p}@nowhere`)).status));
  });

  it('cluster-name: GET gives the name', async () => {
    const r = await a.get<Json>('/cluster-name');
    assertShape(r.json, { name: 'string' });
  });

  it('message rates follow a publishing client (basic rates mode)', async () => {
    const q = `${p}.rates`;
    await a.put(`/queues/${V}/${enc(q)}`, {});
    const c = await amqp.connect(broker.url);
    const ch = await c.createChannel();
    let running = true;
    const pump = (async () => { while (running) { for (let i = 0; i < 20; i++) ch.sendToQueue(q, Buffer.from('r')); await sleep(20); } })();
    try {
      const j = await waitFor<Json>(a, `/queues/${V}/${enc(q)}`,
        (x) => ((x.message_stats as Json | undefined)?.publish_details as Json | undefined)?.rate as number > 0
          && (x.messages_details as Json).rate as number > 0, 20_000);
      assert.ok(((j.message_stats as Json).publish as number) > 0);
      await waitFor<Json>(a, '/overview', (o) => ((o.message_stats as Json).publish_details as Json).rate as number > 0, 20_000);
      await waitFor<Json>(a, '/vhosts', (l) => (l as unknown as Json[]).some((v) => v.name === '/' &&
        ((v.message_stats as Json | undefined)?.publish_details as Json | undefined)?.rate as number > 0), 20_000);
    } finally {
      running = false;
      await pump;
      await c.close();
    }
  });
});

describe('management API: health checks', () => {
  it('alarms, local alarms, virtual hosts and quorum criticality are ok', async () => {
    for (const check of ['alarms', 'local-alarms', 'virtual-hosts', 'node-is-quorum-critical', 'node-is-mirror-sync-critical']) {
      const r = await a.get<Json>(`/health/checks/${check}`);
      assert.deepEqual([r.status, r.json.status], [200, 'ok'], check);
    }
    assert.equal((await a.get('/health/checks/alarms', { auth: null })).status, 401);
  });

  it('port-listener: ok for the AMQP port, 503 failed for another; 400 for a bad port', async () => {
    const r = await a.get<Json>(`/health/checks/port-listener/${broker.port}`);
    assert.deepEqual([r.status, r.json], [200, { status: 'ok', port: broker.port }]);
    const bad = await a.get<Json>('/health/checks/port-listener/1');
    assert.equal(bad.status, 503);
    assertShape(bad.json, { status: 'string', reason: 'string', missing: 'number', ports: 'array' }, 'failure');
    assert.deepEqual([bad.json.status, bad.json.reason, bad.json.missing], ['failed', 'No active listener', 1]);
    assert.equal((await a.get('/health/checks/port-listener/abc')).status, 400);
  });

  it('protocol-listener: amqp (and its aliases) ok, others 503', async () => {
    for (const proto of ['amqp', 'amqp091', 'AMQP0-9-1']) {
      const r = await a.get<Json>(`/health/checks/protocol-listener/${proto}`);
      assert.deepEqual([r.status, r.json], [200, { status: 'ok', protocol: 'amqp' }], proto);
    }
    const bad = await a.get<Json>('/health/checks/protocol-listener/stomp');
    assert.deepEqual([bad.status, bad.json.status, bad.json.missing], [503, 'failed', 'stomp']);
  });

  it('aliveness-test: ok for a vhost, 404 for a missing one', async () => {
    assert.deepEqual((await a.get(`/aliveness-test/${V}`)).json, { status: 'ok' });
    assert.equal((await a.get(`/aliveness-test/${p}.novhost`)).status, 404);
  });

  it('the management port\'s own listener is reported', async () => {
    const r = await a.get<Json>(`/health/checks/port-listener/${broker.mgmtPort}`);
    assert.equal(r.json.status, 'ok');
  });
});
