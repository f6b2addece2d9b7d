// Integration tests: authentication hardening. A refused login looks the same whether the user exists or not
// (RabbitMQ's 403 text), is logged with the user and the peer, and is answered only after auth_failure_delay
// without holding up other connections; guest (loopback_users) is refused from a non-loopback address; the
// management API refuses cross-site requests and non-JSON bodies.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startWarren, type TestBroker } from '../support/broker.js';
import { api, enc } from '../support/mgmt.js';

const REFUSED = /403 \(ACCESS-REFUSED\) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN\. For details see the broker logfile\."/;

let broker: TestBroker;
const dir = mkdtempSync(join(tmpdir(), 'warren-auth-'));

before(async () => {
  const conf = join(dir, 'warren.conf');
  // Long enough that a bystander's whole session fits inside it even on a loaded machine.
  writeFileSync(conf, 'auth_failure_delay = 4000\n');
  broker = await startWarren({ env: { WARREN_CONFIG_FILE: conf, WARREN_LOG_LEVEL: 'warning' } });
  const a = api(broker);
  assert.equal((await a.put('/users/remote', { password: 'pw', tags: '' })).status, 201);
  assert.equal((await a.put('/permissions/%2F/remote', { configure: '.*', write: '.*', read: '.*' })).status, 201);
});
after(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('refused logins', () => {
  it('wrong password and unknown user: the same 403, after the delay, while another client gets on with its work', async () => {
    const order: string[] = [];
    const refuse = (url: string, name: string) => amqp.connect(url).then(
      () => { order.push(`${name} accepted`); },
      (e: Error) => { assert.match(e.message, REFUSED); order.push(`${name} refused`); });
    const wrong = refuse(`amqp://guest:wrong@127.0.0.1:${broker.port}/`, 'wrong password');
    const unknown = refuse(`amqp://nosuchuser:guest@127.0.0.1:${broker.port}/`, 'unknown user');
    // A bystander opens a connection and round-trips a message while both refusals are pending.
    const by = await amqp.connect(broker.url);
    const ch = await by.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('meanwhile'));
    const got = await new Promise<string>((resolve) => { void ch.consume(q, (m) => m && resolve(m.content.toString()), { noAck: true }); });
    assert.equal(got, 'meanwhile');
    order.push('bystander done');
    await by.close();
    await Promise.all([wrong, unknown]);
    assert.equal(order[0], 'bystander done', order.join(', '));
    assert.deepEqual(order.slice(1).sort(), ['unknown user refused', 'wrong password refused']);
    // The log says who and from where (the client never learns which part was wrong).
    const out = broker.output();
    assert.match(out, /Error on AMQP connection (::ffff:)?127\.0\.0\.1:\d+ -> \S+ \(state: starting\): PLAIN login refused: user 'guest' - invalid credentials/);
    assert.match(out, /Error on AMQP connection (::ffff:)?127\.0\.0\.1:\d+ -> \S+ \(state: starting\): PLAIN login refused: user 'nosuchuser' - invalid credentials/);
  });
});

describe('loopback_users', () => {
  /** A non-loopback IPv4 address of this machine, if it has one. */
  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it('guest is refused from a non-loopback address (403, logged); another user connects from it', { skip: external ? false : 'no non-loopback IPv4 address' }, async () => {
    await assert.rejects(amqp.connect(`amqp://guest:guest@${external}:${broker.port}/`), REFUSED);
    assert.match(broker.output(), /PLAIN login refused: user 'guest' can only connect via localhost/);
    const conn = await amqp.connect(`amqp://remote:pw@${external}:${broker.port}/`);
    const ch = await conn.createChannel();
    await ch.checkQueue((await ch.assertQueue('', { exclusive: true })).queue);
    await conn.close();
    // guest itself is fine on loopback.
    await (await amqp.connect(broker.url)).close();
  });
});

describe('management API: cross-site requests', () => {
  const url = () => `${broker.mgmtUrl}/api/vhosts/${enc('csrf-test')}`;
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
  const put = (headers: Record<string, string>, body = '{}') =>
    fetch(url(), { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json', ...headers }, body });

  it('a change with another site\'s Origin or Sec-Fetch-Site: cross-site is refused with 403 {error, reason}', async () => {
    const cases: Array<Record<string, string>> = [{ origin: 'http://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];
    for (const h of cases) {
      const r = await put(h);
      assert.equal(r.status, 403, JSON.stringify(h));
      const j = await r.json() as { error: string; reason: string };
      assert.equal(j.error, 'forbidden');
      assert.match(j.reason, /cross-site request refused/);
    }
    const del = await fetch(`${broker.mgmtUrl}/api/queues/%2F/x`, { method: 'DELETE', headers: { authorization: auth, origin: 'http://evil.example' } });
    assert.equal(del.status, 403);
    assert.equal((await api(broker).get(`/vhosts/${enc('csrf-test')}`)).status, 404, 'nothing was created');
  });

  it('from a browser, a body a form could send (text/plain, urlencoded, multipart from elsewhere) is refused with 415', async () => {
    const browser = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0' };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await put({ ...browser, 'content-type': type });
      assert.equal(r.status, 415, type);
      assert.equal((await r.json() as { error: string }).error, 'unsupported_media_type');
    }
    assert.equal((await api(broker).get(`/vhosts/${enc('csrf-test')}`)).status, 404, 'nothing was created');
  });

  it('a tool sending JSON as curl -d does (urlencoded type, no browser headers) is served, as by RabbitMQ', async () => {
    const r = await put({ 'user-agent': 'curl/7.88.1', 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 201);
    assert.equal((await api(broker).del(`/vhosts/${enc('csrf-test')}`)).status, 204);
  });

  it('same-origin browser requests, tools without Origin, and cross-site reads still work', async () => {
    const host = new URL(broker.mgmtUrl).host;
    assert.equal((await put({ origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status, 201);
    assert.equal((await put({})).status, 204);
    const get = await fetch(url(), { headers: { authorization: auth, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } });
    assert.equal(get.status, 200);
    assert.equal((await api(broker).del(`/vhosts/${enc('csrf-test')}`)).status, 204);
  });
});
