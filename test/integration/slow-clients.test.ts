// Slow, stuck and broken clients: slow-loris (the protocol header or a frame a byte at a time: slow, not
// wrong, so it works, and nobody else notices), half-open peers (gone without a FIN after negotiating
// heartbeats: closed after two missed intervals, exclusive queues freed, also when the broker's output to
// them is full), and disconnects in the middle of a frame or a message (nothing half-published is enqueued,
// the connection's state is freed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { external, startWarren, type TestBroker } from '../support/broker.js';
import { AMQP_HEADER, eventually, sleep, uniq } from '../support/amqp.js';
import { api, enc, type Json } from '../support/mgmt.js';
import { RawClient, RM, methodId, publishFrames, rawFrame } from '../support/raw-client.js';

const skip = external ? 'reads the broker log and depends on its heartbeat checks' : false;

describe('slow and broken clients', { skip, timeout: 120_000 }, () => {
  let b: TestBroker;
  let conn: ChannelModel;
  let ch: Channel;
  before(async () => {
    b = await startWarren({ env: { WARREN_LOG_LEVEL: 'warning' } });
    conn = await amqp.connect(b.url);
    ch = await conn.createChannel();
  });
  after(async () => { await conn?.close().catch(() => {}); await b?.stop(); });

  const connections = async () => (await api(b).get<Json[]>('/connections')).json.length;
  const queueStatus = async (q: string) => (await api(b).get(`/queues/%2F/${enc(q)}`)).status;

  /** Round trips through another connection every 200 ms until stop(); returns how many worked. */
  function bystander(): { stop: () => Promise<number> } {
    let running = true, ok = 0;
    const loop = (async () => {
      const c = await conn.createChannel();
      const q = (await c.assertQueue('', { exclusive: true })).queue;
      while (running) {
        c.sendToQueue(q, Buffer.from(String(ok)));
        const m = await eventually(() => c.get(q, { noAck: true }), 3000);
        assert.equal(m && m.content.toString(), String(ok));
        ok++;
        await sleep(200);
      }
      await c.close();
    })();
    return { stop: async () => { running = false; await loop; return ok; } };
  }

  it('slow-loris: the header a byte per second and a publish a byte at a time both work; others are unaffected', async () => {
    const others = bystander();
    // 200 more connections that send one byte of the header and stall.
    const stalled = await Promise.all(Array.from({ length: 200 }, async () => {
      const s = await RawClient.socket(b.host, b.port);
      s.write(AMQP_HEADER.subarray(0, 1));
      return s;
    }));

    const slowHeader = (async () => {
      const s = await RawClient.socket(b.host, b.port);
      const start = s.waitFor((f) => methodId(f) === RM.ConnectionStart, 15_000);
      for (let i = 0; i < AMQP_HEADER.length; i++) {
        if (i > 0) await sleep(1000);
        s.write(AMQP_HEADER.subarray(i, i + 1));
      }
      await start;
      s.destroy();
    })();

    const q = uniq('slow-frame');
    await ch.assertQueue(q);
    const slowFrame = (async () => {
      const s = await RawClient.open({ host: b.host, port: b.port });
      await s.openChannel(1);
      const bytes = Buffer.concat(publishFrames(1, '', q, Buffer.from('one byte at a time')));
      for (let i = 0; i < bytes.length; i++) { s.write(bytes.subarray(i, i + 1)); await sleep(10); }
      await eventually(async () => (await ch.checkQueue(q)).messageCount === 1, 5000);
      await s.close();
    })();

    await Promise.all([slowHeader, slowFrame]);
    const m = await ch.get(q, { noAck: true });
    assert.equal(m && m.content.toString(), 'one byte at a time');
    const health = await api(b).get<Json>('/health/checks/alarms');
    assert.deepEqual([health.status, health.json.status], [200, 'ok']);
    const n = await others.stop();
    assert.ok(n >= 10, `other clients kept working (${n} round trips)`);
    for (const s of stalled) s.destroy();
    await ch.deleteQueue(q);
  });

  it('half-open: a peer silent after negotiating 1 s heartbeats is closed after two missed ones; its exclusive queue goes', async () => {
    const base = await connections();
    const c = await RawClient.open({ host: b.host, port: b.port, heartbeat: 1 });
    await c.openChannel(1);
    const q = await c.declareQueue(1, uniq('half-open'), 4);
    assert.equal(await queueStatus(q), 200);
    c.pause(); // from now on the peer neither reads nor sends: no FIN, no heartbeats
    const t0 = Date.now();
    await eventually(async () => (await queueStatus(q)) === 404 && (await connections()) === base, 10_000, 100);
    const took = Date.now() - t0;
    assert.ok(took >= 1000, `not closed before a heartbeat was missed (${took} ms)`);
    assert.match(b.output(), /missed heartbeats from client, timeout: 1s/);
    c.destroy();
  });

  it('half-open with deliveries pending: output full and nothing taken for two intervals closes it too', async () => {
    const base = await connections();
    const c = await RawClient.open({ host: b.host, port: b.port, heartbeat: 1 });
    await c.openChannel(1);
    const q = await c.declareQueue(1, uniq('half-open-full'), 4);
    await c.consume(1, q, true);
    c.pause();
    // 32 MiB for a consumer that takes nothing: the broker's output to it fills and stops moving.
    const body = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 512; i++) ch.sendToQueue(q, body);
    await eventually(async () => (await queueStatus(q)) === 404 && (await connections()) === base, 15_000, 100);
    c.destroy();
  });

  it('mid-frame disconnect: half a body frame, then gone: nothing enqueued, connection and channel freed', async () => {
    const q = uniq('mid-frame');
    await ch.assertQueue(q);
    const base = await connections();
    const channelsBefore = (await api(b).get<Json[]>('/channels')).json.length;
    for (const cut of ['inside the body frame', 'after a short body frame']) {
      const c = await RawClient.open({ host: b.host, port: b.port });
      await c.openChannel(1);
      const [m, h] = publishFrames(1, '', q, Buffer.alloc(1000, 7));
      c.write(m!); c.write(h!);
      // a body frame announcing 1000 bytes cut after 500, or a whole frame of 500 of the 1000 declared
      const half = cut === 'inside the body frame' ? rawFrame(3, 1, Buffer.alloc(1000, 7)).subarray(0, 507) : rawFrame(3, 1, Buffer.alloc(500, 7));
      c.write(half);
      await sleep(100);
      c.destroy();
      await eventually(async () => (await connections()) === base, 5000, 50);
      assert.equal((await ch.checkQueue(q)).messageCount, 0, `nothing enqueued (${cut})`);
    }
    assert.equal((await api(b).get<Json[]>('/channels')).json.length, channelsBefore, 'channels freed');
    // The broker is fine: a whole message goes through.
    ch.sendToQueue(q, Buffer.from('whole'));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
    await ch.deleteQueue(q);
  });
});
