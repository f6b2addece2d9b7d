// /api/queues: declare (201, then 204; 400 for inequivalent arguments and bad bodies), show (RabbitMQ's keys
// and types), list with pagination, name filter, sorting and columns, get messages in every ack mode, purge,
// delete (if-empty), and 404 for missing queues and vhosts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type ChannelModel } from 'amqplib';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, assertRates, assertShape, enc, MGMT_TEST_ENV, waitFor, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
let conn: ChannelModel;
const p = uniq('mq');
const V = enc('/');
const made: string[] = [];

async function declare(name: string, body: Json = {}): Promise<number> {
  made.push(name);
  return (await a.put(`/queues/${V}/${enc(name)}`, body)).status;
}

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
  conn = await amqp.connect(broker.url);
});

after(async () => {
  await conn.close().catch(() => {});
  for (const q of made) await a.del(`/queues/${V}/${enc(q)}`);
  await broker.stop();
});

describe('management API: queues', () => {
  it('PUT declares (201), again is 204, inequivalent is 400 with the AMQP text', async () => {
    const q = `${p}.decl`;
    assert.equal(await declare(q, { durable: true, arguments: { 'x-message-ttl': 60000 } }), 201);
    assert.equal(await declare(q, { durable: 'true', arguments: { 'x-message-ttl': 60000 } }), 204);
    const r = await a.put(`/queues/${V}/${enc(q)}`, { durable: false });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { error: 'bad_request',
      reason: `inequivalent arg 'durable' for queue '${q}' in vhost '/': received 'false' but current is 'true'` });
  });

  it('bad bodies are 400: not JSON, a non-boolean durable; amq.* names are refused', async () => {
    const q = `${p}.bad`;
    let r = await a.req('PUT', `/queues/${V}/${enc(q)}`, undefined, { raw: '{bad' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'not_json' }]);
    r = await a.put(`/queues/${V}/${enc(q)}`, { durable: 'x' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: ['not_boolean', 'x'] }]);
    r = await a.put(`/queues/${V}/amq.${p}`, {});
    assert.deepEqual([r.status, r.json], [401, { error: 'not_authorised', reason: 'Access refused.' }]);
  });

  it('GET shows the queue with RabbitMQ\'s keys and types', async () => {
    const q = `${p}.show`;
    await declare(q, { auto_delete: false, arguments: { 'x-max-length': 100 } });
    const j = (await a.get<Json>(`/queues/${V}/${enc(q)}`)).json;
    assertShape(j, {
      name: 'string', vhost: 'string', durable: 'boolean', auto_delete: 'boolean', exclusive: 'boolean',
      arguments: 'object', node: 'string', type: 'string', consumer_details: 'array', deliveries: 'array', incoming: 'array',
    }, 'queue');
    assert.deepEqual([j.name, j.vhost, j.durable, j.type, j.arguments], [q, '/', false, 'classic', { 'x-max-length': 100 }]);
    // The statistics keys appear once the queue has been sampled (RabbitMQ: within 5 s).
    const s = await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => 'messages' in x);
    assertShape(s, { consumers: 'number', state: 'string', policy: 'string|null', exclusive_consumer_tag: 'string|null',
      effective_policy_definition: 'object', memory: 'number', message_bytes: 'number' }, 'queue');
    assertRates(s, ['messages', 'messages_ready', 'messages_unacknowledged'], 'queue');
  });

  it('message_bytes counts ready and unacknowledged bodies; an ack takes them out', async () => {
    const q = `${p}.bytes`;
    await declare(q);
    const ch = await conn.createChannel();
    for (const n of [100, 100, 50]) ch.sendToQueue(q, Buffer.alloc(n, 1));
    await ch.prefetch(2);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) got.push(m); });
    const bytesOf = (x: Json) => [x.message_bytes, x.message_bytes_ready, x.message_bytes_unacknowledged, x.messages_unacknowledged];
    const held = await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => x.messages_unacknowledged === 2 && x.message_bytes === 250);
    assert.deepEqual(bytesOf(held), [250, 50, 200, 2]);
    for (const m of got.splice(0)) ch.ack(m);
    const acked = await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => x.messages_unacknowledged === 1 && x.message_bytes === 50);
    assert.deepEqual(bytesOf(acked), [50, 0, 50, 1]);
    await ch.close();
    const back = await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => x.messages_ready === 1 && x.message_bytes === 50);
    assert.deepEqual(bytesOf(back), [50, 50, 0, 0], 'closing the channel requeued the last one');
  });

  it('missing queue or vhost: 404 for GET, DELETE, purge and get', async () => {
    for (const [m, path] of [['GET', `/queues/${V}/${p}.none`], ['DELETE', `/queues/${V}/${p}.none`],
      ['DELETE', `/queues/${V}/${p}.none/contents`], ['GET', `/queues/${p}.novhost`], ['GET', `/queues/${p}.novhost/x`]] as const) {
      const r = await a.req(m, path);
      assert.deepEqual([r.status, r.json], [404, { error: 'Object Not Found', reason: 'Not Found' }], `${m} ${path}`);
    }
    const r = await a.post(`/queues/${V}/${p}.none/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' });
    assert.equal(r.status, 404);
  });

  it('lists with pagination, name filter (substring or regex), sort, sort_reverse and columns', async () => {
    for (const n of ['b', 'a', 'c']) await declare(`${p}.list.${n}`);
    const ch = await conn.createChannel();
    for (let i = 0; i < 3; i++) ch.sendToQueue(`${p}.list.c`, Buffer.from('x'));
    await ch.close();
    const all = (await a.get<Json[]>(`/queues?columns=name,vhost`)).json;
    assert.ok(all.every((q) => Object.keys(q).sort().join() === 'name,vhost'));
    const mine = all.filter((q) => (q.name as string).startsWith(`${p}.list.`)).map((q) => q.name);
    assert.deepEqual(mine, [`${p}.list.a`, `${p}.list.b`, `${p}.list.c`], 'sorted by vhost, name');
    const page = await a.get<Json>(`/queues/${V}?page=2&page_size=1&name=${enc(`${p}.list.`)}&columns=name`);
    assert.equal(page.status, 200);
    assertShape(page.json, { filtered_count: 'number', item_count: 'number', items: 'array', page: 'number',
      page_count: 'number', page_size: 'number', total_count: 'number' }, 'page');
    assert.deepEqual([page.json.filtered_count, page.json.item_count, page.json.page, page.json.page_count, page.json.page_size],
      [3, 1, 2, 3, 1]);
    assert.deepEqual(page.json.items, [{ name: `${p}.list.b` }]);
    const re = await a.get<Json>(`/queues?page=1&name=${enc(`^${p.replace('.', '\\.')}\\.list\\.[ab]$`)}&use_regex=true&sort=name&sort_reverse=true&columns=name`);
    assert.deepEqual(re.json.items, [{ name: `${p}.list.b` }, { name: `${p}.list.a` }]);
    await waitFor<Json>(a, `/queues/${V}/${enc(`${p}.list.c`)}`, (q) => q.messages === 3);
    const byMessages = await a.get<Json>(`/queues?page=1&name=${enc(`${p}.list.`)}&sort=messages&sort_reverse=true&columns=name,messages`);
    assert.deepEqual((byMessages.json.items as Json[])[0], { name: `${p}.list.c`, messages: 3 });
  });

  it('bad pagination parameters are 400 as RabbitMQ words them', async () => {
    let r = await a.get('/queues?page=0');
    assert.deepEqual([r.status, r.json], [400, { error: 'invalid_pagination_parameters',
      reason: 'Invalid pagination parameters: page number 0, page size undefined' }]);
    r = await a.get('/queues?page=1&page_size=600');
    assert.equal((r.json as Json).error, 'invalid_pagination_parameters');
    r = await a.get('/queues?page=9999');
    assert.deepEqual([r.status, (r.json as Json).error], [400, 'page_out_of_range']);
    r = await a.get('/queues?page=abc');
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'Pagination parameters are invalid' }]);
  });

  it('POST .../get: ack_requeue_true keeps messages (redelivered), ack_requeue_false takes them, base64 for binary', async () => {
    const q = `${p}.get`;
    await declare(q);
    const ch = await conn.createChannel();
    ch.sendToQueue(q, Buffer.from('hello'), { contentType: 'text/plain', headers: { h: 'v' }, messageId: 'm1', priority: 3 });
    ch.sendToQueue(q, Buffer.from([0xff, 0x00, 0xfe]));
    await ch.close();
    await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => x.messages === 2);
    const path = `/queues/${V}/${enc(q)}/get`;
    let r = await a.post<Json[]>(path, { count: 5, ackmode: 'ack_requeue_true', encoding: 'auto', truncate: 50000 });
    assert.equal(r.status, 200);
    assert.equal(r.json.length, 2);
    assertShape(r.json[0], { payload_bytes: 'number', redelivered: 'boolean', exchange: 'string', routing_key: 'string',
      message_count: 'number', properties: 'object', payload: 'string', payload_encoding: 'string' }, 'message');
    assert.deepEqual([r.json[0]!.payload, r.json[0]!.payload_encoding, r.json[0]!.routing_key], ['hello', 'string', q]);
    assert.deepEqual(r.json[0]!.properties, { content_type: 'text/plain', headers: { h: 'v' }, message_id: 'm1', priority: 3 });
    assert.deepEqual([r.json[1]!.payload, r.json[1]!.payload_encoding], [Buffer.from([0xff, 0x00, 0xfe]).toString('base64'), 'base64']);
    r = await a.post<Json[]>(path, { count: 1, ackmode: 'ack_requeue_false', encoding: 'base64' });
    assert.deepEqual([r.json.length, r.json[0]!.redelivered, r.json[0]!.payload], [1, true, Buffer.from('hello').toString('base64')]);
    r = await a.post<Json[]>(path, { count: '2', ackmode: 'reject_requeue_false', encoding: 'auto' });
    assert.equal(r.json.length, 1);
    r = await a.post<Json[]>(path, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.deepEqual(r.json, []);
    r = await a.post(path, { count: 1, ackmode: 'ack_requeue_false' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: '[{key_missing,encoding}]' }]);
    r = await a.post(path, { count: 1, ackmode: 'ack_requeue_false', encoding: 'hex' });
    assert.equal(r.status, 400);
  });

  it('DELETE .../contents purges; DELETE ?if-empty=true refuses a queue with messages', async () => {
    const q = `${p}.purge`;
    await declare(q);
    const ch = await conn.createChannel();
    ch.sendToQueue(q, Buffer.from('x'));
    await ch.close();
    await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => x.messages === 1);
    const r = await a.del(`/queues/${V}/${enc(q)}?if-empty=true`);
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: `queue '${q}' in vhost '/' not empty` }]);
    assert.equal((await a.del(`/queues/${V}/${enc(q)}/contents`)).status, 204);
    assert.equal((await a.post<Json[]>(`/queues/${V}/${enc(q)}/get`, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' })).json.length, 0);
    assert.equal((await a.del(`/queues/${V}/${enc(q)}?if-empty=true`)).status, 204);
    assert.equal((await a.get(`/queues/${V}/${enc(q)}`)).status, 404);
  });

  it('a queue\'s bindings include the default exchange\'s', async () => {
    const q = `${p}.qb`;
    await declare(q);
    assert.equal((await a.post(`/bindings/${V}/e/amq.direct/q/${enc(q)}`, { routing_key: 'k' })).status, 201);
    const r = await a.get<Json[]>(`/queues/${V}/${enc(q)}/bindings`);
    assert.deepEqual(r.json.map((b) => [b.source, b.routing_key, b.destination_type]), [['', q, 'queue'], ['amq.direct', 'k', 'queue']]);
  });
});
