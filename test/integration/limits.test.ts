// Integration tests: limits with RabbitMQ 3.10's names, reply codes and texts. Vhost limits (max-connections,
// max-queues) and user limits (max-connections, max-channels) are set at run time through the management API,
// so those tests also run against RabbitMQ (test/against-rabbitmq.sh); max_message_size, consumer_timeout,
// handshake_timeout and connection_max need a warren.conf and run against Warren processes of their own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp, { type ChannelModel } from 'amqplib';
import { external, startBroker, startWarren, type TestBroker } from '../support/broker.js';
import {
  AMQP_HEADER, WireSocket, channelClosed, decodeClose, eventually, uniq, wireHandshake,
  type CloseFields, type ServerClose,
} from '../support/amqp.js';
import { frame, P } from '../support/wire-frames.js';
import { api, enc, makeUser, type Api } from '../support/mgmt.js';

const sockets: WireSocket[] = [];
const conns: ChannelModel[] = [];
after(() => {
  for (const w of sockets) w.destroy();
  for (const c of conns) c.close().catch(() => {});
});

async function connect(url: string): Promise<ChannelModel> {
  const c = await amqp.connect(url);
  c.on('error', () => {});
  conns.push(c);
  return c;
}

/** A bare socket through start/tune to connection.open; resolves with what answered the open. */
async function wireOpen(b: TestBroker, vhost: string, user = 'guest', password = 'guest'): Promise<{ w: WireSocket; close?: CloseFields }> {
  const w = await WireSocket.open(b.host, b.port);
  sockets.push(w);
  const { reply } = await wireHandshake(w, { user, password, vhost, tune: { frameMax: 4096, heartbeat: 0 } });
  if (reply.classId === 10 && reply.methodId === 50) {
    w.sendMethod(0, 10, 51);
    return { w, close: decodeClose(reply.args) };
  }
  assert.deepEqual([reply.classId, reply.methodId], [10, 41], 'connection.open-ok');
  return { w };
}

const urlFor = (b: TestBroker, vhost: string, user = 'guest', password = 'guest') =>
  `amqp://${user}:${password}@${b.host}:${b.port}/${enc(vhost)}`;

describe('vhost and user limits (run time, as RabbitMQ 3.10.8)', () => {
  let b: TestBroker, a: Api;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => { b = await startBroker(); a = api(b); });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await b.stop();
  });

  async function vhost(): Promise<string> {
    const v = uniq('lim');
    assert.equal((await a.put(`/vhosts/${enc(v)}`)).status, 201);
    cleanups.push(() => a.del(`/vhosts/${enc(v)}`));
    assert.ok([201, 204].includes((await a.put(`/permissions/${enc(v)}/guest`, { configure: '.*', write: '.*', read: '.*' })).status));
    return v;
  }
  async function user(v: string): Promise<string> {
    const u = uniq('limuser');
    cleanups.push(await makeUser(a, u, '', ['.*', '.*', '.*'], v));
    return u;
  }
  const setVhostLimit = async (v: string, name: string, value: number) =>
    assert.equal((await a.put(`/vhost-limits/${enc(v)}/${name}`, { value })).status, 204);
  const setUserLimit = async (u: string, name: string, value: number) =>
    assert.equal((await a.put(`/user-limits/${enc(u)}/${name}`, { value })).status, 204);

  it('frame_max: a payload up to frame_max passes (RabbitMQ\'s 8-octet fudge); one octet more is 501 frame_too_large', async () => {
    for (const [size, code, text] of [
      [4096, 505, 'UNEXPECTED_FRAME - expected method frame, got non method frame instead'],
      [4097, 501, 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,4097,4088}'],
    ] as const) {
      const { w } = await wireOpen(b, '/');
      // A body frame on a channel that was never opened: 505 once its size is accepted.
      w.write(frame(3, 1, Buffer.alloc(size)));
      const m = await w.readMethod(5000);
      assert.deepEqual(decodeClose(m.args), { replyCode: code, replyText: text, classId: 0, methodId: 0 }, `payload of ${size}`);
    }
  });

  it('vhost max-connections: connection.open past it is refused with 530, others keep working', async () => {
    const v = await vhost();
    await setVhostLimit(v, 'max-connections', 1);
    const first = await connect(urlFor(b, v));
    const { close } = await wireOpen(b, v);
    assert.deepEqual(close, {
      replyCode: 530, replyText: `NOT_ALLOWED - access to vhost '${v}' refused for user 'guest': connection limit (1) is reached`,
      classId: 10, methodId: 40,
    });
    // The open connection is untouched, and other vhosts are not limited.
    const ch = await first.createChannel();
    await ch.checkExchange('amq.direct');
    const other = await connect(b.url);
    await (await other.createChannel()).checkExchange('amq.direct');
    // Closing the first frees the slot; a negative limit means none; 0 allows nothing.
    await first.close();
    conns.splice(conns.indexOf(first), 1);
    await eventually(async () => !(await wireOpen(b, v)).close, 5000, 100);
    await setVhostLimit(v, 'max-connections', -1);
    assert.equal((await wireOpen(b, v)).close, undefined);
    await setVhostLimit(v, 'max-connections', 0);
    assert.equal((await wireOpen(b, v)).close?.replyText,
      `NOT_ALLOWED - access to vhost '${v}' refused for user 'guest': connection limit (0) is reached`);
  });

  it('vhost max-queues: declaring a new queue past it is 406 on the channel; redeclaring an existing one is fine', async () => {
    const v = await vhost();
    await setVhostLimit(v, 'max-queues', 1);
    const c = await connect(urlFor(b, v));
    const ch = await c.createChannel();
    await ch.assertQueue('q1', { durable: false });
    await ch.assertQueue('q1', { durable: false });
    let closed = channelClosed(ch);
    await assert.rejects(ch.assertQueue('q2', { durable: false }));
    let e = await closed;
    assert.equal(e.code, 406);
    assert.match(e.message, new RegExp(`PRECONDITION_FAILED - cannot declare queue 'q2': queue limit in vhost '${v}' \\(1\\) is reached`));
    assert.deepEqual([e.classId, e.methodId], [50, 10]);
    // Server-named queues count and are named in the text; the connection stays open.
    const ch2 = await c.createChannel();
    closed = channelClosed(ch2);
    await assert.rejects(ch2.assertQueue('', { exclusive: true }));
    e = await closed;
    assert.match(e.message, new RegExp(`cannot declare queue 'amq\\.gen-[\\w-]+': queue limit in vhost '${v}' \\(1\\) is reached`));
    // The management API's queue PUT is held to the same limit: 400 with the same text.
    const r = await a.put(`/queues/${enc(v)}/q3`, { durable: false });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: `cannot declare queue 'q3': queue limit in vhost '${v}' (1) is reached` }]);
    const ch3 = await c.createChannel();
    await ch3.deleteQueue('q1');
    await ch3.assertQueue('q2', { durable: false });
    await ch3.deleteQueue('q2');
  });

  it('the management API validates limits with RabbitMQ\'s texts', async () => {
    const v = await vhost();
    const u = await user(v);
    let r = await a.put(`/user-limits/${enc(u)}/max-channels`, { value: 'x' });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'max-channels should be a number, actually was <<"x">>' }]);
    r = await a.put(`/user-limits/${enc(u)}/max-foo`, { value: 3 });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'Unrecognised terms [{<<"max-foo">>,3}] in user-limits' }]);
    r = await a.put(`/vhost-limits/${enc(v)}/max-queues`, { value: 1.5 });
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: 'Validation failed\n\nmax-queues should be a number, actually was 1.5\n' }]);
  });

  it('user max-connections: counted over every vhost, refused with 530 before vhost access is checked', async () => {
    const v = await vhost();
    const u = await user(v);
    await setUserLimit(u, 'max-connections', 1);
    const first = await connect(urlFor(b, v, u, 'pw'));
    const want = { replyCode: 530, replyText: `NOT_ALLOWED - connection refused for user '${u}': user connection limit (1) is reached`, classId: 10, methodId: 40 };
    assert.deepEqual((await wireOpen(b, v, u, 'pw')).close, want);
    // The user has no access to "/" at all, yet the limit answers first (as RabbitMQ orders its checks).
    assert.deepEqual((await wireOpen(b, '/', u, 'pw')).close, want);
    await (await first.createChannel()).checkExchange('amq.direct');
  });

  it('user max-channels: counted over all of the user\'s connections; the next channel closes its connection with 530', async () => {
    const v = await vhost();
    const u = await user(v);
    await setUserLimit(u, 'max-channels', 2);
    const one = await connect(urlFor(b, v, u, 'pw'));
    const ch1 = await one.createChannel();
    const { w } = await wireOpen(b, v, u, 'pw');
    w.write(frame(1, 1, P.channelOpen()));
    assert.deepEqual([(await w.readMethod()).methodId], [11]);
    w.write(frame(1, 2, P.channelOpen()));
    const m = await w.readMethod();
    assert.deepEqual([m.classId, m.methodId], [10, 50]);
    assert.deepEqual(decodeClose(m.args), {
      replyCode: 530, replyText: `NOT_ALLOWED - number of channels opened for user '${u}' has reached the maximum allowed user limit of (2)`,
      classId: 0, methodId: 0,
    });
    w.sendMethod(0, 10, 51);
    // The user's other connection and its channel are untouched; once the wire connection is gone, a
    // channel fits again.
    await ch1.checkExchange('amq.direct');
    await eventually(() => w.ended, 5000);
    await eventually(async () => {
      try { await (await one.createChannel()).checkExchange('amq.direct'); return true; } catch { return false; }
    }, 5000, 100);
  });
});

describe('limits from warren.conf', { skip: external ? 'needs a Warren started with its own warren.conf' : false }, () => {
  let dir: string;
  const brokers: TestBroker[] = [];
  before(() => { dir = mkdtempSync(join(tmpdir(), 'warren-limits-')); });
  after(async () => {
    for (const b of brokers) await b.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  async function withConf(text: string): Promise<TestBroker> {
    const file = join(dir, `${uniq('c')}.conf`);
    writeFileSync(file, text);
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: file } });
    brokers.push(b);
    return b;
  }

  describe('max_message_size, consumer_timeout and handshake_timeout', () => {
    let b: TestBroker;
    // handshake_timeout is generous enough that the tests' own clients finish their handshakes on a busy machine.
    before(async () => { b = await withConf('max_message_size = 1000\nconsumer_timeout = 300\nhandshake_timeout = 3000\n'); });

    it('max_message_size: a larger body closes the channel with 406 at its content header; the connection lives on', async () => {
      const c = await connect(b.url);
      const ch = await c.createChannel();
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      const closed = channelClosed(ch);
      ch.sendToQueue(q, Buffer.alloc(1001));
      const e = await closed;
      assert.equal(e.code, 406);
      assert.match(e.message, /PRECONDITION_FAILED - message size 1001 is larger than configured max size 1000/);
      assert.deepEqual([e.classId, e.methodId], [60, 40]);
      const ch2 = await c.createChannel();
      ch2.sendToQueue(q, Buffer.alloc(1000));
      const got = await eventually(() => ch2.get(q, { noAck: true }));
      assert.equal(got && got.content.length, 1000);
    });

    it('consumer_timeout: an unacked delivery closes its channel with 406 and is requeued', async () => {
      const c = await connect(b.url);
      const ch = await c.createChannel();
      const q = (await ch.assertQueue(uniq('ct'), { durable: false })).queue;
      ch.sendToQueue(q, Buffer.from('late'));
      const closed = channelClosed(ch);
      const delivered = new Promise<void>((r) => { void ch.consume(q, () => r(), { noAck: false }); });
      await delivered;
      const e: ServerClose = await closed;
      assert.equal(e.code, 406);
      assert.match(e.message, /PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out\. Timeout value used: 300 ms\. This timeout value can be configured, see consumers doc guide to learn more/);
      assert.deepEqual([e.classId, e.methodId], [0, 0]);
      // The message is back, marked redelivered; the connection still works.
      const ch2 = await c.createChannel();
      const m = await eventually(() => ch2.get(q, { noAck: true }));
      assert.ok(m);
      assert.equal(m.content.toString(), 'late');
      assert.equal(m.fields.redelivered, true);
      assert.match(b.output(), /Consumer amq\.ctag-[\w-]+ on channel 1 has timed out waiting for delivery acknowledgement/);
      await ch2.deleteQueue(q);
    });

    it('consumer_timeout: a basic.get left unacked counts too', async () => {
      const c = await connect(b.url);
      const ch = await c.createChannel();
      const q = (await ch.assertQueue(uniq('ct'), { durable: false })).queue;
      ch.sendToQueue(q, Buffer.from('got'));
      const closed = channelClosed(ch);
      assert.ok(await eventually(() => ch.get(q, { noAck: false })));
      const e = await closed;
      assert.equal(e.code, 406);
      assert.match(e.message, /delivery acknowledgement on channel 1 timed out/);
      const ch2 = await c.createChannel();
      const m = await eventually(() => ch2.get(q, { noAck: true }));
      assert.ok(m && m.fields.redelivered);
      await ch2.deleteQueue(q);
    });

    it('handshake_timeout: silent or stalled sockets are dropped and logged; other clients are unaffected', async () => {
      const silent = await WireSocket.open(b.host, b.port, null);
      sockets.push(silent);
      const stalled = await WireSocket.open(b.host, b.port, AMQP_HEADER);
      sockets.push(stalled);
      const start = await stalled.readMethod();
      assert.deepEqual([start.classId, start.methodId], [10, 10], 'connection.start');
      const client = await connect(b.url);
      await eventually(() => silent.ended && stalled.ended, 15_000, 50);
      assert.equal(silent.buffered.length, 0, 'nothing sent to the silent socket');
      assert.match(b.output(), /handshake_timeout \(3000 ms\) waiting for the protocol header/);
      assert.match(b.output(), /handshake_timeout \(3000 ms\) waiting for connection\.start-ok/);
      // An open connection is past its handshake: the timeout does not touch it.
      await (await client.createChannel()).checkExchange('amq.direct');
    });
  });

  it('connection_max: connections past it wait unanswered until one closes (as RabbitMQ\'s listener stops accepting)', async () => {
    const b = await withConf('connection_max = 2\n');
    const one = await connect(b.url);
    await connect(b.url);
    const third = await WireSocket.open(b.host, b.port, AMQP_HEADER);
    sockets.push(third);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(third.buffered.length, 0, 'no connection.start while the node is full');
    assert.equal(third.ended, false);
    await one.close();
    conns.splice(conns.indexOf(one), 1);
    const start = await third.readMethod(10_000);
    assert.deepEqual([start.classId, start.methodId], [10, 10], 'connection.start once a slot is free');
  });

  describe('warrenctl set/clear/list_vhost_limits and set/clear/list_user_limits', () => {
    let b: TestBroker;
    const ctlScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warrenctl.js');
    const ctl = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [ctlScript, ...args],
        { env: { ...process.env, WARREN_COOKIE_FILE: join(b.dataDir!, '.warren.cookie'), WARREN_DATA_DIR: b.dataDir! } },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }));
    });
    // The 512 MiB ceiling as max_message_size, for the one test of its own wording.
    before(async () => { b = await withConf('max_message_size = 536870912\n'); });

    it('max_message_size at its 512 MiB ceiling says "max size", not "configured max size" (decided at the content header)', async () => {
      const { w } = await wireOpen(b, '/');
      w.write(frame(1, 1, P.channelOpen()));
      assert.deepEqual([(await w.readMethod()).methodId], [11]);
      w.write(Buffer.concat([frame(1, 1, P.publish('', 'nowhere')), frame(2, 1, P.header(536870913))]));
      const m = await w.readMethod(5000);
      assert.deepEqual([m.channel, m.classId, m.methodId], [1, 20, 40], 'channel.close');
      assert.deepEqual(decodeClose(m.args), {
        replyCode: 406, replyText: 'PRECONDITION_FAILED - message size 536870913 is larger than max size 536870912', classId: 60, methodId: 40,
      });
    });

    it('vhost limits: output and errors as rabbitmqctl 3.10.8, and the limit takes effect', async () => {
      assert.equal((await ctl('add_vhost', 'lv')).code, 0);
      let r = await ctl('set_vhost_limits', '-p', 'lv', '{"max-queues": 1, "max-connections": 5}');
      assert.deepEqual([r.code, r.stdout], [0, 'Setting vhost limits to "{"max-queues": 1, "max-connections": 5}" for vhost "lv" ...\n']);
      r = await ctl('list_vhost_limits', '-p', 'lv');
      assert.equal(r.stdout, 'Listing limits for vhost "lv" ...\n{"max-connections":5,"max-queues":1}\n');
      r = await ctl('list_vhost_limits', '-p', 'lv', '--formatter', 'json');
      assert.deepEqual(JSON.parse(r.stdout), { node: JSON.parse(r.stdout).node, result: 'ok', value: '{"max-connections":5,"max-queues":1}' });
      r = await ctl('list_vhost_limits', '--global');
      assert.equal(r.stdout, 'Listing limits for all vhosts ...\nvhost\tlimits\nlv\t{"max-connections":5,"max-queues":1}\n');
      r = await ctl('set_vhost_limits', '-p', 'lv', '{"a": 3, "max-queues": "y"}');
      assert.equal(r.code, 69);
      assert.equal(r.stderr, 'Error:\nValidation failed\n\nUnrecognised terms [{<<"a">>,3}] in limits\nmax-queues should be a number, actually was <<"y">>\n\n');
      r = await ctl('set_vhost_limits', '-p', 'lv', 'nope');
      assert.deepEqual([r.code, r.stderr], [69, 'Error:\nJSON decoding error. Reason: badarg\n']);
      r = await ctl('set_vhost_limits', '-p', 'nosuch', '{"max-queues": 1}');
      assert.deepEqual([r.code, r.stderr], [65, "Virtual host 'nosuch' does not exist\n"]);

      // The limit is in force for AMQP clients.
      assert.equal((await ctl('set_permissions', '-p', 'lv', 'guest', '.*', '.*', '.*')).code, 0);
      const c = await connect(urlFor(b, 'lv'));
      const ch = await c.createChannel();
      await ch.assertQueue('one', { durable: false });
      const closed = channelClosed(ch);
      await assert.rejects(ch.assertQueue('two', { durable: false }));
      assert.match((await closed).message, /cannot declare queue 'two': queue limit in vhost 'lv' \(1\) is reached/);

      r = await ctl('clear_vhost_limits', '-p', 'lv');
      assert.deepEqual([r.code, r.stdout], [0, 'Clearing vhost "lv" limits ...\n']);
      r = await ctl('list_vhost_limits', '-p', 'lv');
      assert.equal(r.stdout, 'Listing limits for vhost "lv" ...\n\n');
      r = await ctl('clear_vhost_limits', '-p', 'lv');
      assert.deepEqual([r.code, r.stderr], [69, 'Error:\nParameter does not exist\n']);
    });

    it('user limits: output and errors as rabbitmqctl 3.10.8, and the limit takes effect', async () => {
      assert.equal((await ctl('add_user', 'lu', 'pw')).code, 0);
      assert.equal((await ctl('set_permissions', 'lu', '.*', '.*', '.*')).code, 0);
      let r = await ctl('set_user_limits', 'lu', '{"max-connections": 1, "max-channels": 3}');
      assert.deepEqual([r.code, r.stdout], [0, 'Setting user limits to "{"max-connections": 1, "max-channels": 3}" for user "lu" ...\n']);
      r = await ctl('list_user_limits', '--user', 'lu');
      assert.equal(r.stdout, 'Listing limits for user "lu" ...\n{"max-channels":3,"max-connections":1}\n');
      r = await ctl('list_user_limits', '--user', 'lu', '--formatter', 'json');
      assert.equal(r.stdout, '{"message":"{\\"max-channels\\":3,\\"max-connections\\":1}"}\n');
      r = await ctl('list_user_limits', '--global');
      assert.equal(r.stdout, 'Listing limits for all users ...\nuser\tlimits\nlu\t{"max-channels":3,"max-connections":1}\n');
      r = await ctl('list_user_limits');
      assert.equal(r.stdout, 'Listing limits for user "guest" ...\n{}\n');
      r = await ctl('set_user_limits', 'lu', '{"max-queues": 3}');
      assert.deepEqual([r.code, r.stderr], [69, 'Error:\nUnrecognised terms [{<<"max-queues">>,3}] in user-limits\n']);
      r = await ctl('set_user_limits', 'lu', '{"max-channels": 1.5}');
      assert.deepEqual([r.code, r.stderr], [69, 'Error:\nmax-channels should be a number, actually was 1.5\n']);
      r = await ctl('set_user_limits', 'nobody', '{"max-channels": 3}');
      assert.deepEqual([r.code, r.stderr], [69, 'Error:\n{:no_such_user, "nobody"}\n']);

      await connect(urlFor(b, '/', 'lu', 'pw'));
      await assert.rejects(amqp.connect(urlFor(b, '/', 'lu', 'pw')));

      r = await ctl('clear_user_limits', 'lu', 'max-connections');
      assert.deepEqual([r.code, r.stdout], [0, 'Clearing "max-connections" limit for user "lu" ...\n']);
      await connect(urlFor(b, '/', 'lu', 'pw'));
      r = await ctl('clear_user_limits', 'lu', 'all');
      assert.deepEqual([r.code, r.stdout], [0, 'Clearing all limits for user "lu" ...\n']);
      r = await ctl('list_user_limits', '--user', 'lu');
      assert.equal(r.stdout, 'Listing limits for user "lu" ...\n{}\n');
    });

    it('warrenctl environment shows handshake_timeout, consumer_timeout and connection_max', async () => {
      const r = await ctl('environment');
      assert.match(r.stdout, /\{connection_max,infinity\}/);
      assert.match(r.stdout, /\{consumer_timeout,1800000\}/);
      assert.match(r.stdout, /\{handshake_timeout,10000\}/);
    });
  });
});
