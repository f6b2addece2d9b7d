// Unit tests for the client library without a broker: URI parsing, the confirm tracker (single, multiple,
// nack, out of order, failAll), and a Channel's content assembly fed by the byte stream split at every point,
// including what publish() writes parsed back frame by frame.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri } from '../../src/client/uri.js';
import { ConfirmTracker, ConfirmNackError } from '../../src/client/confirms.js';
import { Channel, type Message, type ReturnedMessage } from '../../src/client/channel.js';
import { Connection } from '../../src/client/connection.js';
import { FrameReader } from '../../src/amqp/frame-reader.js';
import { Reader } from '../../src/amqp/reader.js';
import { Writer, FrameType } from '../../src/amqp/writer.js';
import { decodeMethod, decodeProperties, encodeMethod, encodeProperties, M, type BasicProperties, type Method } from '../../src/amqp/spec.generated.js';

describe('client uri', () => {
  it('defaults, percent-decoding, vhost, query options', () => {
    assert.deepEqual(parseUri('amqp://localhost'), { tls: false, host: 'localhost', port: 5672, username: 'guest', password: 'guest', vhost: '/' });
    assert.deepEqual(parseUri('amqps://u%40x:p%2Fw@h.example:1234/%2fprod?heartbeat=5&frame_max=8192&channel_max=10&connection_timeout=500'),
      { tls: true, host: 'h.example', port: 1234, username: 'u@x', password: 'p/w', vhost: '/prod', heartbeat: 5, frameMax: 8192, channelMax: 10, connectionTimeout: 500 });
    assert.equal(parseUri('amqps://h').port, 5671);
    assert.equal(parseUri('amqp://h/').vhost, '/');
    assert.equal(parseUri('amqp://h/%2f').vhost, '/');
    assert.equal(parseUri('amqp://h/dev').vhost, 'dev');
    assert.equal(parseUri('amqp://[::1]:5000').host, '::1');
    assert.throws(() => parseUri('http://h'), /unsupported URI scheme/);
    assert.throws(() => parseUri('amqp://h/a/b'), /%2f/);
    assert.throws(() => parseUri('amqp://h?heartbeat=x'), /heartbeat/);
    assert.throws(() => parseUri('not a uri'), /invalid AMQP URI/);
  });
});

describe('confirm tracker', () => {
  it('single and multiple acks, counts per frame, out of order', () => {
    const t = new ConfirmTracker();
    const heard: [boolean, number][] = [];
    t.listener = (ack, count) => heard.push([ack, count]);
    for (let i = 0; i < 10; i++) t.track();
    assert.equal(t.unconfirmed, 10);
    t.settle(true, 3, false);          // 3 alone
    t.settle(true, 5, true);           // 1, 2, 4, 5
    t.settle(false, 7, false);         // 7 nacked
    t.settle(true, 10, true);          // 6, 8, 9, 10
    t.settle(true, 10, true);          // nothing left
    assert.deepEqual(heard, [[true, 1], [true, 4], [false, 1], [true, 4], [true, 0]]);
    assert.equal(t.unconfirmed, 0);
    assert.equal(t.nextSeq, 11);
  });

  it('promises resolve on ack, reject on nack and on failAll', async () => {
    const t = new ConfirmTracker();
    const a = t.trackPromise(), b = t.trackPromise(), c = t.trackPromise();
    t.track();
    t.settle(true, 1, false);
    t.settle(false, 2, true);
    await a;
    await assert.rejects(b, (e: ConfirmNackError) => e instanceof ConfirmNackError && e.seq === 2);
    t.failAll(new Error('gone'));
    await assert.rejects(c, /gone/);
    assert.equal(t.unconfirmed, 0);
  });
});

/** A Connection stand-in: records sent methods; publish() writes into its real Writer. */
function fakeConnection(frameMax = 4096) {
  const sent: Method[] = [];
  const channels = new Map<number, Channel>();
  const conn = {
    writer: new Writer(), frameMax, writable: true, channels, sent,
    sendMethod(_ch: number, m: Method) { sent.push(m); },
    wrote() {}, releaseChannel(id: number) { channels.delete(id); },
    waitForDrain: async () => {},
  };
  return conn;
}

function frames(ch: number, parts: { type: number; payload: (w: Writer) => void }[]): Buffer {
  const w = new Writer();
  for (const p of parts) { w.beginFrame(p.type, ch); p.payload(w); w.endFrame(); }
  return Buffer.concat(w.take());
}

function content(ch: number, m: Method, props: BasicProperties, body: Buffer, frameMax: number): Buffer {
  const w = new Writer();
  w.beginFrame(FrameType.Method, ch); encodeMethod(w, m); w.endFrame();
  w.beginFrame(FrameType.Header, ch); w.u16(60); w.u16(0); w.u64(body.length); encodeProperties(w, props); w.endFrame();
  w.body(ch, body, frameMax);
  return Buffer.concat(w.take());
}

describe('client channel content assembly', () => {
  it('deliveries, returns and get-ok parse identically at every split point', async () => {
    const body = Buffer.from('a body that spans three frames of the tiny frame size used here'.repeat(2));
    const props = { contentType: 'text/plain', headers: { k: 'v' }, deliveryMode: 2 };
    const stream = Buffer.concat([
      content(1, { id: M.BasicDeliver, consumerTag: 'ct', deliveryTag: 7, redelivered: true, exchange: 'x', routingKey: 'rk' }, props, body, 60),
      content(1, { id: M.BasicReturn, replyCode: 312, replyText: 'NO_ROUTE', exchange: 'x', routingKey: 'none' }, {}, Buffer.alloc(0), 60),
      frames(1, [{ type: FrameType.Method, payload: (w) => encodeMethod(w, { id: M.BasicAck, deliveryTag: 2, multiple: true }) }]),
      content(1, { id: M.BasicDeliver, consumerTag: 'ct', deliveryTag: 8, redelivered: false, exchange: '', routingKey: 'q' }, {}, Buffer.from('one frame'), 60),
    ]);
    for (let split = 0; split <= stream.length; split++) {
      const conn = fakeConnection();
      const ch = new Channel(conn as unknown as Connection, 1);
      conn.channels.set(1, ch);
      const got: Message[] = [];
      const returns: ReturnedMessage[] = [];
      const consuming = ch.consume('q', (m) => got.push(m));
      ch.onMethod({ id: M.BasicConsumeOk, consumerTag: 'ct' });
      assert.equal(await consuming, 'ct');
      let acks = 0;
      const confirming = ch.confirmSelect((ack, n) => { if (ack) acks += n; });
      ch.onMethod({ id: M.ConfirmSelectOk });
      await confirming;
      ch.confirms!.track(); ch.confirms!.track();
      ch.on('return', (r: ReturnedMessage) => returns.push(r));
      const reader = new FrameReader({ onFrame: (t, c, b, s, e) => Connection.prototype.onFrame.call(conn as unknown as Connection, t, c, b, s, e) });
      reader.frameMax = 4096;
      reader.push(stream.subarray(0, split));
      reader.push(stream.subarray(split));
      assert.equal(got.length, 2, `split ${split}`);
      assert.deepEqual(got[0]!.fields, { consumerTag: 'ct', deliveryTag: 7, redelivered: true, exchange: 'x', routingKey: 'rk' });
      assert.deepEqual(got[0]!.properties, props);
      assert.ok(got[0]!.body.equals(body));
      assert.equal(got[1]!.body.toString(), 'one frame');
      assert.equal(returns.length, 1);
      assert.equal(returns[0]!.replyCode, 312);
      assert.equal(returns[0]!.body.length, 0);
      assert.equal(acks, 2);
    }
  });

  it('publish writes method, header and body frames split at frame_max', () => {
    const conn = fakeConnection(100);
    const ch = new Channel(conn as unknown as Connection, 3);
    const body = Buffer.alloc(250, 9);
    assert.equal(ch.publish('ex', 'key', body, { messageId: 'm', deliveryMode: 1 }, true), true);
    const parsed: { type: number; ch: number; payload: Buffer }[] = [];
    const reader = new FrameReader({ onFrame: (type, c, b, s, e) => parsed.push({ type, ch: c, payload: Buffer.from(b.subarray(s, e)) }) });
    reader.frameMax = 100;
    for (const b of conn.writer.take()) reader.push(b);
    assert.deepEqual(parsed.map((f) => [f.type, f.ch, f.payload.length]), [[1, 3, parsed[0]!.payload.length], [2, 3, parsed[1]!.payload.length], [3, 3, 92], [3, 3, 92], [3, 3, 66]]);
    const m = decodeMethod(new Reader(parsed[0]!.payload, 0, parsed[0]!.payload.length));
    assert.deepEqual(m, { id: M.BasicPublish, reserved1: 0, exchange: 'ex', routingKey: 'key', mandatory: true, immediate: false });
    const h = new Reader(parsed[1]!.payload, 0, parsed[1]!.payload.length);
    assert.deepEqual([h.u16(), h.u16(), h.u64()], [60, 0, 250]);
    assert.deepEqual(decodeProperties(h), { messageId: 'm', deliveryMode: 1 });
  });

  it('a broker channel.close rejects pending RPCs and unconfirmed publishes, answers close-ok', async () => {
    const conn = fakeConnection();
    const ch = new Channel(conn as unknown as Connection, 1);
    const confirming = ch.confirmSelect();
    ch.onMethod({ id: M.ConfirmSelectOk });
    await confirming;
    const confirmed = ch.publishConfirmed('', 'q', Buffer.from('x'));
    const declaring = ch.queueDeclare('q', { passive: true });
    ch.onMethod({ id: M.ChannelClose, replyCode: 404, replyText: "NOT_FOUND - no queue 'q' in vhost '/'", classId: 50, methodId: 10 });
    await assert.rejects(declaring, { name: 'AmqpCloseError', code: 404 });
    await assert.rejects(confirmed, { name: 'AmqpCloseError' });
    assert.equal(conn.sent.at(-1)!.id, M.ChannelCloseOk);
    assert.equal(ch.closed, true);
  });
});
