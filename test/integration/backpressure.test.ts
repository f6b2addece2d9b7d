// Backpressure: a client that stops reading must not make the broker buffer without bound. A no-ack consumer
// that stops reading gets no more deliveries once its connection's unsent output passes the high-water mark
// (the rest stays in the queue); a publisher whose returns and confirms are not read has its socket paused
// until it reads again. Both catch up in order afterwards. Warren only: RSS and send_pend of the broker process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import amqp, { type ChannelModel } from 'amqplib';
import { external, startWarren, type TestBroker } from '../support/broker.js';
import { eventually, sleep } from '../support/amqp.js';
import { api, type Json } from '../support/mgmt.js';
import { RawClient, RM, methodId, publishFrames, type RawFrame } from '../support/raw-client.js';

const skip = external ? 'measures the broker process' : false;

const MB = 1024 * 1024;
const BODY = 64 * 1024;
/** 200 MB of 64 KiB messages. */
const COUNT = 3200;
/**
 * What may legitimately sit between a broker that stopped delivering and a client that stopped reading: the
 * broker's unsent output (high-water mark 1 MiB + one 256 KiB flush + a message) plus both kernels' socket
 * buffers on loopback (up to tcp_wmem + tcp_rmem maxima, 4 + 6 MiB by default); 16 MiB leaves room.
 */
const IN_FLIGHT = 16 * MB;

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Writes every buffer, waiting for 'drain' whenever the socket says so; resolves when all is handed off. */
export async function writeAll(c: RawClient, frames: () => Iterable<Buffer>): Promise<void> {
  for (const b of frames()) {
    if (c.ended) throw new Error('socket closed while writing');
    if (c.write(b)) continue;
    await new Promise<void>((resolve) => {
      const done = () => { c.socket.off('drain', done); c.socket.off('close', done); resolve(); };
      c.socket.on('drain', done); c.socket.on('close', done);
    });
  }
}

function body(i: number): Buffer {
  const b = Buffer.alloc(BODY, i & 0xff);
  b.writeUInt32BE(i, 0);
  return b;
}

async function connectionInfo(b: TestBroker, name: string): Promise<Json | undefined> {
  const r = await api(b).get<Json[]>('/connections');
  return r.json.find((c) => c.user_provided_name === name);
}

describe('backpressure', { skip, timeout: 180_000 }, () => {
  let b: TestBroker;
  let conn: ChannelModel;
  before(async () => {
    b = await startWarren();
    conn = await amqp.connect(b.url);
  });
  after(async () => { await conn?.close().catch(() => {}); await b?.stop(); });

  it('a no-ack consumer that stops reading: deliveries stop at the mark, the queue keeps the rest, then all arrive in order', async (t) => {
    const ch = await conn.createChannel();
    const pid = b.proc!.pid!;
    const rss0 = rssOf(pid);

    const consumer = await RawClient.open({ host: b.host, port: b.port, name: 'slow-consumer' });
    await consumer.openChannel(1);
    const q = await consumer.declareQueue(1, 'bp-slow-consumer');
    const seen: number[] = [];
    let pendingDeliver = false;
    consumer.onFrame = (f: RawFrame) => {
      if (methodId(f) === RM.BasicDeliver) pendingDeliver = true;
      else if (f.type === 3 && pendingDeliver) { seen.push(f.payload.readUInt32BE(0)); pendingDeliver = false; }
    };
    await consumer.consume(1, q, true);
    consumer.pause();

    const producer = await RawClient.open({ host: b.host, port: b.port, name: 'fast-producer' });
    await producer.openChannel(1);
    await writeAll(producer, function* () { for (let i = 0; i < COUNT; i++) yield* publishFrames(1, '', q, body(i)); });

    // The broker has read everything once the queue stops growing.
    let last = -1;
    const queued = await eventually(async () => {
      const n = (await ch.checkQueue(q)).messageCount;
      if (n === last && n > 0) return n;
      last = n;
      await sleep(300);
      return 0;
    }, 60_000, 0);
    const inFlight = (COUNT - queued) * BODY;
    assert.ok(inFlight <= IN_FLIGHT, `at most ${IN_FLIGHT / MB} MiB left the queue for a consumer that reads nothing (${inFlight / MB} MiB did)`);
    const info = await connectionInfo(b, 'slow-consumer');
    assert.ok(info, 'consumer connection listed');
    assert.ok((info.send_pend as number) <= 2 * MB, `broker's unsent output for the consumer is bounded (${info.send_pend} bytes)`);
    const grown = rssOf(pid) - rss0;
    t.diagnostic(`queued ${queued}/${COUNT}, in flight ${(inFlight / MB).toFixed(1)} MiB, send_pend ${info.send_pend}, RSS +${(grown / MB).toFixed(0)} MiB`);
    // The queue holds ~200 MiB of bodies in memory (until paging lands), each a slice that may keep its whole
    // socket read chunk alive; 2x that plus 100 MiB is the bound (+328 MiB measured). The tight bounds are
    // the two above (what left the queue, send_pend); the deaf-publisher test below bounds RSS closely.
    assert.ok(grown < 2 * COUNT * BODY + 100 * MB, `broker RSS grew by ${(grown / MB).toFixed(0)} MiB`);
    // Another client is served meanwhile.
    const other = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(other, Buffer.from('x'));
    assert.ok(await eventually(() => ch.get(other, { noAck: true })));

    consumer.resume();
    await eventually(() => seen.length === COUNT, 90_000, 50);
    for (let i = 0; i < COUNT; i++) if (seen[i] !== i) assert.fail(`delivery ${i} was message ${seen[i]}`);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
    await producer.close();
    await consumer.close();
    await ch.close();
  });

  it('a publisher that never reads its returns and confirms is paused; others keep working; RSS stays bounded', async (t) => {
    const ch = await conn.createChannel();
    const pid = b.proc!.pid!;
    const rss0 = rssOf(pid);
    const pub = await RawClient.open({ host: b.host, port: b.port, name: 'deaf-publisher' });
    await pub.openChannel(1);
    await pub.confirmSelect(1);
    let returns = 0, lastAck = 0, pendingReturn = false;
    pub.onFrame = (f) => {
      const id = methodId(f);
      if (id === RM.BasicReturn) pendingReturn = true;
      else if (id === RM.BasicAck) lastAck = Number(f.payload.readBigUInt64BE(4));
      else if (f.type === 3 && pendingReturn) { returns++; pendingReturn = false; }
    };
    pub.pause();
    // Mandatory and unroutable: every message comes back as basic.return with its body, then a confirm.
    const writing = writeAll(pub, function* () { for (let i = 0; i < COUNT; i++) yield* publishFrames(1, '', 'bp-nowhere', body(i), true); });
    let done = false;
    void writing.then(() => { done = true; }, () => {});

    // The broker stops reading it: its outgoing bytes stop moving well before 200 MB.
    let lastRead = -1;
    await eventually(async () => {
      const info = await connectionInfo(b, 'deaf-publisher');
      const read = info ? (info.recv_oct as number) : -2;
      if (read === lastRead) return true;
      lastRead = read;
      await sleep(500);
      return false;
    }, 60_000, 0);
    assert.equal(done, false, 'the publisher could not hand off all 200 MB');
    assert.ok(lastRead < COUNT * BODY / 2, `the broker read ${(lastRead / MB).toFixed(0)} MiB of 200 before pausing`);
    const info = (await connectionInfo(b, 'deaf-publisher'))!;
    assert.ok((info.send_pend as number) <= 2 * MB, `unsent output bounded (${info.send_pend} bytes)`);
    assert.equal(info.state, 'flow', 'the management API shows it held back');
    const grown = rssOf(pid) - rss0;
    t.diagnostic(`read ${(lastRead / MB).toFixed(1)} MiB before pausing, send_pend ${info.send_pend}, RSS +${(grown / MB).toFixed(0)} MiB`);
    assert.ok(grown < 150 * MB, `broker RSS grew by ${(grown / MB).toFixed(0)} MiB`);

    // Everyone else is unaffected.
    const other = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(other, Buffer.from('still here'));
    const got = await eventually(() => ch.get(other, { noAck: true }));
    assert.equal(got && got.content.toString(), 'still here');

    pub.resume();
    await writing;
    await eventually(() => returns === COUNT && lastAck === COUNT, 90_000, 50);
    await pub.close();
    await ch.close();
  });
});
