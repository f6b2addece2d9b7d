// Topic permissions (RabbitMQ 3.7+): set through the management API, enforced on topic exchanges only: a
// publish needs its routing key to match the write regex, a binding from the exchange the read regex
// ({username} and {vhost} expanded); no topic permission for the exchange means no restriction. Runs against
// RabbitMQ too (WARREN_TEST_URL): the texts are RabbitMQ 3.10's.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import { expectChannelError, uniq } from '../support/amqp.js';

let b: TestBroker;
const enc = encodeURIComponent;
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${b.mgmtUrl}/api${path}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' },
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) as unknown : undefined };
}

describe('topic permissions', () => {
  const vhost = uniq('tp-vh'), user = uniq('tp-user'), pass = 'tp-secret';
  before(async () => {
    b = await startBroker();
    assert.equal((await api('PUT', `/vhosts/${enc(vhost)}`, {})).status, 201);
    assert.equal((await api('PUT', `/users/${enc(user)}`, { password: pass, tags: '' })).status, 201);
    assert.equal((await api('PUT', `/permissions/${enc(vhost)}/${enc(user)}`, { configure: '.*', write: '.*', read: '.*' })).status, 201);
    assert.equal((await api('PUT', `/topic-permissions/${enc(vhost)}/${enc(user)}`,
      { exchange: 'amq.topic', write: '^{username}\\.', read: '^public\\.' })).status, 201);
  });
  after(async () => {
    await api('DELETE', `/vhosts/${enc(vhost)}`);
    await api('DELETE', `/users/${enc(user)}`);
    await b?.stop();
  });

  it('is listed by the API in every form', async () => {
    const want = [{ user, vhost, exchange: 'amq.topic', write: '^{username}\\.', read: '^public\\.' }];
    assert.deepEqual((await api('GET', `/topic-permissions/${enc(vhost)}/${enc(user)}`)).json, want);
    assert.deepEqual((await api('GET', `/users/${enc(user)}/topic-permissions`)).json, want);
    assert.deepEqual((await api('GET', `/vhosts/${enc(vhost)}/topic-permissions`)).json, want);
    assert.ok(((await api('GET', '/topic-permissions')).json as unknown[]).some((x) => (x as { user: string }).user === user));
  });

  it('a publish to the topic exchange needs the routing key to match write; other exchanges are not affected', async () => {
    const c = await amqp.connect(`amqp://${enc(user)}:${pass}@${b.host}:${b.port}/${enc(vhost)}`);
    try {
      const ok = await c.createConfirmChannel();
      ok.publish('amq.topic', `${user}.news`, Buffer.from('mine'));
      ok.publish('amq.direct', 'anything.goes', Buffer.from('not a topic exchange'));
      await ok.waitForConfirms();
      const ch = await c.createChannel();
      const err = await expectChannelError(ch, async () => {
        ch.publish('amq.topic', 'someone-else.news', Buffer.from('x'));
        await ch.checkExchange('amq.topic');
      });
      assert.equal(err.code, 403);
      assert.match(err.message, new RegExp(`ACCESS_REFUSED - access to topic 'someone-else.news' in exchange 'amq.topic' in vhost '${vhost}' refused for user '${user}'`));
    } finally { await c.close().catch(() => {}); }
  });

  it('binding from the topic exchange needs the binding key to match read', async () => {
    const c = await amqp.connect(`amqp://${enc(user)}:${pass}@${b.host}:${b.port}/${enc(vhost)}`);
    try {
      const ch = await c.createChannel();
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(q, 'amq.topic', 'public.#');
      const err = await expectChannelError(ch, () => ch.bindQueue(q, 'amq.topic', 'private.#'));
      assert.equal(err.code, 403);
      assert.match(err.message, new RegExp(`access to topic 'private.#' in exchange 'amq.topic' in vhost '${vhost}' refused for user '${user}'`));
    } finally { await c.close().catch(() => {}); }
  });

  it('DELETE removes it: anything goes again', async () => {
    assert.equal((await api('DELETE', `/topic-permissions/${enc(vhost)}/${enc(user)}`)).status, 204);
    assert.equal((await api('GET', `/topic-permissions/${enc(vhost)}/${enc(user)}`)).status, 404);
    const c = await amqp.connect(`amqp://${enc(user)}:${pass}@${b.host}:${b.port}/${enc(vhost)}`);
    try {
      const ch = await c.createConfirmChannel();
      ch.publish('amq.topic', 'someone-else.news', Buffer.from('x'));
      await ch.waitForConfirms();
    } finally { await c.close(); }
  });
});
