// Definitions round trip with RabbitMQ 3.10.8: test/fixtures/rabbitmq-3.10.8-definitions.json is GET
// /api/definitions of the reference RabbitMQ (cut down to the ops-* users and the ops-rt* vhosts made for it,
// see test/fixtures/README.md). It loads into Warren, Warren exports the same entities and fields, the users
// log in with their original passwords (the hashes came along), and Warren's export loads back into RabbitMQ
// when a reference RabbitMQ's management API is reachable (WARREN_REF_MGMT_URL, default 127.0.0.1:15673).
// Fields Warren emits beyond RabbitMQ 3.10.8's, on purpose:
//   vhosts: description, tags, metadata (RabbitMQ 3.11+ exports them; 3.10.8 exports only the name)
//   queues: type "classic" (3.10.8 leaves it out; Warren has classic queues only)
//   rabbit_version/rabbitmq_version/product_*: Warren's own; Warren's default user guest and vhost "/".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { external, startWarren, type TestBroker } from '../support/broker.js';
import { uniq } from '../support/amqp.js';

type Json = Record<string, unknown>;
type Defs = Record<string, unknown> & { [k: string]: unknown };

const here = dirname(fileURLToPath(import.meta.url));
/** test/fixtures/, seen from dist/test/integration/. */
const fixturePath = join(here, '..', '..', '..', 'test', 'fixtures', 'rabbitmq-3.10.8-definitions.json');
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as Defs;
const PASSWORDS: Record<string, [string, string]> = {
  'ops-alice': ['alice-secret', 'ops-rt'], 'ops-bob': ['bob-secret', 'ops-rt'], 'ops-carol': ['carol-secret', 'ops-rt2'],
};
const SECTIONS = ['users', 'vhosts', 'permissions', 'topic_permissions', 'parameters', 'global_parameters', 'policies', 'queues', 'exchanges', 'bindings'];

const auth = (user = 'guest', pass = 'guest') => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
async function http(base: string, method: string, path: string, body?: unknown, user?: string, pass?: string): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${base}/api${path}`, {
    method, headers: { authorization: auth(user, pass), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) as unknown : undefined };
}

/** Order-free form of a JSON value: arrays of tags sorted, object keys sorted. */
function canon(v: unknown, sortArrays = false): string {
  if (Array.isArray(v)) {
    const items = v.map((x) => canon(x, sortArrays));
    return `[${(sortArrays ? items.sort() : items).join(',')}]`;
  }
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon((v as Json)[k], k === 'tags')}`).join(',')}}`;
  return JSON.stringify(v);
}

/** What of an export is about the fixture's entities: its users, its vhosts, and what lives in them. */
function ours(defs: Defs, users: Set<string>, vhosts: Set<string>, globals: Set<string>): Record<string, Json[]> {
  const out: Record<string, Json[]> = {};
  for (const s of SECTIONS) {
    const items = (defs[s] ?? []) as Json[];
    out[s] = items.filter((x) => {
      if (s === 'users') return users.has(String(x.name));
      if (s === 'vhosts') return vhosts.has(String(x.name));
      if (s === 'global_parameters') return globals.has(String(x.name));
      return vhosts.has(String(x.vhost));
    });
  }
  return out;
}

/** The normalisations documented at the top of this file. */
function normalise(section: string, x: Json): Json {
  if (section === 'vhosts') return { name: x.name };
  if (section === 'queues') {
    const { type, ...rest } = x;
    assert.ok(type === undefined || type === 'classic', `queue type ${String(type)}`);
    return rest;
  }
  return x;
}

function assertSameEntities(got: Record<string, Json[]>, want: Record<string, Json[]>, where: string): void {
  for (const s of SECTIONS) {
    const g = got[s]!.map((x) => canon(normalise(s, x))).sort();
    const w = want[s]!.map((x) => canon(normalise(s, x))).sort();
    assert.deepEqual(g, w, `${where}: ${s}`);
  }
}

const fixtureUsers = new Set((fixture.users as Json[]).map((u) => String(u.name)));
const fixtureVhosts = new Set((fixture.vhosts as Json[]).map((v) => String(v.name)));
const fixtureGlobals = new Set((fixture.global_parameters as Json[]).map((g) => String(g.name)));

describe('definitions round trip with RabbitMQ 3.10.8', { skip: external ? 'imports into a Warren of its own' : false }, () => {
  let b: TestBroker;
  let exported: Defs;
  before(async () => { b = await startWarren(); });
  after(async () => { await b?.stop(); });

  it('the fixture is a RabbitMQ 3.10.8 export with every kind of entity', () => {
    assert.equal(fixture.rabbitmq_version, '3.10.8');
    for (const s of SECTIONS) assert.ok(((fixture[s] ?? []) as unknown[]).length > 0, `fixture has ${s}`);
    const types = new Set((fixture.exchanges as Json[]).map((e) => e.type));
    for (const t of ['direct', 'fanout', 'topic', 'headers']) assert.ok(types.has(t), `an exchange of type ${t}`);
    assert.ok((fixture.parameters as Json[]).some((p) => p.component === 'operator_policy'));
    assert.ok((fixture.bindings as Json[]).some((x) => x.destination_type === 'exchange'));
  });

  it('imports into Warren and exports the same entities and fields', async () => {
    assert.equal((await http(b.mgmtUrl, 'POST', '/definitions', fixture)).status, 204);
    const r = await http(b.mgmtUrl, 'GET', '/definitions');
    assert.equal(r.status, 200);
    exported = r.json as Defs;
    assertSameEntities(ours(exported, fixtureUsers, fixtureVhosts, fixtureGlobals),
      ours(fixture, fixtureUsers, fixtureVhosts, fixtureGlobals), 'Warren export vs RabbitMQ export');
    // The entities act, not just list: topic permissions and the operator policy show in their own endpoints.
    const tp = (await http(b.mgmtUrl, 'GET', '/topic-permissions/ops-rt/ops-bob')).json as Json[];
    assert.deepEqual(tp.map((x) => [x.exchange, x.write, x.read]), [['amq.topic', '^bob\\.', '^public\\.']]);
    const op = (await http(b.mgmtUrl, 'GET', '/operator-policies/ops-rt')).json as Json[];
    assert.deepEqual(op.map((x) => x.name), ['op.cap']);
    const q = (await http(b.mgmtUrl, 'GET', '/queues/ops-rt/q.ttl')).json as Json;
    assert.equal(q.operator_policy, 'op.cap');
    assert.equal(q.policy, 'p.ttl');
  });

  it('users log in with their original passwords: the hashes round-tripped', async () => {
    for (const [user, [pass, vhost]] of Object.entries(PASSWORDS)) {
      const c = await amqp.connect(`amqp://${user}:${pass}@127.0.0.1:${b.port}/${encodeURIComponent(vhost)}`);
      await c.close();
      assert.equal((await http(b.mgmtUrl, 'GET', '/whoami', undefined, user, pass)).status, user === 'ops-carol' ? 401 : 200,
        `${user} on the management API (carol has no management tag)`);
    }
    await assert.rejects(amqp.connect(`amqp://ops-alice:wrong@127.0.0.1:${b.port}/ops-rt`));
    // ops-dave has an empty hash: no password logs him in.
    await assert.rejects(amqp.connect(`amqp://ops-dave:@127.0.0.1:${b.port}/ops-rt`));
  });

  it('Warren\'s export loads back into RabbitMQ 3.10.8 (when a reference is reachable)', async (t) => {
    const ref = process.env.WARREN_REF_MGMT_URL ?? 'http://127.0.0.1:15673';
    const up = await fetch(`${ref}/api/overview`, { headers: { authorization: auth() }, signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok, () => false);
    if (!up) { t.skip(`no reference RabbitMQ at ${ref}`); return; }
    assert.ok(exported, 'the import test ran first');
    // Renamed copies, so the reference's own ops-* entities (and guest) are left alone.
    const sfx = uniq('').slice(1);
    const ren = (n: unknown) => `${String(n)}-${sfx}`;
    const mine = ours(exported, fixtureUsers, fixtureVhosts, fixtureGlobals);
    const back: Defs = {
      users: mine.users!.map((u) => ({ ...u, name: ren(u.name) })),
      vhosts: mine.vhosts!.map((v) => ({ ...v, name: ren(v.name) })),
      global_parameters: [],
    };
    const users = (n: unknown) => (fixtureUsers.has(String(n)) ? ren(n) : n);
    for (const s of ['permissions', 'topic_permissions']) back[s] = mine[s]!.map((x) => ({ ...x, user: users(x.user), vhost: ren(x.vhost) }));
    for (const s of ['parameters', 'policies', 'queues', 'exchanges', 'bindings']) back[s] = mine[s]!.map((x) => ({ ...x, vhost: ren(x.vhost) }));
    try {
      const r = await http(ref, 'POST', '/definitions', back);
      assert.equal(r.status, 204, JSON.stringify(r.json));
      const again = (await http(ref, 'GET', '/definitions')).json as Defs;
      const renamedUsers = new Set([...fixtureUsers].map(ren));
      const renamedVhosts = new Set([...fixtureVhosts].map(ren));
      const theirs = ours(again, renamedUsers, renamedVhosts, new Set());
      // Rename back and compare with the fixture: RabbitMQ holds what it exported in the first place.
      const unren = (n: unknown) => String(n).replace(`-${sfx}`, '');
      const restored: Record<string, Json[]> = {};
      for (const s of SECTIONS) {
        restored[s] = theirs[s]!.map((x) => {
          const y: Json = { ...x };
          if ('vhost' in y) y.vhost = unren(y.vhost);
          if (s === 'users' || s === 'vhosts') y.name = unren(y.name);
          if ('user' in y) y.user = unren(y.user);
          return y;
        });
      }
      const want = ours(fixture, fixtureUsers, fixtureVhosts, new Set());
      assertSameEntities(restored, want, 'RabbitMQ re-export of Warren\'s export vs the fixture');
      // And RabbitMQ accepts the password hashes Warren kept.
      const refAmqp = Number(new URL(ref).port) - 10000;
      const c = await amqp.connect(`amqp://${ren('ops-alice')}:alice-secret@127.0.0.1:${refAmqp}/${encodeURIComponent(ren('ops-rt'))}`);
      await c.close();
    } finally {
      for (const v of fixtureVhosts) await http(ref, 'DELETE', `/vhosts/${encodeURIComponent(ren(v))}`);
      for (const u of fixtureUsers) await http(ref, 'DELETE', `/users/${encodeURIComponent(ren(u))}`);
    }
  });
});
