// Integration tests: the connection level — protocol header, connection.start/tune/open, server
// properties, authentication, virtual hosts, tune negotiation, channel open/close and the errors
// around them, as RabbitMQ 3.10.8 behaves (verified against the reference broker).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type ChannelModel, type Options } from 'amqplib';
import { Connection as RabbitClient } from 'rabbitmq-client';
import { startBroker, isRabbit, type TestBroker } from '../support/broker.js';
import {
  uniq, expectChannelError, eventually,
  connectionCloseFrame, rawSend, type CloseFields,
  WireSocket, wireHandshake, wireEnc, decodeStart, decodeTune, decodeClose, AMQP_HEADER,
} from '../support/amqp.js';

let broker: TestBroker;
const conns: ChannelModel[] = [];
const sockets: WireSocket[] = [];

async function connect(url: string | Options.Connect = broker.url, socketOptions?: Parameters<typeof amqp.connect>[1]): Promise<ChannelModel> {
  const c = await amqp.connect(url, { noDelay: true, ...socketOptions });
  c.on('error', () => { /* server-initiated closes are asserted explicitly */ });
  conns.push(c);
  return c;
}
/** The broker URL with query parameters (frameMax, channelMax, heartbeat) for amqplib. */
function urlWith(params: Record<string, number>): string {
  const u = new URL(broker.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u.toString();
}
async function wire(header: Buffer | null = AMQP_HEADER): Promise<WireSocket> {
  const w = await WireSocket.open(broker.host, broker.port, header);
  sockets.push(w);
  return w;
}
/** A bare socket past connection.open-ok. */
async function openWire(tune: { channelMax?: number; frameMax?: number; heartbeat?: number } = {}): Promise<WireSocket> {
  const w = await wire();
  const { reply } = await wireHandshake(w, { tune });
  assert.deepEqual([reply.classId, reply.methodId], [10, 41], 'connection.open-ok');
  return w;
}
const channelOpen = (w: WireSocket, ch: number) => w.sendMethod(ch, 20, 10, wireEnc.shortstr(''));
const channelCloseM = (w: WireSocket, ch: number) =>
  w.sendMethod(ch, 20, 40, wireEnc.u16(200), wireEnc.shortstr('bye'), wireEnc.u16(0), wireEnc.u16(0));
/** Reads the next method, which must be connection.close; answers close-ok and returns its fields. */
async function expectWireConnectionClose(w: WireSocket): Promise<CloseFields> {
  const m = await w.readMethod();
  assert.deepEqual([m.channel, m.classId, m.methodId], [0, 10, 50], 'expected connection.close');
  w.sendMethod(0, 10, 51);
  return decodeClose(m.args);
}
/** The server drops the socket without sending anything (RabbitMQ waits ~3 s first). */
async function expectSilentClose(w: WireSocket): Promise<void> {
  await Promise.race([w.closed, new Promise((r) => setTimeout(r, 6000))]);
  assert.ok(w.ended, 'server closed the socket');
  assert.equal(w.buffered.length, 0, 'no bytes (no connection.close) before the socket closed');
}
/** Reads a frame-level connection.start/tune up to the tune, answering start-ok with guest/guest. */
async function tuneOnly(w: WireSocket) {
  const s = await w.readMethod();
  assert.deepEqual([s.classId, s.methodId], [10, 10]);
  w.sendMethod(0, 10, 11, wireEnc.table({}), wireEnc.shortstr('PLAIN'), wireEnc.longstr('\u0000guest\u0000guest'), wireEnc.shortstr('en_US'));
  const t = await w.readMethod();
  assert.deepEqual([t.classId, t.methodId], [10, 30]);
  return decodeTune(t.args);
}
function tuneOkAndOpen(w: WireSocket, channelMax: number, frameMax: number, heartbeat: number) {
  w.sendMethod(0, 10, 31, wireEnc.u16(channelMax), wireEnc.u32(frameMax), wireEnc.u16(heartbeat));
  w.sendMethod(0, 10, 40, wireEnc.shortstr('/'), wireEnc.shortstr(''), wireEnc.u8(0));
}

before(async () => { broker = await startBroker(); });
after(async () => {
  for (const c of conns) { try { await c.close(); } catch { /* already closed */ } }
  for (const w of sockets) w.destroy();
  await broker.stop();
});

describe('handshake', () => {
  it('amqplib connects and can use a channel', async () => {
    const c = await connect();
    const ch = await c.createChannel();
    const ok = await ch.assertQueue('', { exclusive: true });
    assert.match(ok.queue, /^amq\.gen-/);
    await c.close();
  });

  it('rabbitmq-client connects, declares, publishes, gets and closes', async () => {
    const rc = new RabbitClient({ url: broker.url, retryLow: 50, retryHigh: 200 });
    rc.on('error', () => { /* asserted through the calls below */ });
    try {
      await rc.onConnect(5000);
      assert.equal(rc.ready, true);
      const q = uniq('conn.rc');
      const ok = await rc.queueDeclare({ queue: q, exclusive: true });
      assert.deepEqual({ ...ok }, { queue: q, messageCount: 0, consumerCount: 0 });
      const pub = rc.createPublisher({ confirm: true });
      await pub.send({ routingKey: q }, 'hello');
      await pub.close();
      const msg = await rc.basicGet({ queue: q, noAck: true });
      assert.equal(msg?.body, 'hello');
      assert.equal((await rc.queueDelete({ queue: q })).messageCount, 0);
    } finally {
      await rc.close();
    }
  });

  it('AMQPLAIN login works as well as PLAIN', async () => {
    const u = new URL(broker.url);
    const c = await connect(
      { protocol: 'amqp', hostname: u.hostname, port: Number(u.port), vhost: '/' },
      { credentials: amqp.credentials.amqplain('guest', 'guest') },
    );
    const ch = await c.createChannel();
    await ch.checkExchange('amq.direct');
    await c.close();
  });

  it('answers an unsupported protocol header with AMQP 0-9-1 and closes', async () => {
    for (const header of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from([65, 77, 81, 80, 0, 0, 9, 0]), Buffer.from([65, 77, 81, 80, 0, 0, 8, 0])]) {
      const w = await wire(header);
      const reply = await w.readBytes(8);
      assert.deepEqual([...reply], [65, 77, 81, 80, 0, 0, 9, 1]);
      await Promise.race([w.closed, new Promise((r) => setTimeout(r, 3000))]);
      assert.ok(w.ended, 'socket closed after the header');
      assert.equal(w.buffered.length, 0);
    }
  });

  it('connection.start offers version 0-9, PLAIN and AMQPLAIN, locale en_US', async () => {
    const w = await wire();
    const m = await w.readMethod();
    assert.deepEqual([m.channel, m.classId, m.methodId], [0, 10, 10]);
    const start = decodeStart(m.args);
    assert.equal(start.versionMajor, 0);
    assert.equal(start.versionMinor, 9);
    assert.deepEqual(start.mechanisms.split(' ').sort(), ['AMQPLAIN', 'PLAIN']);
    assert.equal(start.locales, 'en_US');
    w.destroy();
  });
});

describe('server properties', () => {
  it('product, version, platform and the informational strings', async () => {
    const c = await connect();
    const p = c.connection.serverProperties as Record<string, unknown>;
    // Deliberate difference: Warren announces its own product name (and its platform is Node.js).
    assert.equal(p.product, isRabbit ? 'RabbitMQ' : 'Warren');
    if (isRabbit) {
      assert.equal(p.version, '3.10.8');
      assert.match(String(p.platform), /^Erlang\/OTP /);
    } else {
      assert.match(String(p.version), /^\d+\.\d+\.\d+/);
      assert.equal(typeof p.platform, 'string');
    }
    for (const k of ['copyright', 'information', 'cluster_name']) assert.equal(typeof p[k], 'string', k);
    await c.close();
  });

  it('capabilities: exactly these, all booleans true', async () => {
    const w = await wire();
    const start = decodeStart((await w.readMethod()).args);
    const caps = start.serverProperties.capabilities;
    assert.equal(caps[0], 'F');
    assert.deepEqual(caps[1], {
      publisher_confirms: ['t', true],
      exchange_exchange_bindings: ['t', true],
      'basic.nack': ['t', true],
      consumer_cancel_notify: ['t', true],
      'connection.blocked': ['t', true],
      consumer_priorities: ['t', true],
      authentication_failure_close: ['t', true],
      per_consumer_qos: ['t', true],
      direct_reply_to: ['t', true],
    });
    for (const k of ['product', 'version', 'platform']) assert.equal(start.serverProperties[k][0], 'S', `${k} is a longstr`);
    w.destroy();
  });
});

describe('tune negotiation', () => {
  it('the server proposes channel_max 2047, frame_max 131072, heartbeat 60', async () => {
    const w = await wire();
    assert.deepEqual(await tuneOnly(w), { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
    w.destroy();
  });

  it('amqplib without preferences ends up with the server values', async () => {
    const c = await connect();
    const cn = c.connection as unknown as { frameMax: number; channelMax: number; heartbeat: number };
    assert.equal(cn.frameMax, 131072);
    assert.equal(cn.channelMax, 2047);
    assert.equal(cn.heartbeat, 60);
    await c.close();
  });

  it('smaller client values are honoured, heartbeat 0 disables heartbeats', async () => {
    const c = await connect(urlWith({ frameMax: 4096, channelMax: 10, heartbeat: 5 }));
    const cn = c.connection as unknown as { frameMax: number; channelMax: number; heartbeat: number };
    assert.deepEqual([cn.frameMax, cn.channelMax, cn.heartbeat], [4096, 10, 5]);
    await (await c.createChannel()).checkExchange('amq.fanout');
    await c.close();
    const c0 = await connect(urlWith({ heartbeat: 0 }));
    assert.equal((c0.connection as unknown as { heartbeat: number }).heartbeat, 0);
    await c0.close();
  });

  it('a client heartbeat above the proposal is accepted in tune-ok', async () => {
    const w = await openWire({ heartbeat: 600 });
    channelOpen(w, 1);
    const m = await w.readMethod();
    assert.deepEqual([m.channel, m.classId, m.methodId], [1, 20, 11]);
    w.destroy();
  });

  it('with frame_max 4096 a large message crosses in many body frames intact', async () => {
    const c = await connect(urlWith({ frameMax: 4096 }));
    const ch = await c.createConfirmChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const body = Buffer.alloc(50_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    ch.sendToQueue(q, body);
    await ch.waitForConfirms();
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    assert.equal(Buffer.compare(m.content, body), 0);
    await c.close();
  });

  it('a frame larger than the negotiated frame_max is a 501 FRAME_ERROR connection close', async () => {
    const w = await openWire({ frameMax: 4096 });
    channelOpen(w, 1);
    await w.readMethod();
    // queue.declare whose arguments table alone exceeds 4096 octets
    const big = wireEnc.table({ 'x-pad': 'p'.repeat(5000) });
    w.sendMethod(1, 50, 10, wireEnc.u16(0), wireEnc.shortstr(uniq('conn.big')), wireEnc.u8(0), big);
    const close = await expectWireConnectionClose(w);
    assert.equal(close.replyCode, 501);
    assert.match(close.replyText, /^FRAME_ERROR - /);
    assert.deepEqual([close.classId, close.methodId], [0, 0]);
  });

  it('channel_max limits how many channels are open, not channel numbers (530 NOT_ALLOWED)', async () => {
    const w = await openWire({ channelMax: 2 });
    // RabbitMQ accepts channel numbers above the negotiated channel_max ...
    for (const n of [7, 11]) {
      channelOpen(w, n);
      const ok = await w.readMethod();
      assert.deepEqual([ok.channel, ok.classId, ok.methodId], [n, 20, 11]);
    }
    // ... and a closed channel frees a slot ...
    channelCloseM(w, 7);
    assert.deepEqual([(await w.readMethod()).methodId], [41]);
    channelOpen(w, 3);
    assert.deepEqual([(await w.readMethod()).methodId], [11]);
    // ... but refuses a third open channel, with a connection error carrying no class/method.
    channelOpen(w, 1);
    const close = await expectWireConnectionClose(w);
    assert.deepEqual(close, {
      replyCode: 530,
      replyText: 'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)',
      classId: 0, methodId: 0,
    });
  });
});

// RabbitMQ answers errors during the handshake (before connection.open) by waiting 3 s and dropping
// the socket without a connection.close; these run concurrently so the waits overlap.
describe('handshake errors answered by closing the socket', { concurrency: true }, () => {
  it('wrong password, client without authentication_failure_close', async () => {
    const w = await wire();
    await w.readMethod();
    w.sendMethod(0, 10, 11, wireEnc.table({}), wireEnc.shortstr('PLAIN'), wireEnc.longstr('\u0000guest\u0000wrong'), wireEnc.shortstr('en_US'));
    await expectSilentClose(w);
  });

  it('unknown SASL mechanism', async () => {
    const w = await wire();
    await w.readMethod();
    w.sendMethod(0, 10, 11, wireEnc.table({}), wireEnc.shortstr('FOO'), wireEnc.longstr(''), wireEnc.shortstr('en_US'));
    await expectSilentClose(w);
  });

  for (const [name, cm, fm] of [
    ['tune-ok frame_max below 4096', 2047, 4095],
    ['tune-ok frame_max 0 (unlimited) against a limited server', 2047, 0],
    ['tune-ok frame_max above the proposal', 2047, 131073],
    ['tune-ok channel_max above the proposal', 2048, 131072],
  ] as const) {
    it(name, async () => {
      const w = await wire();
      await tuneOnly(w);
      tuneOkAndOpen(w, cm, fm, 60);
      await expectSilentClose(w);
    });
  }
});

describe('authentication and virtual hosts', () => {
  it('wrong password: amqplib connect rejects with 403 ACCESS_REFUSED', async () => {
    const u = new URL(broker.url);
    u.password = 'definitely-wrong';
    await assert.rejects(amqp.connect(u.toString()), (e: Error) => {
      assert.match(e.message, /403 \(ACCESS-REFUSED\)/);
      assert.match(e.message, /ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN/);
      return true;
    });
  });

  it('wrong password or unknown user with authentication_failure_close: connection.close 403', async () => {
    for (const [user, password] of [['guest', 'wrong'], [uniq('nouser'), 'x']]) {
      const w = await wire();
      const { tune, reply } = await wireHandshake(w, {
        user, password, clientProperties: { capabilities: { authentication_failure_close: true } },
      });
      assert.equal(tune, undefined, 'no connection.tune after a failed login');
      assert.deepEqual([reply.channel, reply.classId, reply.methodId], [0, 10, 50]);
      assert.deepEqual(decodeClose(reply.args), {
        replyCode: 403,
        replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
        classId: 0, methodId: 0,
      });
      w.destroy();
    }
  });

  it('unknown vhost: connection.close 530 NOT_ALLOWED from connection.open', async () => {
    const vhost = uniq('novhost');
    const w = await wire();
    const { reply } = await wireHandshake(w, { vhost });
    assert.deepEqual([reply.channel, reply.classId, reply.methodId], [0, 10, 50]);
    assert.deepEqual(decodeClose(reply.args), {
      replyCode: 530, replyText: `NOT_ALLOWED - vhost ${vhost} not found`, classId: 10, methodId: 40,
    });
    w.sendMethod(0, 10, 51);
    await Promise.race([w.closed, new Promise((r) => setTimeout(r, 3000))]);
    assert.ok(w.ended);
  });

  it('unknown vhost: amqplib connect rejects', async () => {
    const u = new URL(broker.url);
    u.pathname = '/' + encodeURIComponent(uniq('novhost'));
    await assert.rejects(amqp.connect(u.toString()));
  });
});

describe('channels', () => {
  it('open, close, and reuse of a channel number', async () => {
    const w = await openWire();
    channelOpen(w, 1);
    const ok = await w.readMethod();
    assert.deepEqual([ok.channel, ok.classId, ok.methodId], [1, 20, 11]);
    channelCloseM(w, 1);
    const closeOk = await w.readMethod();
    assert.deepEqual([closeOk.channel, closeOk.classId, closeOk.methodId], [1, 20, 41]);
    channelOpen(w, 1);
    assert.deepEqual([(await w.readMethod()).methodId], [11]);
    w.sendMethod(0, 10, 50, wireEnc.u16(200), wireEnc.shortstr('bye'), wireEnc.u16(0), wireEnc.u16(0));
    const cok = await w.readMethod();
    assert.deepEqual([cok.channel, cok.classId, cok.methodId], [0, 10, 51]);
    // (RabbitMQ then leaves closing the socket to the client.)
  });

  it('amqplib channel close resolves and emits close', async () => {
    const c = await connect();
    const ch = await c.createChannel();
    let closed = false;
    ch.on('close', () => { closed = true; });
    await ch.close();
    assert.equal(closed, true);
    await (await c.createChannel()).checkExchange('amq.topic');
    await c.close();
  });

  it('many channels on one connection all work', async () => {
    const c = await connect();
    const chs = await Promise.all(Array.from({ length: 300 }, () => c.createChannel()));
    const q = (await chs[299].assertQueue('', { exclusive: true })).queue;
    const oks = await Promise.all(chs.map((ch) => ch.checkQueue(q)));
    assert.equal(oks.length, 300);
    assert.ok(oks.every((o) => o.queue === q));
    await c.close();
  });

  it('a channel error closes only that channel', async () => {
    const c = await connect();
    const [a, b] = [await c.createChannel(), await c.createChannel()];
    const err = await expectChannelError(a, () => a.checkQueue(uniq('conn.missing')));
    assert.equal(err.code, 404);
    assert.deepEqual([err.classId, err.methodId], [50, 10]);
    await b.checkExchange('amq.direct');
    const again = await c.createChannel();
    await again.checkExchange('amq.direct');
    await c.close();
  });

  it('a second channel.open on an open channel is 504 CHANNEL_ERROR', async () => {
    const c = await connect();
    const ch = await c.createChannel();
    const closed = connectionCloseFrame(c);
    rawSend(ch, [20, 10], { outOfBand: '' });
    assert.deepEqual(await closed, {
      replyCode: 504, replyText: "CHANNEL_ERROR - second 'channel.open' seen", classId: 20, methodId: 10,
    });
  });

  it('a method on a channel that was never opened is 504 CHANNEL_ERROR', async () => {
    const w = await openWire();
    w.sendMethod(3, 50, 10, wireEnc.u16(0), wireEnc.shortstr(uniq('conn.q')), wireEnc.u8(0), wireEnc.table0());
    assert.deepEqual(await expectWireConnectionClose(w), {
      replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 50, methodId: 10,
    });
  });

  it('channel.close on a channel that was never opened is 504 CHANNEL_ERROR', async () => {
    const w = await openWire();
    channelCloseM(w, 5);
    assert.deepEqual(await expectWireConnectionClose(w), {
      replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 20, methodId: 40,
    });
  });

  it('channel.open on channel 0 is 504 CHANNEL_ERROR', async () => {
    const w = await openWire();
    channelOpen(w, 0);
    const close = await expectWireConnectionClose(w);
    assert.equal(close.replyCode, 504);
    assert.deepEqual([close.classId, close.methodId], [20, 10]);
    if (isRabbit) assert.equal(close.replyText, 'CHANNEL_ERROR - unexpected method in connection state running');
  });
});

describe('closing', () => {
  it('closing a connection with open channels closes them and releases their resources', async () => {
    const c = await connect();
    const chs = await Promise.all([1, 2, 3].map(() => c.createChannel()));
    let closes = 0;
    for (const ch of chs) ch.on('close', () => { closes++; });
    const shared = uniq('conn.shared');
    await chs[0].assertQueue(shared, { durable: false });
    const excl = (await chs[1].assertQueue('', { exclusive: true })).queue;
    let delivered = 0;
    await chs[2].consume(shared, () => { delivered++; }); // never acks: the message is requeued on close
    chs[0].sendToQueue(shared, Buffer.from('x'));
    await eventually(() => delivered === 1);

    const other = await connect();
    const och = await other.createChannel();
    assert.equal((await och.checkQueue(shared)).consumerCount, 1);

    await c.close();
    assert.equal(closes, 3);
    // the consumer is gone and its unacked message is back in the queue
    await eventually(async () => {
      const ok = await och.checkQueue(shared);
      return ok.consumerCount === 0 && ok.messageCount === 1;
    });
    const err = await expectChannelError(och, () => och.checkQueue(excl));
    assert.equal(err.code, 404);
    const och2 = await other.createChannel();
    await och2.deleteQueue(shared);
    await other.close();
  });

  it('a connection-level error (unknown exchange type) closes every channel', async () => {
    const c = await connect();
    const [a, b] = [await c.createChannel(), await c.createChannel()];
    const closed = connectionCloseFrame(c);
    let closedChannels = 0;
    for (const ch of [a, b]) {
      ch.on('close', () => { closedChannels++; });
      ch.on('error', () => { /* the connection error may also be reported per channel */ });
    }
    a.assertExchange(uniq('conn.x'), 'no-such-type').catch(() => { /* connection closes */ });
    assert.deepEqual(await closed, {
      replyCode: 503, replyText: "COMMAND_INVALID - unknown exchange type 'no-such-type'", classId: 40, methodId: 10,
    });
    await eventually(() => closedChannels === 2);
    await assert.rejects(c.createChannel());
  });
});
