// A full disk, for real: the broker's data directory on a small tmpfs. First the disk alarm does its job
// (publishers blocked before the disk is full, consumers drain, the alarm clears); then the disk is filled
// behind the broker's back so the write-ahead log write itself fails with ENOSPC: the node must keep running,
// confirm nothing it did not write, refuse further persistent publishes, and after a restart with space
// again hold every confirmed message exactly once. Needs root (mount); on CI (CI=true, root) it must run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type ConfirmChannel, type ChannelModel } from 'amqplib';
import { external, startWarren, type TestBroker } from '../support/broker.js';
import { eventually, sleep } from '../support/amqp.js';

const MiB = 1024 * 1024;
/** The tmpfs: big enough for a few 4 MiB WAL segments past the alarm limit, small enough to fill quickly. */
const FS_SIZE = 80 * MiB;
const DISK_LIMIT = 24 * MiB;
const BODY = 64 * 1024;

let mnt: string | undefined;
let skipWhy: string | false = external ? 'needs a Warren process of its own' : false;

/** Mounts a tmpfs of FS_SIZE; returns why not when this machine does not let us (the test then skips). */
function mountTmpfs(): string | false {
  const root = process.getuid?.() === 0;
  const onCi = process.env.CI === 'true';
  if (!root) return 'not root: mounting a tmpfs needs CAP_SYS_ADMIN';
  const dir = mkdtempSync(join(tmpdir(), 'warren-fulldisk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${FS_SIZE}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) { mnt = dir; return false; }
  rmSync(dir, { recursive: true, force: true });
  const why = `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  // A container without CAP_SYS_ADMIN says "permission denied"; anything else on CI is a failure.
  if (onCi && !/permission denied|not permitted|EPERM/i.test(why)) throw new Error(why);
  return why;
}

if (!skipWhy) {
  skipWhy = mountTmpfs();
  if (skipWhy) process.stderr.write(`full-disk test skipped: ${skipWhy}\n`);
}

/** Writes zeros until the file system says ENOSPC, in ever smaller pieces, so no free block is left. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (let chunk = 4 * MiB; chunk >= 512; chunk = Math.floor(chunk / 2)) {
      const buf = Buffer.alloc(chunk);
      for (;;) {
        try { written += writeSync(fd, buf); } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally { closeSync(fd); }
  return written;
}

const body = (id: number) => { const b = Buffer.alloc(BODY, 0x61); b.write(`m${id}.`, 0); return b; };
const idOf = (content: Buffer) => Number(/^m(\d+)\./.exec(content.toString('latin1', 0, 16))![1]);

async function broker(dataDir: string, limit: number): Promise<TestBroker> {
  const conf = join(mnt!, `warren-${limit}.conf`);
  writeFileSync(conf, `disk_free_limit.absolute = ${limit}\n`);
  return startWarren({
    dataDir, keepData: true,
    env: { WARREN_CONFIG_FILE: conf, WARREN_ALARM_INTERVAL_MS: '100', WARREN_WAL_SEGMENT_BYTES: String(4 * MiB) },
  });
}

/** Consumes the queue to empty (acking), returning the ids seen in order. */
async function drain(c: ChannelModel, queue: string): Promise<number[]> {
  const ch = await c.createChannel();
  await ch.prefetch(200);
  const seen: number[] = [];
  await ch.consume(queue, (m) => { if (m) { seen.push(idOf(m.content)); ch.ack(m); } });
  await eventually(async () => (await ch.checkQueue(queue)).messageCount === 0, 30000, 100);
  await sleep(200); // the last deliveries' acks
  await ch.close();
  return seen;
}

describe('full disk', { skip: skipWhy }, () => {
  const queue = 'full-disk';
  let dataDir: string;
  before(() => { dataDir = join(mnt!, 'data'); mkdirSync(dataDir); });
  after(() => {
    if (!mnt) return;
    spawnSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it('the disk alarm blocks publishers before the disk is full; consumers drain it and it clears', async () => {
    const b = await broker(dataDir, DISK_LIMIT);
    try {
      const pubConn = await amqp.connect(b.url);
      const events: string[] = [];
      pubConn.on('blocked', (reason: string) => events.push(`blocked:${reason}`));
      pubConn.on('unblocked', () => events.push('unblocked'));
      const pub: ConfirmChannel = await pubConn.createConfirmChannel();
      await pub.assertQueue(queue, { durable: true });
      const confirmed = new Set<number>();
      let next = 0;
      // Batches of 16 with confirms until the alarm blocks the connection (then the batch stays unconfirmed).
      while (!events.length) {
        const batch: Promise<void>[] = [];
        for (let i = 0; i < 16; i++) {
          const id = next++;
          batch.push(new Promise((resolve) => pub.publish('', queue, body(id), { persistent: true }, (err) => {
            if (!err) confirmed.add(id);
            resolve();
          })));
        }
        await Promise.race([Promise.all(batch), eventually(() => events.length > 0, 60000, 50)]);
        assert.ok(next * BODY < FS_SIZE + 16 * BODY, 'the alarm comes before the disk is full');
      }
      assert.equal(events[0], 'blocked:low on disk');
      assert.equal(b.proc!.exitCode, null, 'the broker keeps running');

      // Consumers still work while the publisher is blocked; draining frees WAL segments and clears the alarm.
      const conConn = await amqp.connect(b.url);
      const seen = await drain(conConn, queue);
      await eventually(() => events.includes('unblocked'), 30000, 100);
      // Whatever the publisher had queued while blocked now goes through; drain that too.
      await pub.waitForConfirms().catch(() => { /* a nack is no confirm: those ids are not in `confirmed` */ });
      seen.push(...await drain(conConn, queue));
      for (const id of confirmed) assert.ok(seen.includes(id), `confirmed message ${id} delivered`);
      assert.equal(new Set(seen).size, seen.length, 'no message delivered twice');
      await pubConn.close();
      await conConn.close();
      assert.match(b.output(), /set free disk space alarm/);
    } finally {
      await b.stop();
    }
  });

  it('ENOSPC in the write-ahead log: no crash, no false confirm, persistent publishes refused, nothing lost', async () => {
    // No alarm this time (limit 0: free space is never below it), so the publishes reach the log when the
    // disk fills behind its back.
    const b = await broker(dataDir, 0);
    const filler = join(mnt!, 'filler');
    const confirmed = new Set<number>();
    try {
      const c = await amqp.connect(b.url);
      const closed = new Promise<{ code?: number; message: string }>((r) => c.on('error', r));
      const ch = await c.createConfirmChannel();
      ch.on('error', () => { /* the connection's error is the one asserted */ });
      await ch.assertQueue(queue, { durable: true });
      const publish = (id: number) => new Promise<boolean>((resolve) => {
        try {
          ch.publish('', queue, body(id), { persistent: true }, (err: Error | null) => {
            if (!err) confirmed.add(id);
            resolve(!err);
          });
        } catch { resolve(false); } // the channel is already closed
      });
      for (let id = 0; id < 20; id++) assert.ok(await publish(id), 'confirmed while there is space');

      fillDisk(filler);
      // Pipelined: those in the batch whose write fails are nacked; any appended after the failure are
      // refused (the connection is closed with 541, which fails their callbacks too).
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => publish(1000 + i)));
      assert.ok(results.some((ok) => !ok), 'not every publish after the disk filled was confirmed');
      // Every publish got an outcome (a hang would stop Promise.all above). Whether any was in the failed
      // batch (nacked) or all came after it (refused with 541) depends on timing, so either is accepted;
      // that none was confirmed falsely is checked after the restart below.
      void closed.then((e) => assert.equal(e.code, 541));
      assert.equal(b.proc!.exitCode, null, 'the broker keeps running');
      await eventually(() => /write-ahead log failed.*ENOSPC/.test(b.output()), 5000, 50);

      // The node still answers; a new persistent publish is refused with an error, not confirmed.
      const c2 = await amqp.connect(b.url);
      const closed2 = new Promise<{ code?: number }>((r) => c2.on('error', r));
      const ch2 = await c2.createConfirmChannel();
      ch2.on('error', () => { /* see closed2 */ });
      assert.equal((await ch2.checkQueue(queue)).queue, queue);
      const acked = await new Promise<boolean>((resolve) => {
        ch2.publish('', queue, body(5000), { persistent: true }, (e) => resolve(!e));
      });
      assert.equal(acked, false);
      assert.equal((await closed2).code, 541);
      // Consumers and transient messages still work while the log is down.
      const c3 = await amqp.connect(b.url);
      const ch3 = await c3.createChannel();
      const tq = (await ch3.assertQueue('', { exclusive: true })).queue;
      ch3.sendToQueue(tq, Buffer.from('transient'));
      await eventually(async () => (await ch3.get(tq, { noAck: true })) !== false, 5000, 50);
      await c3.close();
      await c.close().catch(() => { /* closed by the broker already */ });
      assert.equal(b.proc!.exitCode, null, 'the broker keeps running');
    } finally {
      rmSync(filler, { force: true });
      await b.stop();
    }

    // With space again, a restart recovers every confirmed message, once.
    const b2 = await broker(dataDir, DISK_LIMIT);
    try {
      const c = await amqp.connect(b2.url);
      const seen = await drain(c, queue);
      for (const id of confirmed) assert.ok(seen.includes(id), `confirmed message ${id} recovered`);
      assert.equal(new Set(seen).size, seen.length, 'no message recovered twice');
      assert.ok(!seen.includes(5000), 'the refused publish is not there');
      await c.close();
    } finally {
      await b2.stop();
    }
  });
});
