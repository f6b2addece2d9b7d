// Integration tests for Warren's own AMQP client (src/client) against a real broker: every operation the
// library offers, broker-initiated channel and connection closes, confirms (ack and nack), returns, socket
// backpressure, amqps:// through a TLS proxy, and connection.blocked. Runs against RabbitMQ too
// (WARREN_TEST_URL), except the blocked test, which sets the broker's disk limit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { connect as netConnect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, AmqpCloseError, ConfirmNackError, ClosedError, type Connection, type Message, type ReturnedMessage } from '../../src/client/index.js';
import { M } from '../../src/amqp/spec.generated.js';
import { external, startBroker, startWarren, type TestBroker } from '../support/broker.js';
import { uniq, eventually, sleep } from '../support/amqp.js';

const limits = { timeout: 15_000 };
const here = dirname(fileURLToPath(import.meta.url));
/** test/fixtures/tls, seen from dist/test/integration/. */
const tlsDir = join(here, '..', '..', '..', 'test', 'fixtures', 'tls');

let broker: TestBroker;
const conns: Connection[] = [];

async function open(url = broker.url, opts = {}): Promise<Connection> {
  const c = await connect(url, opts);
  conns.push(c);
  return c;
}

/** Waits for `n` deliveries to `queue` on a fresh consumer; returns them. */
function collect(ch: Awaited<ReturnType<Connection['createChannel']>>, queue: string, n: number, noAck = true): Promise<Message[]> {
  const got: Message[] = [];
  return new Promise((resolve, reject) => {
    ch.consume(queue, (m) => { got.push(m); if (got.length === n) resolve(got); }, { noAck }).catch(reject);
  });
}

describe('AMQP client', () => {
  before(async () => { broker = await startBroker(); });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await broker.stop();
  });

  it('handshake: PLAIN, tune, heartbeats keep an idle connection open', limits, async () => {
    const c = await open(broker.url, { heartbeat: 1, connectionName: 'client-test' });
    assert.equal(c.heartbeat, 1);
    assert.equal(c.frameMax, 131072);
    assert.ok(c.channelMax > 0);
    assert.equal(typeof c.serverProperties.product, 'string');
    // With a 1 s heartbeat the broker drops a peer silent for ~2 s: staying idle for 3 s proves we send them.
    await sleep(3000);
    const ch = await c.createChannel();
    assert.equal(ch.id, 1);
    assert.equal(c.closed, false);
    await c.close();
    assert.equal(c.closed, true);
    assert.equal(ch.closed, true);
  });

  it('wrong password and unknown vhost: the broker closes the connection with 403 and 530', limits, async () => {
    const bad = new URL(broker.url);
    bad.password = 'wrong';
    await assert.rejects(connect(bad.toString()), (e: AmqpCloseError) => e instanceof AmqpCloseError && e.code === 403
      && e.replyText.startsWith('ACCESS_REFUSED'));
    const novhost = new URL(broker.url);
    novhost.pathname = '/no-such-vhost-' + uniq('v');
    await assert.rejects(connect(novhost.toString()), (e: AmqpCloseError) => e instanceof AmqpCloseError && e.code === 530
      && /NOT_ALLOWED - vhost .* not found/.test(e.replyText));
  });

  it('exchange and queue declare, bind, unbind, purge, delete', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    const x = uniq('client.x'), x2 = uniq('client.x2'), q = uniq('client.q');
    await ch.exchangeDeclare(x, 'topic', { autoDelete: false });
    await ch.exchangeDeclare(x2, 'fanout');
    await ch.exchangeDeclare(x, 'topic', { passive: true });
    await ch.exchangeBind(x2, x, 'a.#');
    const d = await ch.queueDeclare(q, { arguments: { 'x-max-length': 100 } });
    assert.deepEqual(d, { queue: q, messageCount: 0, consumerCount: 0 });
    await ch.queueBind(q, x2, '');
    ch.publish(x, 'a.b', Buffer.from('one'));
    ch.publish(x, 'z', Buffer.from('dropped'));
    await eventually(async () => (await ch.queueDeclare(q, { passive: true })).messageCount === 1);
    await ch.exchangeUnbind(x2, x, 'a.#');
    ch.publish(x, 'a.b', Buffer.from('not routed any more'));
    ch.publish(x2, '', Buffer.from('two'));
    await eventually(async () => (await ch.queueDeclare(q, { passive: true })).messageCount === 2);
    await ch.queueUnbind(q, x2, '');
    assert.equal(await ch.queuePurge(q), 2);
    ch.publish('', q, Buffer.from('three'));
    await eventually(async () => (await ch.queueDeclare(q, { passive: true })).messageCount === 1);
    assert.equal(await ch.queueDelete(q), 1);
    await ch.exchangeDelete(x2);
    await ch.exchangeDelete(x);
    const srv = await ch.queueDeclare('', { exclusive: true });
    assert.match(srv.queue, /^amq\.gen-/);
    await ch.close();
    assert.equal(ch.closed, true);
  });

  it('publish with properties, consume, ack, nack (requeue), reject, multiple', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    const { queue: q } = await ch.queueDeclare('', { exclusive: true });
    const props = { contentType: 'application/json', headers: { a: 1, s: 'x' }, deliveryMode: 2, priority: 3,
      correlationId: 'c1', replyTo: 'r', messageId: 'm1', timestamp: 1700000000, type: 't', appId: 'app' };
    ch.publish('', q, Buffer.from('{"n":1}'), props);
    for (let i = 2; i <= 5; i++) ch.publish('', q, Buffer.from(String(i)));
    const got: Message[] = [];
    let resolveN: () => void;
    let want = 5;
    const waitN = () => new Promise<void>((r) => { resolveN = r; });
    let p = waitN();
    const tag = await ch.consume(q, (m) => { got.push(m); if (got.length === want) resolveN(); });
    await p;
    assert.equal(got[0]!.body.toString(), '{"n":1}');
    assert.deepEqual(got[0]!.properties, props);
    assert.equal(got[0]!.fields.consumerTag, tag);
    assert.equal(got[0]!.fields.routingKey, q);
    assert.equal(got[0]!.fields.redelivered, false);
    ch.ack(got[1]!.fields.deliveryTag, true);            // 1 and 2
    ch.reject(got[2]!.fields.deliveryTag, false);         // 3 dropped
    want = 7; p = waitN();
    ch.nack(got[4]!.fields.deliveryTag, true, true);      // 4 and 5 come back, redelivered
    await p;
    assert.deepEqual(got.slice(5).map((m) => [m.body.toString(), m.fields.redelivered]), [['4', true], ['5', true]]);
    ch.ack(got[6]!.fields.deliveryTag, true);
    await ch.cancel(tag);
    ch.publish('', q, Buffer.from('after cancel'));
    const m = await eventually(async () => ch.get(q, { noAck: true }));
    assert.equal(m!.body.toString(), 'after cancel');
    assert.equal(got.length, 7);
  });

  it('a consumer cancelled by the broker (its queue deleted) is reported with its tag', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    const other = await c.createChannel();
    const q = uniq('client.cancel');
    await ch.queueDeclare(q, { autoDelete: false });
    const cancelled = new Promise<string>((r) => ch.once('cancel', r));
    const tag = await ch.consume(q, () => {}, { consumerTag: 'ctag-1' });
    assert.equal(tag, 'ctag-1');
    await other.queueDelete(q);
    assert.equal(await cancelled, 'ctag-1');
    assert.equal(ch.closed, false);
  });

  it('get: empty and with a message count; large bodies over several frames', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    const { queue: q } = await ch.queueDeclare('', { exclusive: true });
    assert.equal(await ch.get(q), null);
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    ch.publish('', q, big);
    ch.publish('', q, Buffer.alloc(0));
    await eventually(async () => (await ch.queueDeclare(q, { passive: true })).messageCount === 2);
    const first = await ch.get(q);
    assert.ok(first);
    assert.equal(first.fields.messageCount, 1);
    assert.ok(first.body.equals(big));
    ch.ack(first.fields.deliveryTag);
    const empty = await ch.get(q, { noAck: true });
    assert.equal(empty!.body.length, 0);
    assert.equal(await ch.get(q), null);
  });

  it('basic.qos limits unacked deliveries; recover redelivers', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    const { queue: q } = await ch.queueDeclare('', { exclusive: true });
    for (let i = 0; i < 5; i++) ch.publish('', q, Buffer.from(String(i)));
    await ch.qos(2);
    const got: Message[] = [];
    await ch.consume(q, (m) => got.push(m));
    await eventually(() => got.length === 2);
    await sleep(200);
    assert.equal(got.length, 2, 'prefetch 2 holds the rest back');
    ch.ack(got[1]!.fields.deliveryTag, true);
    await eventually(() => got.length === 4);
    await ch.recover(true);
    await eventually(() => got.some((m) => m.fields.redelivered));
  });

  it('server-initiated channel close surfaces code and text; the connection and other channels go on', limits, async () => {
    const c = await open();
    const a = await c.createChannel();
    const b = await c.createChannel();
    const closed = new Promise<Error | undefined>((r) => a.once('close', r));
    const q = uniq('client.missing');
    await assert.rejects(a.queueDeclare(q, { passive: true }), (e: AmqpCloseError) =>
      e.scope === 'channel' && e.code === 404 && e.replyText === `NOT_FOUND - no queue '${q}' in vhost '/'`
      && e.classId === 50 && e.methodId === 10);
    const err = await closed;
    assert.ok(err instanceof AmqpCloseError);
    assert.equal(a.closed, true);
    await assert.rejects(a.qos(1), ClosedError);
    assert.throws(() => a.publish('', 'x', Buffer.alloc(1)), ClosedError);
    // b still works, and the freed channel number is reused
    await b.queueDeclare('', { exclusive: true });
    const again = await c.createChannel();
    assert.equal(again.id, a.id);
    // a 406 on redeclare with other arguments
    const q2 = uniq('client.q');
    await b.queueDeclare(q2, { autoDelete: true, arguments: { 'x-max-length': 1 } });
    await assert.rejects(again.queueDeclare(q2, { autoDelete: true }), (e: AmqpCloseError) => e.code === 406);
    await b.queueDelete(q2);
  });

  it('server-initiated connection close fails every channel with the reason', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    const closed = new Promise<Error | undefined>((r) => c.once('close', r));
    // A method on a channel that was never opened is a connection error (504 CHANNEL_ERROR).
    c.sendMethod(77, { id: M.BasicQos, prefetchSize: 0, prefetchCount: 1, global: false });
    const err = await closed;
    assert.ok(err instanceof AmqpCloseError);
    assert.equal(err.scope, 'connection');
    assert.equal(err.code, 504);
    assert.equal(ch.closed, true);
    await assert.rejects(ch.queueDeclare(''), ClosedError);
    await assert.rejects(c.createChannel(), ClosedError);
  });

  it('confirms: promise per publish, callback with multiple coalescing, nack from reject-publish overflow', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    let acked = 0, nacked = 0, frames = 0;
    await ch.confirmSelect((ack, count) => { frames++; if (ack) acked += count; else nacked += count; });
    const { queue: q } = await ch.queueDeclare('', { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    await ch.publishConfirmed('', q, Buffer.from('fits'));
    await assert.rejects(ch.publishConfirmed('', q, Buffer.from('overflows')), ConfirmNackError);
    assert.equal(acked, 1);
    assert.equal(nacked, 1);
    await ch.queuePurge(q);
    const { queue: q2 } = await ch.queueDeclare('', { exclusive: true });
    for (let i = 0; i < 500; i++) ch.publish('', q2, Buffer.from('x'));
    await eventually(() => acked === 501);
    assert.ok(frames <= 502);
    assert.equal(ch.confirms!.unconfirmed, 0);
    assert.equal(ch.confirms!.nextSeq, 503);
  });

  it('mandatory: basic.return with 312 NO_ROUTE, then the confirm', limits, async () => {
    const c = await open();
    const ch = await c.createChannel();
    await ch.confirmSelect();
    const returned = new Promise<ReturnedMessage>((r) => ch.once('return', r));
    const x = uniq('client.x');
    await ch.exchangeDeclare(x, 'direct', { autoDelete: true });
    const { queue: anchor } = await ch.queueDeclare('', { exclusive: true });
    await ch.queueBind(anchor, x, 'routed');
    const confirmed = ch.publishConfirmed(x, 'nowhere', Buffer.from('lost'), { messageId: 'r1' }, true);
    const r = await returned;
    await confirmed;
    assert.equal(r.replyCode, 312);
    assert.equal(r.replyText, 'NO_ROUTE');
    assert.equal(r.exchange, x);
    assert.equal(r.routingKey, 'nowhere');
    assert.equal(r.properties.messageId, 'r1');
    assert.equal(r.body.toString(), 'lost');
  });

  it('backpressure: publish returns false when the socket is backed up; waitForDrain resumes', limits, async () => {
    // A TCP proxy that can stop reading from the client makes the backlog certain, whatever the broker's speed.
    const downs: Socket[] = [];
    const proxy = createNetServer((down) => {
      const up = netConnect(broker.port, broker.host);
      down.on('data', (d) => up.write(d));
      up.pipe(down);
      up.on('error', () => down.destroy());
      down.on('error', () => up.destroy());
      downs.push(down);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const u = new URL(broker.url);
      u.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const c = await open(u.toString());
      const ch = await c.createChannel();
      const { queue: q } = await ch.queueDeclare('', { exclusive: true });
      downs[0]!.pause();
      const body = Buffer.alloc(64 * 1024, 7);
      // 32 MB while nobody reads: far beyond what the kernel buffers on both sides can hold.
      let full = 0;
      const n = 512;
      for (let i = 0; i < n; i++) if (!ch.publish('', q, body)) full++;
      const drained = ch.waitForDrain();
      await sleep(100);
      assert.ok(full > 0, 'publish reported a full socket');
      assert.equal(c.writable, false);
      downs[0]!.resume();
      await drained;
      assert.equal(c.writable, true);
      const got = await collect(ch, q, n);
      assert.equal(got.length, n);
      assert.ok(got.every((m) => m.body.length === body.length && m.body[100] === 7));
      await c.close();
    } finally {
      proxy.close();
    }
  });

  it('amqps:// through a TLS proxy in front of the broker', limits, async () => {
    const cert = readFileSync(join(tlsDir, 'cert.pem'));
    const key = readFileSync(join(tlsDir, 'key.pem'));
    const proxy: TlsServer = createTlsServer({ cert, key }, (tls) => {
      const up = netConnect(broker.port, broker.host);
      tls.pipe(up).pipe(tls);
      up.on('error', () => tls.destroy());
      tls.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.address() as { port: number }).port;
      const u = new URL(broker.url);
      const c = await open(`amqps://${u.username}:${u.password}@localhost:${port}/`, { tls: { ca: cert } });
      const ch = await c.createChannel();
      const { queue: q } = await ch.queueDeclare('', { exclusive: true });
      ch.publish('', q, Buffer.from('over tls'));
      const m = await eventually(async () => ch.get(q, { noAck: true }));
      assert.equal(m!.body.toString(), 'over tls');
      await c.close();
      // an untrusted certificate fails the connect
      await assert.rejects(connect(`amqps://localhost:${port}/`));
    } finally {
      proxy.close();
    }
  });
});

describe('AMQP client: connection.blocked', { skip: external ? 'sets the broker\'s disk limit' : false }, () => {
  it('a publishing connection hears connection.blocked when the disk alarm is on', limits, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-client-alarm-'));
    // A limit far above the free space: the alarm is on from the first check.
    const st = statfsSync(dir);
    writeFileSync(join(dir, 'warren.conf'), `disk_free_limit.absolute = ${st.bavail * st.bsize + 1024 ** 4}\n`);
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: join(dir, 'warren.conf'), WARREN_ALARM_INTERVAL_MS: '100' } });
    try {
      const c = await connect(b.url);
      const events: string[] = [];
      c.on('blocked', (reason: string) => events.push(`blocked:${reason}`));
      c.on('unblocked', () => events.push('unblocked'));
      const ch = await c.createChannel();
      ch.publish('', 'nowhere', Buffer.from('x'));
      await eventually(() => events.length > 0, 5000);
      assert.deepEqual(events, ['blocked:low on disk']);
      assert.equal(c.blocked, true);
      c.socket.destroy();
    } finally {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
