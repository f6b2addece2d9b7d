// The write-ahead log: append-only segment files of CRC-framed records, shared by metadata commands and
// persistent messages, with group commit: one writev + fdatasync serves every append made meanwhile, on
// any connection, and never blocks the event loop (FileHandle I/O runs on libuv's pool).
//   record = u32 payload length | u32 crc32(payload) | payload
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const HEADER = 8;
/** A segment is closed once it passes this size; the next append starts a new one. */
export const SEGMENT_BYTES = 64 * 1024 * 1024;
/** Records larger than this are refused at recovery as corrupt (a body is at most 512 MiB). */
const MAX_RECORD = 600 * 1024 * 1024;

export interface WalPosition { segment: number; offset: number }

const segName = (n: number) => `${String(n).padStart(8, '0')}.wal`;

export interface RecoveredRecord { segment: number; offset: number; payload: Buffer }

export class Wal {
  private fh: FileHandle | undefined;
  /** The segment appends go to, and its size including queued bytes. */
  segment = 0;
  /** Size of the current segment including queued bytes: where the next record goes. */
  size = 0;
  /** Queued bytes; a number marks a roll-over: the segment the following bytes go to. */
  private pending: (Buffer | number)[] = [];
  private pendingBytes = 0;
  private waiters: ((err?: Error) => void)[] = [];
  private writing = false;
  private failed: Error | undefined;
  private closed = false;
  /** Called when a segment is closed (rolled over), e.g. to take a metadata snapshot. */
  onRoll: ((closed: number) => void) | undefined;
  /**
   * Called once if a write or fsync fails. The log then writes nothing more (a record after a torn one would
   * be cut off at recovery anyway), append() throws, and every sync() callback, pending or later, gets the error.
   */
  onError: ((e: Error) => void) | undefined;
  /** Called after each durable batch with its byte count (stats, tests). */
  onSynced: ((bytes: number) => void) | undefined;

  constructor(readonly dir: string, readonly segmentBytes = SEGMENT_BYTES) { mkdirSync(dir, { recursive: true }); }

  segments(): number[] {
    return readdirSync(this.dir).filter((f) => /^\d{8}\.wal$/.test(f)).map((f) => Number(f.slice(0, 8))).sort((a, b) => a - b);
  }

  /**
   * Reads every record of every segment in order, synchronously (start-up, before accepting connections).
   * A torn or corrupt tail is cut off: the segment is truncated at the last good record and any later
   * segments are removed, since nothing after a hole can have been confirmed.
   */
  recover(onRecord: (r: RecoveredRecord) => void): { records: number; truncatedBytes: number } {
    let records = 0, truncatedBytes = 0, lastSize = 0;
    const segs = this.segments();
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const path = join(this.dir, segName(seg));
      const fd = openSync(path, 'r+');
      try {
        const total = fstatSync(fd).size;
        const good = scanSegment(fd, total, (offset, payload) => { records++; onRecord({ segment: seg, offset, payload }); });
        lastSize = good;
        if (good < total) {
          truncatedBytes += total - good;
          ftruncateSync(fd, good);
          fdatasyncSync(fd);
          for (const later of segs.slice(i + 1)) {
            truncatedBytes += statSync(join(this.dir, segName(later))).size;
            unlinkSync(join(this.dir, segName(later)));
          }
          segs.length = i + 1;
        }
      } finally { closeSync(fd); }
    }
    // Appends may be queued before open(): they go after the last good record.
    this.segment = segs.length ? segs[segs.length - 1]! : 1;
    this.size = segs.length ? lastSize : 0;
    return { records, truncatedBytes };
  }

  /** Opens the last segment for appending (or a first one). Call once, after recover(). */
  async open(): Promise<void> {
    if (this.segment === 0) this.segment = 1;
    this.fh = await open(join(this.dir, segName(this.segment)), 'a');
    if (this.waiters.length || this.pending.length) void this.flush();
  }

  /**
   * Queues a record; returns where it will be. It is durable once a later sync() callback runs.
   * The payload buffers are written as given: callers must not change them afterwards.
   */
  append(parts: Buffer[]): WalPosition {
    if (this.failed) throw this.failed;
    let len = 0;
    for (const p of parts) len += p.length;
    if (this.size >= this.segmentBytes) this.roll();
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32BE(len, 0);
    let crc = 0;
    for (const p of parts) crc = crc32(p, crc);
    header.writeUInt32BE(crc >>> 0, 4);
    const pos = { segment: this.segment, offset: this.size };
    this.pending.push(header, ...parts);
    this.pendingBytes += HEADER + len;
    this.size += HEADER + len;
    return pos;
  }

  /** Runs cb once everything appended so far is on disk (fdatasync), or with the error if the log failed. */
  sync(cb: (err?: Error) => void): void {
    if (this.failed) { const e = this.failed; queueMicrotask(() => cb(e)); return; }
    if (this.closed) { cb(); return; } // nothing more will be written
    this.waiters.push(cb);
    if (!this.writing && this.fh) void this.flush(); // before open(), open() starts the first flush
  }

  private roll(): void {
    // Appends already queued go to the old segment: flush() writes `pending` to the handle it captured.
    const closed = this.segment;
    this.segment++;
    this.pending.push(this.segment);
    this.size = 0;
    this.onRoll?.(closed);
  }

  private async flush(): Promise<void> {
    this.writing = true;
    let waiters: ((err?: Error) => void)[] = [];
    try {
      while (this.waiters.length > 0 || this.pending.length > 0) {
        const batch = this.pending, bytes = this.pendingBytes;
        waiters = this.waiters;
        this.pending = []; this.waiters = []; this.pendingBytes = 0;
        let start = 0;
        for (let i = 0; i <= batch.length; i++) {
          const next = batch[i];
          if (i < batch.length && typeof next !== 'number') continue;
          if (i > start) await writeAll(this.fh!, batch.slice(start, i) as Buffer[]);
          if (typeof next === 'number') { // roll: finish the old segment, open the next
            await this.fh!.datasync();
            await this.fh!.close();
            this.fh = await open(join(this.dir, segName(next)), 'a');
            await syncDir(this.dir);
          }
          start = i + 1;
        }
        await this.fh!.datasync();
        this.onSynced?.(bytes);
        const done = waiters;
        waiters = [];
        for (const w of done) w();
      }
    } catch (e) {
      // A failed write (e.g. ENOSPC) must not crash the node: nothing in or after the failed batch is
      // confirmed (its waiters get the error: publishers get basic.nack), later appends throw (the
      // publishing connection gets 541), and the owner is told.
      const err = this.failed = e as Error;
      const failed = [...waiters, ...this.waiters];
      this.waiters = []; this.pending = []; this.pendingBytes = 0;
      this.onError?.(err);
      for (const w of failed) w(err);
    } finally {
      this.writing = false;
    }
  }

  /** Deletes a segment that holds nothing live (never the one being appended to). */
  remove(segment: number): void {
    if (segment >= this.segment) return;
    try { unlinkSync(join(this.dir, segName(segment))); } catch { /* already gone */ }
  }

  /** Reads a record's payload back (paging). */
  async read(pos: WalPosition, length: number): Promise<Buffer> {
    const fh = await open(join(this.dir, segName(pos.segment)), 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      await fh.read(buf, 0, length, pos.offset + HEADER);
      return buf;
    } finally { await fh.close(); }
  }

  /** Waits for queued writes, then closes. */
  async close(): Promise<void> {
    await new Promise<void>((r) => this.sync(() => r()));
    this.closed = true;
    await this.fh?.close();
    this.fh = undefined;
  }

  get error(): Error | undefined { return this.failed; }
}

async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  // writev may write less than asked (large batches); continue from where it stopped.
  let rest = bufs;
  while (rest.length) {
    const { bytesWritten } = await fh.writev(rest);
    let n = bytesWritten;
    let i = 0;
    while (i < rest.length && n >= rest[i]!.length) { n -= rest[i]!.length; i++; }
    rest = rest.slice(i);
    if (n > 0 && rest.length) rest = [rest[0]!.subarray(n), ...rest.slice(1)];
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try { await d.sync(); } finally { await d.close(); }
}

/** Calls onRecord for each valid record; returns the offset just past the last valid one. */
function scanSegment(fd: number, total: number, onRecord: (offset: number, payload: Buffer) => void): number {
  const head = Buffer.allocUnsafe(HEADER);
  let off = 0;
  while (off + HEADER <= total) {
    if (readSync(fd, head, 0, HEADER, off) !== HEADER) break;
    const len = head.readUInt32BE(0), crc = head.readUInt32BE(4);
    if (len > MAX_RECORD || off + HEADER + len > total) break;
    const payload = Buffer.allocUnsafe(len);
    if (len > 0 && readSync(fd, payload, 0, len, off + HEADER) !== len) break;
    if ((crc32(payload) >>> 0) !== crc) break;
    onRecord(off, payload);
    off += HEADER + len;
  }
  return off;
}
