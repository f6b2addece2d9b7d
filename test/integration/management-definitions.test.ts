// /api/definitions: export in RabbitMQ's format (all, or one vhost without users, vhosts and permissions, as a
// download), import (JSON body or into one vhost), the round trip of queues, exchanges, bindings and policies,
// and 400 for a body that is not JSON.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, assertShape, enc, MGMT_TEST_ENV, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
const p = uniq('md');
const vh = `${p}.vh`;
const V = enc(vh);

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
  assert.equal((await a.put(`/vhosts/${V}`, {})).status, 201);
  await a.put(`/permissions/${V}/guest`, { configure: '.*', write: '.*', read: '.*' });
});

after(async () => {
  await a.del(`/vhosts/${V}`);
  await a.del(`/users/${enc(`${p}.imported`)}`);
  await a.del(`/vhosts/${enc(`${p}.vh2`)}`);
  await broker.stop();
});

describe('management API: definitions', () => {
  it('GET /definitions has RabbitMQ\'s sections; ?download= makes it an attachment', async () => {
    const r = await a.get<Json>('/definitions?download=defs.json');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition') ?? '', /attachment; filename=defs\.json/);
    assertShape(r.json, { rabbit_version: 'string', rabbitmq_version: 'string', product_name: 'string', product_version: 'string',
      users: 'array', vhosts: 'array', permissions: 'array', topic_permissions: 'array', parameters: 'array',
      global_parameters: 'array', policies: 'array', queues: 'array', exchanges: 'array', bindings: 'array' }, 'definitions');
    assert.ok((r.json.users as Json[]).some((u) => u.name === 'guest'));
    assert.ok((r.json.vhosts as Json[]).some((v) => v.name === vh));
  });

  it('one vhost exports and imports back its queues, exchanges, bindings and policies', async () => {
    const q = `${p}.q`, x = `${p}.x`;
    assert.equal((await a.put(`/queues/${V}/${enc(q)}`, { durable: true, arguments: { 'x-max-length': 7 } })).status, 201);
    assert.equal((await a.put(`/exchanges/${V}/${enc(x)}`, { type: 'fanout', durable: true })).status, 201);
    assert.equal((await a.post(`/bindings/${V}/e/${enc(x)}/q/${enc(q)}`, { routing_key: 'rk' })).status, 201);
    assert.equal((await a.put(`/policies/${V}/${p}.pol`, { pattern: '^none$', definition: { 'message-ttl': 1000 } })).status, 201);
    const r = await a.get<Json>(`/definitions/${V}`);
    assert.equal(r.status, 200);
    for (const k of ['users', 'vhosts', 'permissions']) assert.ok(!(k in r.json), `no ${k} in a vhost export`);
    const defs = r.json;
    const dq = (defs.queues as Json[]).find((e) => e.name === q)!;
    assert.deepEqual([dq.durable, dq.arguments, 'vhost' in dq], [true, { 'x-max-length': 7 }, false]);
    assert.ok((defs.exchanges as Json[]).some((e) => e.name === x && e.type === 'fanout'));
    assert.ok((defs.bindings as Json[]).some((b) => b.source === x && b.destination === q && b.routing_key === 'rk'));
    assert.ok((defs.policies as Json[]).some((pol) => pol.name === `${p}.pol`));
    await a.del(`/queues/${V}/${enc(q)}`);
    await a.del(`/exchanges/${V}/${enc(x)}`);
    await a.del(`/policies/${V}/${p}.pol`);
    const imp = await a.post(`/definitions/${V}`, defs);
    assert.ok([200, 201, 204].includes(imp.status), `import: ${imp.status} ${imp.text}`);
    assert.equal((await a.get<Json>(`/queues/${V}/${enc(q)}`)).json.durable, true);
    assert.equal((await a.get<Json>(`/exchanges/${V}/${enc(x)}`)).json.type, 'fanout');
    assert.deepEqual((await a.get<Json[]>(`/bindings/${V}/e/${enc(x)}/q/${enc(q)}`)).json.map((b) => b.routing_key), ['rk']);
    assert.equal((await a.get<Json>(`/policies/${V}/${p}.pol`)).json.pattern, '^none$');
  });

  it('POST /definitions imports users, vhosts and permissions', async () => {
    const guest = (await a.get<Json>('/users/guest')).json;
    const user = `${p}.imported`, vhost2 = `${p}.vh2`;
    const body = {
      users: [{ name: user, password_hash: guest.password_hash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'management' }],
      vhosts: [{ name: vhost2 }],
      permissions: [{ user, vhost: vhost2, configure: '.*', write: '.*', read: '.*' }],
    };
    const r = await a.post('/definitions', body);
    assert.ok([200, 201, 204].includes(r.status), `import: ${r.status} ${r.text}`);
    assert.deepEqual((await a.get<Json>(`/users/${enc(user)}`)).json.tags, ['management']);
    assert.equal((await a.as(user, 'guest').get('/whoami')).status, 200);
    assert.deepEqual((await a.get<Json>(`/permissions/${enc(vhost2)}/${enc(user)}`)).json.read, '.*');
  });

  it('a body that is not JSON is 400', async () => {
    const r = await a.req('POST', '/definitions', undefined, { raw: '{nope' });
    assert.equal(r.status, 400);
    assert.equal((r.json as Json).error, 'bad_request');
  });
});
