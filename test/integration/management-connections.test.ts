// /api/connections, /api/channels and /api/consumers with a live amqplib client: RabbitMQ's names
// ("host:port -> host:port", "<connection> (1)"), keys and types, per-vhost and per-connection lists, visibility
// for non-monitoring users, and DELETE closing the connection with 320 CONNECTION_FORCED and the X-Reason text.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, assertRates, assertShape, enc, makeUser, MGMT_TEST_ENV, waitFor, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
let conn: ChannelModel;
let ch: ConfirmChannel;
const p = uniq('mc');
const V = enc('/');
const q = `${p}.q`;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
  conn = await amqp.connect(broker.url, { clientProperties: { connection_name: p } });
  ch = await conn.createConfirmChannel();
  await ch.prefetch(7);
  await ch.assertQueue(q, { durable: false });
  await ch.consume(q, () => {}, { consumerTag: `${p}.ctag`, arguments: { 'x-priority': 4 } });
  ch.sendToQueue(q, Buffer.from('x'));
  await ch.waitForConfirms();
});

after(async () => {
  await conn.close().catch(() => {});
  await a.del(`/queues/${V}/${enc(q)}`);
  for (const c of cleanups) await c();
  await broker.stop();
});

/** The test's connection as the API lists it (RabbitMQ adds state and counts once the connection emitted stats). */
const mine = () => waitFor<Json[]>(a, '/connections', (l) => l.some((c) => c.user_provided_name === p && 'state' in c))
  .then((l) => l.find((c) => c.user_provided_name === p)!);

describe('management API: connections, channels, consumers', () => {
  it('the connection, with RabbitMQ\'s keys, types and name', async () => {
    const c = await mine();
    assertShape(c, { name: 'string', node: 'string', user: 'string', vhost: 'string', state: 'string', protocol: 'string',
      type: 'string', auth_mechanism: 'string', host: 'string', port: 'number', peer_host: 'string', peer_port: 'number',
      ssl: 'boolean', channel_max: 'number', frame_max: 'number', timeout: 'number', channels: 'number',
      connected_at: 'number', client_properties: 'object', user_provided_name: 'string' }, 'connection');
    assert.deepEqual([c.user, c.vhost, c.protocol, c.type, c.auth_mechanism, c.ssl, c.peer_host, c.port],
      ['guest', '/', 'AMQP 0-9-1', 'network', 'PLAIN', false, '127.0.0.1', broker.port]);
    assert.equal(c.name, `127.0.0.1:${c.peer_port} -> 127.0.0.1:${broker.port}`);
    assert.equal((c.client_properties as Json).product, 'amqplib');
    const full = await waitFor<Json>(a, `/connections/${enc(c.name as string)}`, (x) => 'recv_oct' in x);
    assertRates(full, ['recv_oct', 'send_oct'], 'connection');
    const perVhost = (await a.get<Json[]>(`/vhosts/${V}/connections`)).json;
    assert.ok(perVhost.some((x) => x.name === c.name));
  });

  it('its channel: number, prefetch, confirm mode, consumer count, message_stats', async () => {
    const c = await mine();
    const chans = await waitFor<Json[]>(a, `/connections/${enc(c.name as string)}/channels`,
      (l) => l.length === 1 && l[0]!.consumer_count === 1 && ((l[0]!.message_stats as Json | undefined)?.publish as number) >= 1);
    const info = chans[0]!;
    assertShape(info, { name: 'string', number: 'number', user: 'string', vhost: 'string', connection_details: 'object',
      consumer_count: 'number', prefetch_count: 'number', global_prefetch_count: 'number', messages_unacknowledged: 'number',
      messages_unconfirmed: 'number', messages_uncommitted: 'number', acks_uncommitted: 'number', confirm: 'boolean',
      transactional: 'boolean', state: 'string', message_stats: 'object' }, 'channel');
    assert.deepEqual([info.name, info.number, info.consumer_count, info.prefetch_count, info.confirm, info.transactional],
      [`${c.name} (1)`, 1, 1, 7, true, false]);
    assert.deepEqual(info.connection_details, { name: c.name, peer_port: c.peer_port, peer_host: c.peer_host });
    assertRates(info.message_stats as Json, ['publish', 'confirm', 'deliver', 'ack'], 'channel.message_stats');
    const one = await a.get<Json>(`/channels/${enc(info.name as string)}`);
    assert.deepEqual([one.status, one.json.number], [200, 1]);
    assert.ok((await a.get<Json[]>('/channels')).json.some((x) => x.name === info.name));
    assert.ok((await a.get<Json[]>(`/vhosts/${V}/channels`)).json.some((x) => x.name === info.name));
    const page = await a.get<Json>(`/channels?page=1&page_size=100&columns=name`);
    assert.ok((page.json.items as Json[]).some((x) => x.name === info.name));
  });

  it('its consumer, in /api/consumers and in the queue\'s consumer_details', async () => {
    const list = await waitFor<Json[]>(a, `/consumers/${V}`, (l) => l.some((x) => x.consumer_tag === `${p}.ctag`));
    const cons = list.find((x) => x.consumer_tag === `${p}.ctag`)!;
    assertShape(cons, { consumer_tag: 'string', queue: 'object', channel_details: 'object', ack_required: 'boolean',
      exclusive: 'boolean', prefetch_count: 'number', arguments: 'object', active: 'boolean', activity_status: 'string' }, 'consumer');
    assert.deepEqual([cons.queue, cons.ack_required, cons.exclusive, cons.prefetch_count, cons.arguments, cons.active],
      [{ name: q, vhost: '/' }, true, false, 7, { 'x-priority': 4 }, true]);
    assertShape(cons.channel_details, { name: 'string', number: 'number', user: 'string', connection_name: 'string',
      peer_host: 'string', peer_port: 'number' }, 'consumer.channel_details');
    const qinfo = await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => (x.consumer_details as Json[]).length === 1);
    assert.equal((qinfo.consumer_details as Json[])[0]!.consumer_tag, `${p}.ctag`);
    assert.ok((await a.get<Json[]>('/consumers')).json.some((x) => x.consumer_tag === `${p}.ctag`));
  });

  it('a user without monitoring sees only their own connections and cannot close others\'', async () => {
    const u = `${p}.user`;
    cleanups.push(await makeUser(a, u, 'management', ['.*', '.*', '.*']));
    const c = await mine();
    const other = a.as(u, 'pw');
    assert.deepEqual((await other.get('/connections')).json, []);
    assert.deepEqual((await other.get('/channels')).json, []);
    const r = await other.get(`/connections/${enc(c.name as string)}`);
    assert.deepEqual([r.status, r.json], [401, { error: 'not_authorised', reason: 'User not authorised to access object' }]);
    assert.equal((await other.del(`/connections/${enc(c.name as string)}`)).status, 401);
  });

  it('missing connections and channels are 404', async () => {
    assert.equal((await a.get(`/connections/${enc('127.0.0.1:1 -> 127.0.0.1:2')}`)).status, 404);
    assert.equal((await a.get(`/channels/${enc('127.0.0.1:1 -> 127.0.0.1:2 (1)')}`)).status, 404);
    assert.equal((await a.del(`/connections/${enc('127.0.0.1:1 -> 127.0.0.1:2')}`)).status, 404);
  });

  it('DELETE closes the connection with 320 CONNECTION_FORCED and the X-Reason text', async () => {
    const c = await mine();
    // amqplib reports a server close with 'close' (320 is not an 'error' to it).
    const closed = new Promise<Error & { code?: number }>((resolve) => conn.once('close', resolve));
    const r = await a.del(`/connections/${enc(c.name as string)}`, { headers: { 'X-Reason': `${p} says bye` } });
    assert.equal(r.status, 204);
    const e = await closed;
    assert.equal(e.code, 320);
    assert.match(e.message, new RegExp(`CONNECTION_FORCED - ${p} says bye`));
    await waitFor<Json[]>(a, '/connections', (l) => !l.some((x) => x.name === c.name));
  });
});
