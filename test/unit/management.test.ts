// Unit tests for the management API's pure parts (list sorting in Erlang term order, pagination, columns,
// binding property keys, policy validation), the metadata commands it adds, and routes called in process
// through the hono app (no socket).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/broker/broker.js';
import { apply, emptyState, type Command } from '../../src/broker/metadata.js';
import { createApp } from '../../src/management/app.js';
import { HttpError } from '../../src/management/http.js';
import { propertiesKey } from '../../src/management/info.js';
import { compareTerms, replyList } from '../../src/management/list.js';
import { validatePolicy } from '../../src/management/policy-validation.js';
import type { Mgmt } from '../../src/management/router.js';
import { StatsSampler } from '../../src/management/sampler.js';
import { Server } from '../../src/server/server.js';

const q = (s: string) => new URLSearchParams(s);

describe('management lists', () => {
  it('Erlang term order: numbers < atoms < objects < lists < strings', () => {
    const sorted = ['b', [1], { a: 1 }, null, true, 10, 2, 'a'].sort(compareTerms);
    assert.deepEqual(sorted, [2, 10, null, true, { a: 1 }, [1], 'a', 'b']);
  });

  it('sorts by vhost then name, or by a dotted key first; a missing key counts as 0', () => {
    const items = [{ vhost: '/', name: 'b', m: { n: 2 } }, { vhost: '/', name: 'a' }, { vhost: '/', name: 'c', m: { n: 1 } }];
    assert.deepEqual((replyList(q(''), items, { paginate: false }) as { name: string }[]).map((x) => x.name), ['a', 'b', 'c']);
    assert.deepEqual((replyList(q('sort=m.n&sort_reverse=true'), items, { paginate: false }) as { name: string }[]).map((x) => x.name), ['b', 'c', 'a']);
  });

  it('paginates and filters by name (substring, case-insensitive, or regex); columns descend into objects', () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ vhost: '/', name: `Q${i}`, s: { a: i, b: i } }));
    const page = replyList(q('page=2&page_size=2&columns=name,s.a'), items, { paginate: true }) as Record<string, unknown>;
    assert.deepEqual(page, { filtered_count: 5, item_count: 2, items: [{ name: 'Q2', s: { a: 2 } }, { name: 'Q3', s: { a: 3 } }],
      page: 2, page_count: 3, page_size: 2, total_count: 5 });
    const f = replyList(q('page=1&name=q1'), items, { paginate: true }) as { filtered_count: number };
    assert.equal(f.filtered_count, 1);
    const re = replyList(q('page=1&name=^q[34]$&use_regex=true'), items, { paginate: true }) as { filtered_count: number };
    assert.equal(re.filtered_count, 2);
    assert.throws(() => replyList(q('page=4&page_size=2'), items, { paginate: true }), (e: HttpError) => e.error === 'page_out_of_range');
    assert.doesNotThrow(() => replyList(q('page=3&page_size=2'), items, { paginate: true }));
    assert.deepEqual(replyList(q('page=1&name=zz'), [], { paginate: true }), { filtered_count: 0, item_count: 0, items: [],
      page: 1, page_count: 0, page_size: 100, total_count: 0 });
  });

  it('binding properties keys: "~" alone, the quoted key, or key~hash', () => {
    assert.equal(propertiesKey('', {}), '~');
    assert.equal(propertiesKey('a.# b~c', {}), 'a.%23+b%7Ec');
    const k = propertiesKey('k', { x: 1 });
    assert.match(k, /^k~[A-Za-z0-9_-]{6}$/);
    assert.equal(propertiesKey('k', { x: 1 }), k, 'stable');
    assert.notEqual(propertiesKey('k', { x: 2 }), k);
  });
});

describe('policy validation', () => {
  const reason = (f: () => unknown) => {
    try { f(); } catch (e) { return (e as HttpError).reason; }
    return undefined;
  };

  it('accepts a good policy, defaults apply-to to all and priority to 0', () => {
    assert.deepEqual(validatePolicy('/', 'p', { pattern: '^a', definition: { 'ha-mode': 'exactly', 'ha-params': 2 } }, false),
      { vhost: '/', name: 'p', pattern: '^a', applyTo: 'all', priority: 0, definition: { 'ha-mode': 'exactly', 'ha-params': 2 } });
  });

  it('gives RabbitMQ\'s reasons', () => {
    assert.equal(reason(() => validatePolicy('/', 'p', { pattern: 'x', definition: { 'ha-mode': 'exactly' } }, false)),
      'Validation failed\n\nha-mode="exactly" requires ha-params to be a positive integer\n');
    assert.equal(reason(() => validatePolicy('/', 'p', { pattern: 'x', definition: { expires: 0 } }, false)),
      'Validation failed\n\n0 is not a valid queue expiry\n');
    assert.equal(reason(() => validatePolicy('/', 'p', { pattern: 'x', definition: { 'queue-mode': 'lazy' } }, true)),
      'Validation failed\n\n[{<<"queue-mode">>,<<"lazy">>}] are not recognised policy settings\n');
  });
});

describe('metadata commands for settings', () => {
  it('policies, operator policies, parameters, limits and vhost metadata; they go with their vhost', () => {
    const s = emptyState();
    const run = (c: Command) => apply(s, c).map((x) => x.type);
    run({ type: 'vhost.add', def: { name: 'v', description: '', tags: [] } });
    run({ type: 'user.put', def: { name: 'u', passwordHash: '', hashingAlgorithm: 'x', tags: [] } });
    const pol = { vhost: 'v', name: 'p', pattern: '.*', applyTo: 'all', priority: 0, definition: { 'max-length': 1 } };
    assert.deepEqual(run({ type: 'policy.set', def: pol }), ['policy.changed']);
    assert.deepEqual(run({ type: 'operator-policy.set', def: pol }), ['policy.changed']);
    assert.deepEqual(run({ type: 'parameter.set', def: { vhost: 'v', component: 'shovel', name: 's', value: {} } }), ['parameter.changed']);
    assert.deepEqual(run({ type: 'vhost.limits', vhost: 'v', limits: { 'max-queues': 3 } }), ['vhost.limits.changed']);
    assert.deepEqual(run({ type: 'vhost.update', def: { name: 'v', description: 'd', tags: ['t'] } }), ['vhost.changed']);
    assert.deepEqual(run({ type: 'user.limits', name: 'u', limits: { 'max-connections': 2 } }), ['user.changed']);
    assert.deepEqual(run({ type: 'global-parameter.set', def: { name: 'g', value: 1 } }), ['global-parameter.changed']);
    const vh = s.vhosts.get('v')!;
    assert.deepEqual([vh.policies.size, vh.operatorPolicies.size, vh.parameters.size, vh.limits, vh.def.description],
      [1, 1, 1, { 'max-queues': 3 }, 'd']);
    assert.deepEqual(s.users.get('u')!.limits, { 'max-connections': 2 });
    assert.deepEqual(run({ type: 'policy.clear', vhost: 'v', name: 'p' }), ['policy.changed']);
    assert.deepEqual(run({ type: 'policy.clear', vhost: 'v', name: 'p' }), [], 'clearing twice changes nothing');
    run({ type: 'user.limits', name: 'u', limits: {} });
    assert.equal('limits' in s.users.get('u')!, false);
    run({ type: 'vhost.delete', name: 'v' });
    assert.deepEqual([s.vhosts.size, s.globalParameters.size], [0, 1]);
  });
});

describe('routes in process', () => {
  const broker = new Broker({ nodeName: 'warren@unit' });
  const server = new Server({ broker, version: '0.0.0' });
  const mgmt: Mgmt = {
    broker, server, sampler: new StatsSampler(broker, server, 1000), version: '0.0.0', listeners: [], dataDir: '/tmp',
    configFiles: [], logFiles: [], memLimit: 0, diskFreeLimit: 0, startedAt: Date.now(), log: () => {},
  };
  const app = createApp(mgmt);
  const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
  // No socket: the request comes from no address, and guest may log in only from loopback.
  const env = { incoming: { socket: { remoteAddress: '127.0.0.1' } } } as never;

  it('a queue is declared, listed with message rates once sampled, and deleted', async () => {
    let r = await app.request('/api/queues/%2F/unit', { method: 'PUT', headers: auth, body: '{}' }, env);
    assert.equal(r.status, 201);
    mgmt.sampler!.tick();
    r = await app.request('/api/queues?columns=name,messages_details', { headers: auth }, env);
    assert.deepEqual(await r.json(), [{ name: 'unit', messages_details: { rate: 0 } }]);
    r = await app.request('/api/queues/%2F/unit', { method: 'DELETE', headers: auth }, env);
    assert.equal(r.status, 204);
  });

  it('401 without credentials, 404 JSON for an unknown path', async () => {
    assert.equal((await app.request('/api/overview', {}, env)).status, 401);
    const r = await app.request('/api/nope', { headers: auth }, env);
    assert.deepEqual([r.status, await r.json()], [404, { error: 'Object Not Found', reason: 'Not Found' }]);
  });
});
