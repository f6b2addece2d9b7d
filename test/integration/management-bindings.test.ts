// /api/bindings: both kinds (exchange to queue, exchange to exchange), created with POST (201 + Location),
// listed per vhost (with the default exchange's implicit bindings) and between two ends, shown and deleted by
// properties_key (with and without arguments), and 404 for missing ends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, assertShape, enc, MGMT_TEST_ENV, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
const p = uniq('mb');
const V = enc('/');
const x = `${p}.x`, y = `${p}.y`, q = `${p}.q`;

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
  assert.equal((await a.put(`/exchanges/${V}/${enc(x)}`, { type: 'topic' })).status, 201);
  assert.equal((await a.put(`/exchanges/${V}/${enc(y)}`, { type: 'headers' })).status, 201);
  assert.equal((await a.put(`/queues/${V}/${enc(q)}`, {})).status, 201);
});

after(async () => {
  await a.del(`/queues/${V}/${enc(q)}`);
  await a.del(`/exchanges/${V}/${enc(x)}`);
  await a.del(`/exchanges/${V}/${enc(y)}`);
  await broker.stop();
});

describe('management API: bindings', () => {
  it('POST creates an exchange-to-queue binding: 201 with a Location; GET by properties_key; DELETE', async () => {
    const base = `/bindings/${V}/e/${enc(x)}/q/${enc(q)}`;
    const r = await a.post(base, { routing_key: 'a.# b', arguments: {} });
    assert.equal(r.status, 201);
    assert.ok(r.headers.get('location'), 'Location header');
    const list = (await a.get<Json[]>(base)).json;
    assert.equal(list.length, 1);
    const b = list[0]!;
    assertShape(b, { source: 'string', vhost: 'string', destination: 'string', destination_type: 'string',
      routing_key: 'string', arguments: 'object', properties_key: 'string' }, 'binding');
    assert.deepEqual([b.source, b.destination, b.destination_type, b.routing_key, b.properties_key], [x, q, 'queue', 'a.# b', 'a.%23+b']);
    const one = await a.get<Json>(`${base}/${enc(b.properties_key as string)}`);
    assert.deepEqual([one.status, one.json.routing_key], [200, 'a.# b']);
    assert.equal((await a.del(`${base}/${enc(b.properties_key as string)}`)).status, 204);
    assert.equal((await a.get(`${base}/${enc(b.properties_key as string)}`)).status, 404);
    assert.deepEqual((await a.get(base)).json, []);
  });

  it('bindings with arguments get key~hash properties keys; exchange-to-exchange bindings', async () => {
    const base = `/bindings/${V}/e/${enc(x)}/e/${enc(y)}`;
    assert.equal((await a.post(base, { routing_key: 'k', arguments: { 'x-match': 'all', h: 'v' } })).status, 201);
    assert.equal((await a.post(base, { routing_key: 'k' })).status, 201);
    const list = (await a.get<Json[]>(base)).json;
    assert.equal(list.length, 2);
    const withArgs = list.find((b) => Object.keys(b.arguments as Json).length > 0)!;
    assert.match(withArgs.properties_key as string, /^k~.+/);
    assert.deepEqual([withArgs.destination_type, withArgs.arguments], ['exchange', { 'x-match': 'all', h: 'v' }]);
    assert.equal(list.find((b) => b !== withArgs)!.properties_key, 'k');
    assert.equal((await a.del(`${base}/${enc(withArgs.properties_key as string)}`)).status, 204);
    assert.deepEqual((await a.get<Json[]>(base)).json.map((b) => b.properties_key), ['k']);
    assert.equal((await a.del(`${base}/k`)).status, 204);
  });

  it('the vhost\'s list has the default exchange\'s binding for each queue', async () => {
    const all = (await a.get<Json[]>(`/bindings/${V}`)).json;
    const dflt = all.find((b) => b.source === '' && b.destination === q);
    assert.deepEqual(dflt, { source: '', vhost: '/', destination: q, destination_type: 'queue', routing_key: q,
      arguments: {}, properties_key: q.replace(/~/g, '%7E') });
    assert.ok((await a.get<Json[]>('/bindings')).json.length >= all.length);
  });

  it('binding missing ends or in a missing vhost is 404 (listing them is just empty); the default exchange is refused', async () => {
    const cases: [string, string][] = [[`/bindings/${V}/e/${p}.none/q/${enc(q)}`, `no exchange '${p}.none' in vhost '/'`],
      [`/bindings/${V}/e/${enc(x)}/q/${p}.none`, `no queue '${p}.none' in vhost '/'`],
      [`/bindings/${p}.novhost/e/${enc(x)}/q/${enc(q)}`, 'vhost_not_found']];
    for (const [path, reason] of cases) {
      const r = await a.post(path, { routing_key: 'k' });
      assert.deepEqual([r.status, r.json], [404, { error: 'not_found', reason }], path);
      assert.deepEqual((await a.get(path)).json, [], path);
    }
    assert.equal((await a.get(`/bindings/${V}/e/${enc(x)}/q/${enc(q)}/nokey`)).status, 404);
    const r = await a.post(`/bindings/${V}/e/amq.default/q/${enc(q)}`, { routing_key: 'k' });
    assert.deepEqual([r.status, r.json], [401, { error: 'not_authorised', reason: 'Access refused.' }]);
  });
});
