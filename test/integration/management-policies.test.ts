// /api/policies, /api/operator-policies, /api/parameters and /api/global-parameters: stored and listed in
// RabbitMQ's shape, validated with its 400 reasons, shown on the queues they match, and 404 when missing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, enc, MGMT_TEST_ENV, waitFor, type Api, type Json } from '../support/mgmt.js';

let broker: TestBroker;
let a: Api;
const p = uniq('mp');
const V = enc('/');
const cleanup: string[] = [];

before(async () => {
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
});

after(async () => {
  for (const path of cleanup) await a.del(path);
  await broker.stop();
});

const fail = (msg: string) => ({ error: 'bad_request', reason: `Validation failed\n\n${msg}\n` });

describe('management API: policies', () => {
  it('PUT (201, then 204), GET, list, and the matching queue names the policy', async () => {
    const path = `/policies/${V}/${p}.pol`;
    cleanup.push(path);
    const body = { pattern: `^${p}\\.`, definition: { 'max-length': 10, 'queue-mode': 'lazy' }, priority: 1, 'apply-to': 'queues' };
    assert.equal((await a.put(path, body)).status, 201);
    assert.equal((await a.put(path, body)).status, 204);
    const want = { vhost: '/', name: `${p}.pol`, pattern: `^${p}\\.`, 'apply-to': 'queues', definition: { 'max-length': 10, 'queue-mode': 'lazy' }, priority: 1 };
    assert.deepEqual((await a.get(path)).json, want);
    assert.ok((await a.get<Json[]>('/policies')).json.some((x) => x.name === want.name));
    assert.ok((await a.get<Json[]>(`/policies/${V}`)).json.some((x) => x.name === want.name));
    const q = `${p}.q`;
    cleanup.push(`/queues/${V}/${enc(q)}`);
    await a.put(`/queues/${V}/${enc(q)}`, {});
    const info = await waitFor<Json>(a, `/queues/${V}/${enc(q)}`, (x) => x.policy === want.name);
    assert.deepEqual(info.effective_policy_definition, { 'max-length': 10, 'queue-mode': 'lazy' });
    assert.equal((await a.del(path)).status, 204);
    assert.equal((await a.del(path)).status, 404);
    assert.equal((await a.get(path)).status, 404);
  });

  it('validation: missing keys, priority, apply-to, pattern, empty and unknown definitions, bad values', async () => {
    const path = `/policies/${V}/${p}.bad`;
    cleanup.push(path);
    let r = await a.put(path, { definition: { 'max-length': 1 } });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: '[{key_missing,pattern}]' }]);
    r = await a.put(path, { pattern: 'x', definition: { 'max-length': 1 }, priority: '5' });
    assert.deepEqual([r.status, r.json], [400, fail('priority should be a number, actually was &lt;&lt;"5"&gt;&gt;')]);
    r = await a.put(path, { pattern: 'x', definition: { 'max-length': 1 }, 'apply-to': 'bad' });
    assert.deepEqual([r.status, r.json], [400, fail("apply-to 'bad' unrecognised; should be 'queues', 'exchanges' or 'all'")]);
    r = await a.put(path, { pattern: '(', definition: { 'max-length': 1 } });
    assert.equal(r.status, 400);
    assert.match((r.json as Json).reason as string, /^Validation failed\n\npattern should be regular expression but is invalid/);
    r = await a.put(path, { pattern: 'x', definition: {} });
    assert.deepEqual([r.status, r.json], [400, fail('no policy provided')]);
    r = await a.put(path, { pattern: 'x', definition: { bogus: 1 } });
    assert.deepEqual([r.status, r.json], [400, fail('[{&lt;&lt;"bogus"&gt;&gt;,1}] are not recognised policy settings')]);
    r = await a.put(path, { pattern: 'x', definition: { 'max-length': 'x' } });
    assert.deepEqual([r.status, r.json], [400, fail('&lt;&lt;"x"&gt;&gt; is not a valid maximum length')]);
    assert.equal((await a.put(`/policies/${p}.novhost/x`, { pattern: 'x', definition: { 'max-length': 1 } })).status, 404);
  });

  it('operator policies accept only limits', async () => {
    const path = `/operator-policies/${V}/${p}.op`;
    cleanup.push(path);
    assert.equal((await a.put(path, { pattern: `^${p}`, definition: { 'max-length': 5 }, 'apply-to': 'queues' })).status, 201);
    assert.ok((await a.get<Json[]>('/operator-policies')).json.some((x) => x.name === `${p}.op`));
    assert.deepEqual((await a.get<Json>(path)).json.definition, { 'max-length': 5 });
    const r = await a.put(`/operator-policies/${V}/${p}.op2`, { pattern: 'x', definition: { 'dead-letter-exchange': 'x' } });
    assert.deepEqual([r.status, r.json], [400, fail('[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings')]);
    assert.equal((await a.del(path)).status, 204);
  });
});

describe('management API: parameters', () => {
  it('global parameters: PUT 201/204, GET, list, DELETE 204 then 404, value required', async () => {
    const path = `/global-parameters/${p}.gp`;
    cleanup.push(path);
    assert.equal((await a.put(path, { value: { a: 1 } })).status, 201);
    assert.equal((await a.put(path, { name: `${p}.gp`, value: { a: 2 } })).status, 204);
    assert.deepEqual((await a.get(path)).json, { name: `${p}.gp`, value: { a: 2 } });
    assert.ok((await a.get<Json[]>('/global-parameters')).json.some((x) => x.name === `${p}.gp`));
    const r = await a.put(`/global-parameters/${p}.gp2`, {});
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: '[{key_missing,value}]' }]);
    assert.equal((await a.del(path)).status, 204);
    assert.equal((await a.del(path)).status, 404);
  });

  it('vhost parameters of an unknown component are refused; lists and missing ones', async () => {
    const r = await a.put(`/parameters/${p}-comp/${V}/x`, { value: { uri: 'amqp://' } });
    assert.deepEqual([r.status, r.json], [400, fail(`component ${p}-comp not found`)]);
    assert.equal((await a.get(`/parameters/${p}-comp/${V}/x`)).status, 404);
    assert.ok(Array.isArray((await a.get('/parameters')).json));
    assert.deepEqual((await a.get(`/parameters/${p}-comp`)).json, []);
    assert.deepEqual((await a.get(`/parameters/${p}-comp/${V}`)).json, []);
  });
});
