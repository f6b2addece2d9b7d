// Resource alarms: with free disk below disk_free_limit (or memory above the watermark) a publishing
// connection gets connection.blocked and is not read; consumers keep draining; connection.unblocked comes
// when the alarm clears. Warren only: the limits are set in the broker's own config file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { external, startWarren } from '../support/broker.js';
import { eventually, sleep } from '../support/amqp.js';

const skip = external ? 'sets the broker\'s resource limits' : false;

describe('resource alarms', { skip }, () => {
  it('disk alarm: publishers blocked, consumers drain, unblocked when space returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-alarm-'));
    const st = statfsSync(dir);
    const free = st.bavail * st.bsize;
    // A limit 64 MiB under what is free now; a 160 MiB file then crosses it.
    const limit = free - 64 * 1024 * 1024;
    writeFileSync(join(dir, 'warren.conf'), `disk_free_limit.absolute = ${limit}\n`);
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: join(dir, 'warren.conf'), WARREN_ALARM_INTERVAL_MS: '100' } });
    const filler = join(dir, 'filler');
    try {
      const pubConn = await amqp.connect(b.url);
      const conConn = await amqp.connect(b.url);
      const events: string[] = [];
      pubConn.on('blocked', (reason: string) => events.push(`blocked:${reason}`));
      pubConn.on('unblocked', () => events.push('unblocked'));
      const pub = await pubConn.createChannel();
      const con = await conConn.createChannel();
      const q = (await con.assertQueue('', { exclusive: true })).queue;
      pub.sendToQueue(q, Buffer.from('before'));
      await eventually(async () => (await con.checkQueue(q)).messageCount === 1);

      writeFileSync(filler, Buffer.alloc(160 * 1024 * 1024));
      await sleep(500); // the monitor checks every 100 ms
      assert.equal(events.length, 0, 'no notification before the connection publishes');
      pub.sendToQueue(q, Buffer.from('during'));
      await eventually(() => events.includes('blocked:low on disk'), 5000);
      await sleep(200);
      // the consumer side still works and sees only the first message
      const first = await con.get(q, { noAck: true });
      assert.ok(first);
      assert.equal(first.content.toString(), 'before');
      assert.equal((await con.checkQueue(q)).messageCount, 0, 'the blocked publish was not read');

      rmSync(filler);
      await eventually(() => events.includes('unblocked'), 5000);
      await eventually(async () => (await con.checkQueue(q)).messageCount === 1, 3000);
      const second = await con.get(q, { noAck: true });
      assert.ok(second);
      assert.equal(second.content.toString(), 'during');
      await pubConn.close();
      await conConn.close();
    } finally {
      rmSync(filler, { force: true });
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('memory alarm: a watermark below the node\'s use blocks publishers at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-alarm-'));
    writeFileSync(join(dir, 'warren.conf'), 'vm_memory_high_watermark.absolute = 1MiB\n');
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: join(dir, 'warren.conf'), WARREN_ALARM_INTERVAL_MS: '100' } });
    try {
      const c = await amqp.connect(b.url);
      const blocked = new Promise<string>((r) => c.on('blocked', r));
      const ch = await c.createChannel();
      const q = (await ch.assertQueue('', { durable: false })).queue;
      ch.sendToQueue(q, Buffer.from('x'));
      assert.equal(await blocked, 'low on memory');
      const other = await amqp.connect(b.url);
      await sleep(300);
      assert.equal((await (await other.createChannel()).checkQueue(q)).messageCount, 0, 'the publish was not read');
      await other.close();
    } finally {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
