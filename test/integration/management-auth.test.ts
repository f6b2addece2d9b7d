// Management API authentication and authorization as RabbitMQ 3.10's: 401 with WWW-Authenticate for missing or
// wrong credentials, 401 not_authorised for users without a management tag or the tag an endpoint needs
// (administrator, monitoring, policymaker) or without access to the vhost; 404/405 for unknown paths/methods.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { uniq } from '../support/amqp.js';
import { isRabbit, startBroker, type TestBroker } from '../support/broker.js';
import { api, assertShape, enc, makeUser, MGMT_TEST_ENV, type Api } from '../support/mgmt.js';

let broker: TestBroker;
let guest: Api;
const cleanups: (() => Promise<void>)[] = [];
const p = uniq('mauth');
const users = { none: `${p}.none`, mgmt: `${p}.mgmt`, mon: `${p}.mon`, pol: `${p}.pol`, admin: `${p}.admin` };

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  guest = api(broker);
  cleanups.push(await makeUser(guest, users.none, ''));
  cleanups.push(await makeUser(guest, users.mgmt, 'management'));
  cleanups.push(await makeUser(guest, users.mon, 'monitoring'));
  cleanups.push(await makeUser(guest, users.pol, 'policymaker', ['.*', '.*', '.*']));
  cleanups.push(await makeUser(guest, users.admin, 'administrator'));
});

after(async () => {
  for (const c of cleanups) await c();
  await broker.stop();
});

describe('management API authentication', () => {
  it('no credentials: 401, WWW-Authenticate Basic, no JSON body', async () => {
    const r = await guest.get('/overview', { auth: null });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="/);
  });

  it('wrong password: 401 {error: not_authorized, reason: Login failed} with WWW-Authenticate', async () => {
    const r = await guest.as('guest', 'wrong').get('/overview');
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="/);
    assert.deepEqual(r.json, { error: 'not_authorized', reason: 'Login failed' });
    assert.equal((await guest.as(`${p}.nobody`, 'x').get('/whoami')).status, 401);
  });

  it('a user without a management tag: 401 "Not management user"', async () => {
    const r = await guest.as(users.none, 'pw').get('/overview');
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { error: 'not_authorised', reason: 'Not management user' });
  });

  it('whoami gives the name and tags', async () => {
    const r = await guest.as(users.mon, 'pw').get<{ name: string; tags: unknown }>('/whoami');
    assert.equal(r.status, 200);
    assertShape(r.json, { name: 'string', tags: 'array' });
    assert.equal(r.json.name, users.mon);
    assert.deepEqual(r.json.tags, ['monitoring']);
  });

  it('administrator-only endpoints refuse management, monitoring and policymaker users', async () => {
    for (const u of [users.mgmt, users.mon, users.pol]) {
      for (const path of ['/users', '/definitions', '/permissions', `/vhosts/${enc('/')}`]) {
        const r = await guest.as(u, 'pw').get(path);
        assert.equal(r.status, 401, `${u} ${path}`);
        assert.deepEqual(r.json, { error: 'not_authorised', reason: 'Not administrator user' });
      }
    }
    assert.equal((await guest.as(users.admin, 'pw').get('/users')).status, 200);
  });

  it('monitoring endpoints (nodes) need monitoring or administrator', async () => {
    const r = await guest.as(users.mgmt, 'pw').get('/nodes');
    assert.deepEqual([r.status, r.json], [401, { error: 'not_authorised', reason: 'Not monitor user' }]);
    assert.equal((await guest.as(users.mon, 'pw').get('/nodes')).status, 200);
  });

  it('a vhost the user has no permissions in: 401 "User not authorised to access virtual host"', async () => {
    const r = await guest.as(users.mgmt, 'pw').get(`/queues/${enc('/')}`);
    assert.deepEqual([r.status, r.json], [401, { error: 'not_authorised', reason: 'User not authorised to access virtual host' }]);
    const w = await guest.as(users.mgmt, 'pw').put(`/queues/${enc('/')}/${p}.q`, {});
    assert.equal(w.status, 401);
    // Lists over all vhosts just leave that vhost out.
    const l = await guest.as(users.mgmt, 'pw').get<unknown[]>('/queues');
    assert.deepEqual([l.status, l.json], [200, []]);
    assert.deepEqual((await guest.as(users.mgmt, 'pw').get('/vhosts')).json, []);
  });

  it('policies need policymaker (with access to the vhost) or administrator', async () => {
    const body = { pattern: `^${p}\\.`, definition: { 'max-length': 5 }, 'apply-to': 'queues' };
    const path = `/policies/${enc('/')}/${p}.pol`;
    const denied = await guest.as(users.mgmt, 'pw').put(path, body);
    assert.deepEqual([denied.status, denied.json], [401, { error: 'not_authorised', reason: 'User not authorised to access object' }]);
    assert.equal((await guest.as(users.pol, 'pw').put(path, body)).status, 201);
    assert.equal((await guest.as(users.pol, 'pw').del(path)).status, 204);
  });

  it('unknown paths are 404 Object Not Found, unknown methods 405 with Allow', async () => {
    const r = await guest.get('/no-such-thing');
    assert.deepEqual([r.status, r.json], [404, { error: 'Object Not Found', reason: 'Not Found' }]);
    const m = await guest.req('PATCH', '/queues');
    assert.equal(m.status, 405);
    assert.match(m.headers.get('allow') ?? '', /GET/);
    const o = await guest.req('OPTIONS', `/queues/${enc('/')}/x`, undefined, { auth: null });
    assert.equal(o.status, 200);
    assert.match(o.headers.get('allow') ?? '', /DELETE/);
  });

  it('guest may log in only from loopback (loopback_users)', { skip: isRabbit && 'the reference RabbitMQ sets loopback_users = none' }, async (t) => {
    const ip = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!ip) { t.skip('no non-loopback IPv4 address on this machine'); return; }
    const url = `http://${ip}:${broker.mgmtPort}/api/whoami`;
    const r = await fetch(url, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
    assert.equal(r.status, 401);
    assert.deepEqual(await r.json(), { error: 'not_authorised', reason: 'User can only log in via localhost' });
    const ok = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${users.admin}:pw`).toString('base64')}` } });
    assert.equal(ok.status, 200);
  });
});
