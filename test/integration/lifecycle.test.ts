// The broker process and its connections over time: clean shutdown (320 CONNECTION_FORCED), IPv6 loopback,
// heartbeats sent by the server and missed client heartbeats detected.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import amqp from 'amqplib';
import { startBroker, startWarren, external, type TestBroker } from '../support/broker.js';
import { FrameReader } from '../../src/amqp/frame-reader.js';
import { Reader } from '../../src/amqp/reader.js';
import { decodeMethod, encodeMethod, M, type Method } from '../../src/amqp/spec.generated.js';
import { FrameType, Writer } from '../../src/amqp/writer.js';

/** A raw client that completes the handshake with the given heartbeat and then records frames. */
async function rawClient(port: number, heartbeat: number): Promise<{ sock: Socket; frames: { type: number; at: number; m?: Method }[]; closed: Promise<void> }> {
  const sock = tcpConnect({ host: '127.0.0.1', port });
  const frames: { type: number; at: number; m?: Method }[] = [];
  const w = new Writer();
  const send = (m: Method) => { w.beginFrame(FrameType.Method, 0); encodeMethod(w, m); w.endFrame(); for (const c of w.take()) sock.write(c); };
  let opened: () => void;
  const openOk = new Promise<void>((r) => { opened = r; });
  const reader = new FrameReader({
    onFrame(type, _ch, buf, start, end) {
      const f: { type: number; at: number; m?: Method } = { type, at: Date.now() };
      if (type === FrameType.Method) f.m = decodeMethod(new Reader(buf, start, end));
      frames.push(f);
      if (f.m?.id === M.ConnectionStart) {
        send({ id: M.ConnectionStartOk, clientProperties: {}, mechanism: 'PLAIN', response: '\0guest\0guest', locale: 'en_US' });
      } else if (f.m?.id === M.ConnectionTune) {
        send({ id: M.ConnectionTuneOk, channelMax: 2047, frameMax: 131072, heartbeat });
        send({ id: M.ConnectionOpen, virtualHost: '/', reserved1: '', reserved2: false });
      } else if (f.m?.id === M.ConnectionOpenOk) opened();
    },
  });
  reader.frameMax = 131072;
  sock.on('data', (d) => reader.push(d));
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.on('error', () => { /* RabbitMQ resets the socket of a client that missed heartbeats */ });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
  await openOk;
  return { sock, frames, closed };
}

describe('heartbeats', () => {
  let broker: TestBroker;
  before(async () => { broker = await startBroker(); });
  after(() => broker.stop());

  it('the server sends heartbeat frames on an idle connection, and drops a client that sends none', async () => {
    const c = await rawClient(broker.port, 1);
    const t0 = Date.now();
    await Promise.race([c.closed, new Promise((r) => setTimeout(r, 8000))]);
    const elapsed = Date.now() - t0;
    const beats = c.frames.filter((f) => f.type === FrameType.Heartbeat);
    assert.ok(beats.length >= 1, 'at least one heartbeat frame from the server');
    assert.ok(c.sock.destroyed || c.sock.readableEnded, 'the server closed the silent connection');
    // RabbitMQ closes after about two missed heartbeat intervals, never before one.
    assert.ok(elapsed >= 1000 && elapsed < 8000, `closed after ${elapsed} ms`);
    assert.equal(c.frames.some((f) => f.m?.id === M.ConnectionClose), false, 'no connection.close, just a dropped socket');
  });

  it('a client that keeps sending heartbeats stays connected', async () => {
    const c = await rawClient(broker.port, 1);
    const beat = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]);
    const timer = setInterval(() => c.sock.write(beat), 400);
    await new Promise((r) => setTimeout(r, 3500));
    clearInterval(timer);
    assert.equal(c.sock.destroyed, false);
    c.sock.destroy();
  });
});

describe('warren-server process', { skip: external ? 'needs a Warren process of its own' : false }, () => {
  it('SIGTERM closes every connection with 320 CONNECTION_FORCED and exits 0', async () => {
    const b = await startWarren();
    const conns = await Promise.all([amqp.connect(b.url), amqp.connect(b.url)]);
    // amqplib reports 320 as a 'close' carrying the error, not as an 'error' event.
    const closes = conns.map((c) => new Promise<Error & { code?: number }>((r) => c.on('close', r)));
    const code = await b.stop('SIGTERM');
    assert.equal(code, 0);
    for (const e of await Promise.all(closes)) {
      assert.equal(e.code, 320);
      assert.match(e.message, /CONNECTION_FORCED/);
    }
  });

  it('listens on IPv6 loopback as well as IPv4', async () => {
    const b = await startWarren();
    try {
      for (const host of ['127.0.0.1', '[::1]']) {
        const c = await amqp.connect(`amqp://guest:guest@${host}:${b.port}/`);
        const ch = await c.createChannel();
        const q = await ch.assertQueue('', { exclusive: true });
        assert.match(q.queue, /^amq\.gen-/);
        await c.close();
      }
    } finally { await b.stop(); }
  });

  it('prints one line when it accepts connections', async () => {
    const b = await startWarren();
    try {
      const lines = b.output().split('\n').filter((l) => /accepting AMQP connections/.test(l));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^Warren \S+ node \S+ accepting AMQP connections on /);
    } finally { await b.stop(); }
  });
});
