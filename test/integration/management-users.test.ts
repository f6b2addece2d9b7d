// /api/users, /api/permissions, /api/vhosts and limits: create/update/delete with RabbitMQ's status codes
// (201 created, 204 updated or deleted, 404 missing) and its 400 reasons; a user made over HTTP logs in over
// AMQP; a vhost made over HTTP has the standard exchanges; deleting a vhost closes its connections.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, assertRates, assertShape, enc, MGMT_TEST_ENV, waitFor, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
const p = uniq('mu');
const users: string[] = [];
const vhosts: string[] = [];

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
});

after(async () => {
  for (const u of users) await a.del(`/users/${enc(u)}`);
  for (const v of vhosts) await a.del(`/vhosts/${enc(v)}`);
  await broker.stop();
});

describe('management API: users', () => {
  it('PUT creates (201) and updates (204, tags alone clear the password); GET shows RabbitMQ\'s keys; the password works over AMQP', async () => {
    const u = `${p}.alice`;
    users.push(u);
    assert.equal((await a.put(`/users/${enc(u)}`, { password: 's3cret', tags: 'monitoring,management' })).status, 201);
    const j = (await a.get<Json>(`/users/${enc(u)}`)).json;
    assertShape(j, { name: 'string', password_hash: 'string', hashing_algorithm: 'string', tags: 'array', limits: 'object' }, 'user');
    assert.deepEqual([j.name, j.hashing_algorithm, j.tags], [u, 'rabbit_password_hashing_sha256', ['monitoring', 'management']]);
    // Tags without a password clear the password, as rabbit_auth_backend_internal:put_user does.
    assert.equal((await a.put(`/users/${enc(u)}`, { tags: ['administrator'] })).status, 204);
    assert.deepEqual((await a.get<Json>(`/users/${enc(u)}`)).json.tags, ['administrator']);
    assert.equal((await a.as(u, 's3cret').get('/whoami')).status, 401);
    assert.equal((await a.put(`/users/${enc(u)}`, { password: 's3cret', tags: ['administrator'] })).status, 204);
    assert.equal((await a.put(`/permissions/${enc('/')}/${enc(u)}`, { configure: '.*', write: '.*', read: '.*' })).status, 201);
    const c = await amqp.connect(`amqp://${enc(u)}:s3cret@127.0.0.1:${broker.port}/`);
    await c.close();
    assert.equal((await a.as(u, 's3cret').get('/whoami')).status, 200);
  });

  it('password_hash imports a hash; errors: tags_not_present, both password and hash', async () => {
    const u = `${p}.bob`;
    users.push(u);
    const hash = (await a.get<Json>('/users/guest')).json.password_hash;
    assert.equal((await a.put(`/users/${enc(u)}`, { password_hash: hash, tags: 'management' })).status, 201);
    assert.equal((await a.as(u, 'guest').get('/whoami')).status, 200, 'same hash, same password');
    let r = await a.put(`/users/${enc(u)}`, { password: 'x' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'tags_not_present' }]);
    r = await a.put(`/users/${enc(u)}`, { password: 'x', password_hash: 'y', tags: '' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'both_password_and_password_hash_are_provided' }]);
  });

  it('lists, without-permissions, bulk-delete, DELETE 204 then 404', async () => {
    const [u1, u2] = [`${p}.c1`, `${p}.c2`];
    users.push(u1, u2);
    for (const u of [u1, u2]) await a.put(`/users/${enc(u)}`, { password: 'pw', tags: '' });
    const names = (await a.get<Json[]>('/users')).json.map((u) => u.name);
    assert.ok(names.includes(u1) && names.includes(u2) && names.includes('guest'));
    const without = (await a.get<Json[]>('/users/without-permissions')).json.map((u) => u.name);
    assert.ok(without.includes(u1) && !without.includes('guest'));
    assert.equal((await a.post('/users/bulk-delete', { users: [u1] })).status, 204);
    assert.equal((await a.get(`/users/${enc(u1)}`)).status, 404);
    assert.equal((await a.del(`/users/${enc(u2)}`)).status, 204);
    assert.equal((await a.del(`/users/${enc(u2)}`)).status, 404);
  });
});

describe('management API: permissions', () => {
  it('PUT/GET/DELETE one permission, lists per user and vhost, and the 400s', async () => {
    const u = `${p}.perm`;
    users.push(u);
    await a.put(`/users/${enc(u)}`, { password: 'pw', tags: '' });
    const path = `/permissions/${enc('/')}/${enc(u)}`;
    assert.equal((await a.get(path)).status, 404);
    assert.equal((await a.put(path, { configure: '', write: '^a', read: '.*' })).status, 201);
    assert.equal((await a.put(path, { configure: '', write: '^b', read: '.*' })).status, 204);
    assert.deepEqual((await a.get(path)).json, { user: u, vhost: '/', configure: '', write: '^b', read: '.*' });
    assert.ok((await a.get<Json[]>(`/users/${enc(u)}/permissions`)).json.some((x) => x.vhost === '/'));
    assert.ok((await a.get<Json[]>(`/vhosts/${enc('/')}/permissions`)).json.some((x) => x.user === u));
    assert.ok((await a.get<Json[]>('/permissions')).json.some((x) => x.user === u));
    let r = await a.put(path, { configure: '.*', write: '.*' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: '[{key_missing,read}]' }]);
    r = await a.put(`/permissions/${enc('/')}/${p}.nobody`, { configure: '.*', write: '.*', read: '.*' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'vhost_or_user_not_found' }]);
    r = await a.put(path, { configure: '(', write: '.*', read: '.*' });
    assert.equal(r.status, 400);
    assert.equal(((r.json as Json).reason as unknown[])[0], 'invalid_regexp');
    assert.equal((await a.del(path)).status, 204);
    assert.equal((await a.del(path)).status, 404);
  });
});

describe('management API: vhosts and limits', () => {
  it('PUT creates a vhost (201) with the standard exchanges, updates it (204), DELETE 204 then 404', async () => {
    const v = `${p}.vh`;
    vhosts.push(v);
    assert.equal((await a.put(`/vhosts/${enc(v)}`, { description: 'first', tags: 'a,b' })).status, 201);
    let j = (await a.get<Json>(`/vhosts/${enc(v)}`)).json;
    assertShape(j, { name: 'string', description: 'string', tags: 'array', metadata: 'object', tracing: 'boolean',
      cluster_state: 'object', default_queue_type: 'string' }, 'vhost');
    assert.deepEqual([j.description, j.tags, j.metadata], ['first', ['a', 'b'], { description: 'first', tags: ['a', 'b'] }]);
    assert.equal((await a.put(`/vhosts/${enc(v)}`, { description: 'second' })).status, 204);
    j = (await a.get<Json>(`/vhosts/${enc(v)}`)).json;
    assert.deepEqual([j.description, j.tags], ['second', []]);
    const xs = (await a.get<Json[]>(`/exchanges/${enc(v)}?columns=name`)).json.map((x) => x.name);
    for (const x of ['', 'amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']) assert.ok(xs.includes(x), x);
    assert.ok((await a.get<Json[]>('/vhosts')).json.some((x) => x.name === v));
    assert.equal((await a.del(`/vhosts/${enc(v)}`)).status, 204);
    assert.equal((await a.del(`/vhosts/${enc(v)}`)).status, 404);
    assert.equal((await a.get(`/vhosts/${enc(v)}`)).status, 404);
  });

  it('the vhost list carries message totals with rates', async () => {
    const vh = await waitFor<Json[]>(a, '/vhosts', (l) => l.some((x) => x.name === '/' && 'messages' in x));
    const root = vh.find((x) => x.name === '/')!;
    assertRates(root, ['messages', 'messages_ready', 'messages_unacknowledged'], 'vhost');
    const page = await a.get<Json>('/vhosts?page=1&page_size=1&columns=name');
    assert.deepEqual([page.status, page.json.page_size, (page.json.items as Json[]).length], [200, 1, 1]);
  });

  it('deleting a vhost closes its connections with 320', async () => {
    const v = `${p}.vhc`;
    vhosts.push(v);
    await a.put(`/vhosts/${enc(v)}`, {});
    await a.put(`/permissions/${enc(v)}/guest`, { configure: '.*', write: '.*', read: '.*' });
    const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/${enc(v)}`);
    const closed = new Promise<Error & { code?: number }>((resolve) => c.once('close', resolve));
    c.on('error', () => {});
    assert.equal((await a.del(`/vhosts/${enc(v)}`)).status, 204);
    assert.equal((await closed).code, 320);
  });

  it('vhost limits: PUT 204, listed, bad names and values 400, DELETE 204', async () => {
    const v = `${p}.lim`;
    vhosts.push(v);
    await a.put(`/vhosts/${enc(v)}`, {});
    assert.equal((await a.put(`/vhost-limits/${enc(v)}/max-connections`, { value: 10 })).status, 204);
    assert.deepEqual((await a.get(`/vhost-limits/${enc(v)}`)).json, [{ vhost: v, value: { 'max-connections': 10 } }]);
    assert.ok((await a.get<Json[]>('/vhost-limits')).json.some((x) => x.vhost === v));
    let r = await a.put(`/vhost-limits/${enc(v)}/max-queues`, { value: 'x' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request',
      reason: 'Validation failed\n\nmax-queues should be a number, actually was <<"x">>\n' }]);
    r = await a.put(`/vhost-limits/${enc(v)}/max-bogus`, { value: 1 });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request',
      reason: 'Validation failed\n\nUnrecognised terms [{<<"max-bogus">>,1}] in limits\n' }]);
    assert.equal((await a.del(`/vhost-limits/${enc(v)}/max-connections`)).status, 204);
    assert.deepEqual((await a.get(`/vhost-limits/${enc(v)}`)).json, []);
  });
});
