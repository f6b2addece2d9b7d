// Test support: raw AMQP frames for the bad-input tests — frame and method builders, bare sockets past
// connection.open, and the three ways a broker ends a bad connection (close, silent drop, nothing yet).
import assert from 'node:assert/strict';
import { WireSocket, wireHandshake, wireEnc, decodeClose, type CloseFields } from './amqp.js';
import type { TestBroker } from './broker.js';

/** A whole frame: type, channel, size, payload, frame-end octet (0xCE unless `end` is given). */
export function frame(type: number, channel: number, payload: Buffer, end = 0xce): Buffer {
  const h = Buffer.alloc(7);
  h[0] = type; h.writeUInt16BE(channel, 1); h.writeUInt32BE(payload.length, 3);
  return Buffer.concat([h, payload, Buffer.from([end])]);
}

/** A method payload: class id, method id, encoded arguments. */
export const method = (classId: number, methodId: number, ...args: Buffer[]): Buffer =>
  Buffer.concat([wireEnc.u16(classId), wireEnc.u16(methodId), ...args]);

/** Frame payloads of the methods and content the tests send. */
export const P = {
  publish: (exchange: string, routingKey: string, bits = 0) =>
    method(60, 40, wireEnc.u16(0), wireEnc.shortstr(exchange), wireEnc.shortstr(routingKey), wireEnc.u8(bits)),
  /** A basic content header: class id, weight, body size, property flags (and property bytes). */
  header: (bodySize: number, classId = 60, props: Buffer = wireEnc.u16(0)) => {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(classId, 0); b.writeBigUInt64BE(BigInt(bodySize), 4);
    return Buffer.concat([b, props]);
  },
  /** queue.declare with the given bits (passive 1, durable 2, exclusive 4, auto-delete 8, no-wait 16). */
  queueDeclare: (queue: string, bits: number, args: Buffer = wireEnc.table0()) =>
    method(50, 10, wireEnc.u16(0), wireEnc.shortstr(queue), wireEnc.u8(bits), args),
  qos: (prefetch: number) => method(60, 10, wireEnc.u32(0), wireEnc.u16(prefetch), wireEnc.u8(0)),
  channelOpen: () => method(20, 10, wireEnc.shortstr('')),
  channelClose: () => method(20, 40, wireEnc.u16(200), wireEnc.shortstr('bye'), wireEnc.u16(0), wireEnc.u16(0)),
};

/** Opens a bare socket past connection.open-ok (frame_max 4096, no heartbeats) with channel 1 open. */
export async function openWire(broker: TestBroker, sockets: WireSocket[], frameMax = 4096): Promise<WireSocket> {
  const w = await WireSocket.open(broker.host, broker.port);
  sockets.push(w);
  const { reply } = await wireHandshake(w, { tune: { frameMax, heartbeat: 0 } });
  assert.deepEqual([reply.classId, reply.methodId], [10, 41], 'connection.open-ok');
  w.write(frame(1, 1, P.channelOpen()));
  const ok = await w.readMethod();
  assert.deepEqual([ok.channel, ok.classId, ok.methodId], [1, 20, 11], 'channel.open-ok');
  return w;
}

/**
 * The next thing the server sends must be connection.close with exactly these fields; answers close-ok and
 * waits for the socket to close (RabbitMQ closes ~3 s later after fatal frame errors without reading it).
 */
export async function expectClose(w: WireSocket, want: CloseFields): Promise<void> {
  const m = await w.readMethod(5000);
  assert.deepEqual([m.channel, m.classId, m.methodId], [0, 10, 50], 'expected connection.close');
  assert.deepEqual(decodeClose(m.args), want);
  w.sendMethod(0, 10, 51);
  await Promise.race([w.closed, new Promise((r) => setTimeout(r, 6000))]);
  assert.ok(w.ended, 'server closed the socket after connection.close');
}

/** The server drops the socket without sending anything (RabbitMQ's reader process crashed or gave up). */
export async function expectDrop(w: WireSocket, timeoutMs = 6000): Promise<void> {
  await Promise.race([w.closed, new Promise((r) => setTimeout(r, timeoutMs))]);
  assert.ok(w.ended, 'server dropped the socket');
  assert.equal(w.buffered.length, 0, `no bytes before the drop, got ${w.buffered.toString('hex')}`);
}

/** The server sends nothing and keeps the socket open for ms. */
export async function expectSilence(w: WireSocket, ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  assert.equal(w.ended, false, 'socket still open');
  assert.equal(w.buffered.length, 0, `nothing sent, got ${w.buffered.toString('hex')}`);
}
