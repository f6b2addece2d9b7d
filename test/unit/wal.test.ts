// The write-ahead log on its own: group commit (one fsync for many appends), ordered recovery, a torn tail
// cut at every offset of its last record, and segment roll-over.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal } from '../../src/store/wal.js';

const dir = () => mkdtempSync(join(tmpdir(), 'warren-wal-'));
const payload = (i: number) => Buffer.from(`record-${i}-${'z'.repeat(i % 50)}`);

function readAll(d: string): { records: string[]; truncated: number } {
  const w = new Wal(d);
  const records: string[] = [];
  const r = w.recover(({ payload: p }) => records.push(p.toString()));
  return { records, truncated: r.truncatedBytes };
}

describe('wal', () => {
  it('one fsync serves every append made while the previous batch was written', async () => {
    const d = dir();
    try {
      const w = new Wal(d);
      w.recover(() => {});
      await w.open();
      let batches = 0;
      w.onSynced = () => { batches++; };
      const done: Promise<void>[] = [];
      for (let i = 0; i < 1000; i++) {
        w.append([payload(i)]);
        done.push(new Promise((r) => w.sync(() => r())));
      }
      await Promise.all(done);
      assert.ok(batches <= 3, `${batches} fsync batches for 1000 appends`);
      await w.close();
      assert.deepEqual(readAll(d).records, Array.from({ length: 1000 }, (_, i) => payload(i).toString()));
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('a record cut at any offset is dropped with everything after it; earlier records survive', async () => {
    const d = dir();
    try {
      const w = new Wal(d);
      w.recover(() => {});
      await w.open();
      for (let i = 0; i < 10; i++) w.append([payload(i)]);
      await w.close();
      const file = join(d, readdirSync(d)[0]!);
      const full = statSync(file).size;
      const lastLen = 8 + payload(9).length;
      for (let cut = full - 1; cut > full - lastLen; cut--) {
        truncateSync(file, cut);
        const r = readAll(d);
        assert.equal(r.records.length, 9, `cut at ${cut}`);
        assert.equal(statSync(file).size, full - lastLen, 'the torn tail was truncated');
        // put a partial record back for the next round
        truncateSync(file, full - lastLen);
        const w2 = new Wal(d);
        w2.recover(() => {});
        await w2.open();
        w2.append([payload(9)]);
        await w2.close();
      }
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('a corrupt byte inside a record ends recovery there (CRC)', async () => {
    const d = dir();
    try {
      const w = new Wal(d);
      w.recover(() => {});
      await w.open();
      for (let i = 0; i < 5; i++) w.append([payload(i)]);
      await w.close();
      const file = join(d, readdirSync(d)[0]!);
      const { openSync, writeSync, closeSync } = await import('node:fs');
      const fd = openSync(file, 'r+');
      const third = 2 * 8 + payload(0).length + payload(1).length;
      writeSync(fd, Buffer.from('#'), 0, 1, third + 10);
      closeSync(fd);
      assert.deepEqual(readAll(d).records, [payload(0).toString(), payload(1).toString()]);
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('rolls over to a new segment at the size limit, several times in one batch', async () => {
    const d = dir();
    try {
      const w = new Wal(d, 4096);
      w.recover(() => {});
      await w.open();
      const positions = [];
      for (let i = 0; i < 100; i++) positions.push(w.append([Buffer.alloc(500, i)]));
      await w.close();
      const segs = readdirSync(d).sort();
      assert.ok(segs.length >= 10, `${segs.length} segments`);
      // every record is in the segment append() said
      const seen: { segment: number; offset: number; first: number }[] = [];
      new Wal(d).recover(({ segment, offset, payload: p }) => seen.push({ segment, offset, first: p[0]! }));
      assert.deepEqual(seen.map((s) => [s.segment, s.offset]), positions.map((p) => [p.segment, p.offset]));
      assert.deepEqual(seen.map((s) => s.first), Array.from({ length: 100 }, (_, i) => i));
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('reads records back at any moment: queued, being written, in the file, across roll-overs', async () => {
    const d = dir();
    try {
      const w = new Wal(d, 4096);
      w.recover(() => {});
      await w.open();
      const recs: { pos: { segment: number; offset: number }; body: Buffer }[] = [];
      const check = () => { for (const r of recs) assert.ok(w.readPayload(r.pos.segment, r.pos.offset, r.body.length).equals(r.body)); };
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 40; i++) {
          const body = Buffer.alloc(100 + ((i * 37) % 400), round * 40 + i);
          recs.push({ pos: w.append([body.subarray(0, 7), body.subarray(7)]), body });
        }
        check(); // queued
        const synced = new Promise<void>((r) => w.sync(() => r()));
        check(); // being written
        await synced;
        check(); // in the file
      }
      await w.close();
      // A record damaged on disk since it was written: recovery does not check records of closed segments
      // that it is told will be read later, and reading one back fails its CRC.
      const { openSync, writeSync, closeSync } = await import('node:fs');
      const first = recs[0]!;
      assert.ok(first.pos.segment < recs[recs.length - 1]!.pos.segment);
      const fd = openSync(join(d, `${String(first.pos.segment).padStart(8, '0')}.wal`), 'r+');
      writeSync(fd, Buffer.from([0xff]), 0, 1, first.pos.offset + 20);
      closeSync(fd);
      const again = new Wal(d, 4096);
      let n = 0;
      again.recover(() => { n++; }, () => true);
      assert.equal(n, recs.length, 'nothing cut: the damaged record is in a closed segment');
      assert.throws(() => again.readPayload(first.pos.segment, first.pos.offset, first.body.length), /corrupt record/);
      assert.ok(again.readPayload(recs[1]!.pos.segment, recs[1]!.pos.offset, recs[1]!.body.length).equals(recs[1]!.body));
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('a page file (durable: false) writes appends without being asked and reads them back', async () => {
    const d = dir();
    try {
      const w = new Wal(d, { segmentBytes: 4096, durable: false });
      await w.open();
      const pos = [];
      for (let i = 0; i < 50; i++) pos.push(w.append([Buffer.alloc(300, i)]));
      for (let i = 0; i < 50; i++) assert.equal(w.readPayload(pos[i]!.segment, pos[i]!.offset, 300)[0], i);
      // Written with no sync() call: the files fill up on their own.
      const total = () => readdirSync(d).reduce((n, f) => n + statSync(join(d, f)).size, 0);
      for (let k = 0; k < 100 && total() < 50 * 308; k++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(total(), 50 * 308);
      for (let i = 0; i < 50; i++) assert.equal(w.readPayload(pos[i]!.segment, pos[i]!.offset, 300)[0], i);
      await w.close();
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('a failed write: its waiters and every later one get the error, nothing more is written, append throws', async () => {
    const d = dir();
    try {
      const w = new Wal(d);
      w.recover(() => {});
      await w.open();
      w.append([payload(1)]);
      await new Promise<void>((r) => w.sync(() => r()));
      let reported: Error | undefined;
      w.onError = (e) => { reported = e; };
      // The file handle closed under the log: the next write fails (EBADF), as ENOSPC would.
      await (w as unknown as { fh: { close(): Promise<void> } }).fh.close();
      w.append([payload(2)]);
      const first = await new Promise<Error | undefined>((r) => w.sync(r));
      assert.ok(first instanceof Error, 'the failed batch\'s waiter gets the error');
      assert.equal(reported, first);
      assert.equal(await new Promise<Error | undefined>((r) => w.sync(r)), first, 'a later sync too, without writing');
      assert.throws(() => w.append([payload(3)]), (e) => e === first);
      await w.close(); // does not hang
      assert.deepEqual(readAll(d).records, [payload(1).toString()]);
    } finally { rmSync(d, { recursive: true, force: true }); }
  });
});
