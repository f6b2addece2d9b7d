// /api/exchanges: declare, show, list, delete (if-unused), publish (routed or not, string or base64 payloads,
// properties), the exchange's bindings as source and destination, and the errors RabbitMQ gives (system
// exchanges, unknown types, bad payloads, missing exchanges).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, assertRates, assertShape, enc, MGMT_TEST_ENV, waitFor, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
const p = uniq('mx');
const V = enc('/');
const exchanges: string[] = [];
const queues: string[] = [];

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
});

after(async () => {
  for (const q of queues) await a.del(`/queues/${V}/${enc(q)}`);
  for (const x of exchanges) await a.del(`/exchanges/${V}/${enc(x)}`);
  await broker.stop();
});

async function exchange(name: string, body: Json): Promise<number> {
  exchanges.push(name);
  return (await a.put(`/exchanges/${V}/${enc(name)}`, body)).status;
}

async function queue(name: string): Promise<void> {
  queues.push(name);
  assert.equal((await a.put(`/queues/${V}/${enc(name)}`, {})).status, 201);
}

describe('management API: exchanges', () => {
  it('PUT declares (201/204), GET shows RabbitMQ\'s keys, the list has the amq.* exchanges', async () => {
    const x = `${p}.topic`;
    assert.equal(await exchange(x, { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'amq.fanout' } }), 201);
    assert.equal(await exchange(x, { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'amq.fanout' } }), 204);
    const j = (await a.get<Json>(`/exchanges/${V}/${enc(x)}`)).json;
    assertShape(j, { name: 'string', vhost: 'string', type: 'string', durable: 'boolean', auto_delete: 'boolean',
      internal: 'boolean', arguments: 'object', incoming: 'array', outgoing: 'array', user_who_performed_action: 'string' }, 'exchange');
    assert.deepEqual([j.type, j.durable, j.arguments], ['topic', true, { 'alternate-exchange': 'amq.fanout' }]);
    const names = (await a.get<Json[]>(`/exchanges/${V}?columns=name,type`)).json;
    for (const [n, t] of [['', 'direct'], ['amq.direct', 'direct'], ['amq.fanout', 'fanout'], ['amq.topic', 'topic'], ['amq.headers', 'headers']]) {
      assert.ok(names.some((e) => e.name === n && e.type === t), `${n} listed`);
    }
    const d = (await a.get<Json>(`/exchanges/${V}/amq.default`)).json;
    assert.deepEqual([d.name, d.type, d.durable], ['', 'direct', true]);
  });

  it('errors: inequivalent 400, unknown type 400, system exchanges 401 Access refused., missing 404', async () => {
    const x = `${p}.direct`;
    await exchange(x, {});
    let r = await a.put(`/exchanges/${V}/${enc(x)}`, { type: 'topic' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request',
      reason: `inequivalent arg 'type' for exchange '${x}' in vhost '/': received 'topic' but current is 'direct'` }]);
    r = await a.put(`/exchanges/${V}/${p}.nope`, { type: 'nope' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: "unknown exchange type 'nope'" }]);
    for (const req of [a.del(`/exchanges/${V}/amq.direct`), a.put(`/exchanges/${V}/amq.${p}`, { type: 'direct' })]) {
      r = await req;
      assert.deepEqual([r.status, r.json], [401, { error: 'not_authorised', reason: 'Access refused.' }]);
    }
    for (const path of [`/exchanges/${V}/${p}.missing`, `/exchanges/${p}.novhost/x`]) {
      r = await a.get(path);
      assert.deepEqual([r.status, r.json], [404, { error: 'Object Not Found', reason: 'Not Found' }]);
    }
    assert.equal((await a.del(`/exchanges/${V}/${p}.missing`)).status, 404);
  });

  it('DELETE ?if-unused=true refuses an exchange with bindings', async () => {
    const x = `${p}.used`, q = `${p}.used.q`;
    await exchange(x, { type: 'fanout' });
    await queue(q);
    assert.equal((await a.post(`/bindings/${V}/e/${enc(x)}/q/${enc(q)}`, {})).status, 201);
    const r = await a.del(`/exchanges/${V}/${enc(x)}?if-unused=true`);
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: `exchange '${x}' in vhost '/' in use` }]);
    assert.equal((await a.del(`/exchanges/${V}/${enc(x)}`)).status, 204);
    assert.equal((await a.get(`/exchanges/${V}/${enc(x)}`)).status, 404);
  });

  it('publish: routed true/false, properties and base64 payloads arrive; publish_in/out counted', async () => {
    const x = `${p}.pub`, q = `${p}.pub.q`;
    await exchange(x, { type: 'direct' });
    await queue(q);
    await a.post(`/bindings/${V}/e/${enc(x)}/q/${enc(q)}`, { routing_key: 'k' });
    const path = `/exchanges/${V}/${enc(x)}/publish`;
    let r = await a.post<Json>(path, { routing_key: 'k', payload: 'hi', payload_encoding: 'string',
      properties: { delivery_mode: 2, headers: { n: 1 }, correlation_id: 'c1' } });
    assert.deepEqual([r.status, r.json], [200, { routed: true }]);
    r = await a.post<Json>(path, { routing_key: 'k', payload: Buffer.from([0xff, 0, 3]).toString('base64'), payload_encoding: 'base64', properties: {} });
    assert.deepEqual(r.json, { routed: true });
    r = await a.post<Json>(path, { routing_key: 'nowhere', payload: 'x', payload_encoding: 'string', properties: {} });
    assert.deepEqual(r.json, { routed: false });
    const got = (await a.post<Json[]>(`/queues/${V}/${enc(q)}/get`, { count: 2, ackmode: 'ack_requeue_false', encoding: 'auto' })).json;
    assert.deepEqual(got.map((m) => [m.payload, m.payload_encoding, m.exchange]),
      [['hi', 'string', x], [Buffer.from([0xff, 0, 3]).toString('base64'), 'base64', x]]);
    assert.deepEqual(got[0]!.properties, { delivery_mode: 2, headers: { n: 1 }, correlation_id: 'c1' });
    const j = await waitFor<Json>(a, `/exchanges/${V}/${enc(x)}`, (e) => (e.message_stats as Json | undefined)?.publish_in === 3);
    assertRates(j.message_stats as Json, ['publish_in', 'publish_out'], 'exchange.message_stats');
    assert.equal((j.message_stats as Json).publish_out, 2);
    const d = await a.post<Json>(`/exchanges/${V}/amq.default/publish`, { routing_key: q, payload: 'd', payload_encoding: 'string', properties: {} });
    assert.deepEqual(d.json, { routed: true });
  });

  it('publish errors: missing keys, bad encoding, bad properties; a missing exchange is the channel\'s 404 as a 400', async () => {
    const path = `/exchanges/${V}/amq.direct/publish`;
    let r = await a.post(path, { routing_key: 'k', payload: 'x', properties: {} });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: '[{key_missing,payload_encoding}]' }]);
    r = await a.post(path, { routing_key: 'k', payload: 'x', payload_encoding: 'hex', properties: {} });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: ['unsupported_encoding', 'hex'] }]);
    r = await a.post(path, { routing_key: 'k', payload: 'x', payload_encoding: 'string', properties: { priority: 'high' } });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: ['not_int', 'priority'] }]);
    r = await a.post(path, { routing_key: 'k', payload: 1, payload_encoding: 'string', properties: {} });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'payload_not_string' }]);
    r = await a.post(`/exchanges/${V}/${p}.missing/publish`, { routing_key: 'k', payload: 'x', payload_encoding: 'string', properties: {} });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: `404 NOT_FOUND - no exchange '${p}.missing' in vhost '/'` }]);
  });

  it('bindings/source and bindings/destination of an exchange', async () => {
    const x = `${p}.src`, y = `${p}.dst`, q = `${p}.src.q`;
    await exchange(x, { type: 'topic' });
    await exchange(y, { type: 'fanout' });
    await queue(q);
    assert.equal((await a.post(`/bindings/${V}/e/${enc(x)}/e/${enc(y)}`, { routing_key: 'a.*' })).status, 201);
    assert.equal((await a.post(`/bindings/${V}/e/${enc(y)}/q/${enc(q)}`, {})).status, 201);
    const src = (await a.get<Json[]>(`/exchanges/${V}/${enc(x)}/bindings/source`)).json;
    assert.deepEqual(src.map((b) => [b.source, b.destination, b.destination_type, b.routing_key]), [[x, y, 'exchange', 'a.*']]);
    const dst = (await a.get<Json[]>(`/exchanges/${V}/${enc(y)}/bindings/destination`)).json;
    assert.deepEqual(dst.map((b) => [b.source, b.destination]), [[x, y]]);
    assert.deepEqual((await a.get(`/exchanges/${V}/${p}.missing/bindings/source`)).json, []);
  });
});
