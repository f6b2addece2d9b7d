// Management API counters that used to be placeholders: a connection's recv_cnt/send_cnt (socket reads and
// writes, as RabbitMQ's inet packet counts) and /api/auth/attempts/{node} (RabbitMQ 3.10's login counters per
// protocol). Assertions are on differences, so the file also runs against RabbitMQ (WARREN_TEST_URL).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import { eventually, uniq } from '../support/amqp.js';

type Json = Record<string, unknown>;
let b: TestBroker;
const auth = (u = 'guest', p = 'guest') => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const get = async (path: string, headers: Record<string, string> = auth()) => {
  const r = await fetch(`${b.mgmtUrl}/api${path}`, { headers });
  return { status: r.status, json: await r.json() as unknown };
};

describe('management counters', () => {
  before(async () => { b = await startBroker(); });
  after(async () => { await b?.stop(); });

  it('recv_cnt and send_cnt count a connection\'s socket reads and writes', async () => {
    const name = uniq('counters');
    const c = await amqp.connect(b.url, { clientProperties: { connection_name: name } });
    try {
      const conn = async () => ((await get('/connections')).json as Json[]).find((x) => x.user_provided_name === name);
      const first = await eventually(conn, 10000, 200);
      const ch = await c.createChannel();
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      for (let i = 0; i < 5; i++) await ch.checkQueue(q);
      // RabbitMQ refreshes these with its stats interval; Warren at once.
      const later = await eventually(async () => {
        const x = await conn();
        return x && Number(x.recv_cnt) > Number(first!.recv_cnt) && Number(x.send_cnt) > Number(first!.send_cnt) ? x : undefined;
      }, 15000, 250);
      assert.ok(Number(later!.recv_cnt) > 0 && Number(later!.send_cnt) > 0);
    } finally { await c.close(); }
  });

  it('/api/auth/attempts/{node} counts AMQP and HTTP logins, failed and succeeded', async () => {
    const node = ((await get('/overview')).json as Json).node as string;
    const counts = async () => {
      const list = (await get(`/auth/attempts/${encodeURIComponent(node)}`)).json as Json[];
      const of = (p: string) => list.find((x) => x.protocol === p) ?? { auth_attempts: 0, auth_attempts_failed: 0, auth_attempts_succeeded: 0 };
      return { amqp: of('amqp091'), http: of('http') };
    };
    const before = await counts();
    await (await amqp.connect(b.url)).close();
    await assert.rejects(amqp.connect(b.url.replace('guest:guest', 'guest:nope')));
    assert.equal((await get('/whoami', auth('guest', 'nope'))).status, 401);
    const after = await eventually(async () => {
      const x = await counts();
      return Number(x.amqp.auth_attempts_failed) > Number(before.amqp.auth_attempts_failed) ? x : undefined;
    }, 10000, 200);
    const d = (k: 'amqp' | 'http', f: string) => Number(after![k][f]) - Number(before[k][f]);
    assert.ok(d('amqp', 'auth_attempts_succeeded') >= 1);
    assert.ok(d('amqp', 'auth_attempts_failed') >= 1);
    assert.equal(Number(after!.amqp.auth_attempts), Number(after!.amqp.auth_attempts_failed) + Number(after!.amqp.auth_attempts_succeeded));
    assert.ok(d('http', 'auth_attempts_failed') >= 1);
    assert.ok(d('http', 'auth_attempts_succeeded') >= 1);
    assert.deepEqual((await get(`/auth/attempts/${encodeURIComponent(node)}/source`)).json, []);
    const missing = await get('/auth/attempts/no-such-node@nowhere');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'Object Not Found', reason: 'Not Found' });
  });
});
