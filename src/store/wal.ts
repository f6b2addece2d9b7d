// The write-ahead log: append-only segment files of CRC-framed records, shared by metadata commands and
// persistent messages, with group commit: one writev + fdatasync serves every append made meanwhile, on
// any connection, and never blocks the event loop (FileHandle I/O runs on libuv's pool).
//   record = u32 payload length | u32 crc32(payload) | payload
// The same class, with `durable: false`, is the page file transient bodies are paged out to: writes start
// on their own and are never fsynced. Records are read back synchronously (paging in), from the file once
// written and from the queued buffers before that.
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const HEADER = 8;
/** A segment is closed once it passes this size; the next append starts a new one. */
export const SEGMENT_BYTES = 64 * 1024 * 1024;
/** Records larger than this are refused at recovery as corrupt (a body is at most 512 MiB). */
const MAX_RECORD = 600 * 1024 * 1024;
/** Bytes read at once when paging records back in (records larger than this are read on their own). */
const READ_AHEAD = 256 * 1024;

export interface WalPosition { segment: number; offset: number }

const segName = (n: number) => `${String(n).padStart(8, '0')}.wal`;

export interface RecoveredRecord { segment: number; offset: number; payload: Buffer }

export interface WalOptions {
  segmentBytes?: number;
  /** false: a page file: appends are written without being asked (no sync()), never fsynced. */
  durable?: boolean;
}

export class Wal {
  private fh: FileHandle | undefined;
  /** The segment appends go to, and its size including queued bytes. */
  segment = 0;
  /** Size of the current segment including queued bytes: where the next record goes. */
  size = 0;
  /** Queued bytes; a number marks a roll-over: the segment the following bytes go to. */
  private pending: (Buffer | number)[] = [];
  private pendingBytes = 0;
  /** The batch being written, and where it starts: bytes not yet known to be in the file (reads use it). */
  private inflight: (Buffer | number)[] = [];
  private inflightAt: WalPosition = { segment: 0, offset: 0 };
  /** Everything before this position is in the file (written; fsynced too when durable). */
  private written: WalPosition = { segment: 0, offset: 0 };
  /** Read-only descriptors of segments, opened when first paged in from, closed when the segment goes. */
  private readFds = new Map<number, number>();
  readonly segmentBytes: number;
  readonly durable: boolean;
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

  constructor(readonly dir: string, opts: WalOptions | number = {}) {
    const o = typeof opts === 'number' ? { segmentBytes: opts } : opts;
    this.segmentBytes = o.segmentBytes ?? SEGMENT_BYTES;
    this.durable = o.durable ?? true;
    mkdirSync(dir, { recursive: true });
  }

  segments(): number[] {
    return readdirSync(this.dir).filter((f) => /^\d{8}\.wal$/.test(f)).map((f) => Number(f.slice(0, 8))).sort((a, b) => a - b);
  }

  /**
   * Reads every record of every segment in order, synchronously (start-up, before accepting connections).
   * A torn or corrupt tail is cut off: the segment is truncated at the last good record and any later
   * segments are removed, since nothing after a hole can have been confirmed.
   * `readLater(type)`: records of this type (first payload byte) in closed segments are not CRC-checked
   * here but when read back (readPayload). Only the last segment can be torn: a segment is fdatasynced
   * before anything is written to the next one.
   */
  recover(onRecord: (r: RecoveredRecord) => void, readLater?: (type: number) => boolean): { records: number; truncatedBytes: number } {
    let records = 0, truncatedBytes = 0, lastSize = 0;
    const segs = this.segments();
    const scan = new ScanBuffer(); // one read buffer for every segment
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const path = join(this.dir, segName(seg));
      const fd = openSync(path, 'r+');
      try {
        const total = fstatSync(fd).size;
        const skip = i < segs.length - 1 ? readLater : undefined;
        const good = scanSegment(scan, fd, total, (offset, payload) => { records++; onRecord({ segment: seg, offset, payload }); }, skip);
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
    this.written = this.inflightAt = { segment: this.segment, offset: this.size };
    return { records, truncatedBytes };
  }

  /** Opens the last segment for appending (or a first one). Call once, after recover(). */
  async open(): Promise<void> {
    if (this.segment === 0) { this.segment = 1; this.written = this.inflightAt = { segment: 1, offset: 0 }; }
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
    this.pending.push(header);
    for (const p of parts) this.pending.push(p);
    this.pendingBytes += HEADER + len;
    this.size += HEADER + len;
    if (!this.durable && !this.writing && this.fh && !this.kickQueued) {
      this.kickQueued = true;
      setImmediate(() => { this.kickQueued = false; if (!this.writing) void this.flush(); });
    }
    return pos;
  }
  private kickQueued = false;

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
        this.inflight = batch;
        this.inflightAt = this.written;
        let start = 0;
        let seg = this.written.segment, off = this.written.offset;
        for (let i = 0; i <= batch.length; i++) {
          const next = batch[i];
          if (i < batch.length && typeof next !== 'number') { off += (next as Buffer).length; continue; }
          if (i > start) await writeAll(this.fh!, batch.slice(start, i) as Buffer[]);
          if (typeof next === 'number') { // roll: finish the old segment, open the next
            if (this.durable) await this.fh!.datasync();
            await this.fh!.close();
            this.fh = await open(join(this.dir, segName(next)), 'a');
            if (this.durable) await syncDir(this.dir);
            seg = next; off = 0;
          }
          start = i + 1;
        }
        if (this.durable) await this.fh!.datasync();
        this.written = { segment: seg, offset: off };
        this.inflight = [];
        this.inflightAt = this.written; // queued bytes start where the written ones end
        this.onSynced?.(bytes);
        const done = waiters;
        waiters = [];
        for (const w of done) w();
      }
    } catch (e) {
      // A failed write (e.g. ENOSPC) must not crash the node: nothing in or after the failed batch is
      // confirmed (its waiters get the error: publishers get basic.nack), later appends throw (the
      // publishing connection gets 541), and the owner is told.
      // The unwritten bytes stay queued (never written now) so records in them can still be read back.
      const err = this.failed = e as Error;
      const failed = [...waiters, ...this.waiters];
      this.waiters = [];
      this.onError?.(err);
      for (const w of failed) w(err);
    } finally {
      this.writing = false;
    }
  }

  /**
   * Reads a record's payload back, synchronously (paging in a batch from the page cache costs tens of
   * microseconds). Bytes not yet written are taken from the queued buffers. The CRC is checked: a record
   * that does not match throws.
   */
  readPayload(segment: number, offset: number, length: number): Buffer {
    const end = offset + HEADER + length;
    let rec: Buffer;
    if (!this.isWritten(segment, end)) rec = this.readQueued(segment, offset, HEADER + length);
    else if (HEADER + length > READ_AHEAD) rec = this.readFile(segment, offset, HEADER + length);
    else {
      const ra = this.ahead;
      if (ra.segment !== segment || offset < ra.start || end > ra.start + ra.length) this.fillAhead(segment, offset, HEADER + length);
      rec = ra.buf.subarray(offset - ra.start, end - ra.start);
    }
    if (rec.readUInt32BE(0) !== length || (crc32(rec.subarray(HEADER)) >>> 0) !== rec.readUInt32BE(4)) {
      throw new Error(`corrupt record at ${segName(segment)}:${offset} in ${this.dir}`);
    }
    // A copy: the read-ahead buffer is reused, and a message must not pin more than its own bytes.
    return rec.buffer === this.ahead.buf.buffer ? Buffer.from(rec.subarray(HEADER)) : rec.subarray(HEADER);
  }

  /**
   * Read-ahead for paging in: records are read back in the order they were written, so one read of the next
   * READ_AHEAD bytes serves the following records of the batch. Only written bytes are cached (they never
   * change); removing a segment drops the cache.
   */
  private ahead = { segment: 0, start: 0, length: 0, buf: Buffer.allocUnsafe(0) };

  private fillAhead(segment: number, offset: number, need: number): void {
    const ra = this.ahead;
    if (ra.buf.length === 0) ra.buf = Buffer.allocUnsafe(READ_AHEAD);
    const w = this.written;
    const limit = segment === w.segment ? w.offset - offset : READ_AHEAD;
    const want = Math.max(need, Math.min(READ_AHEAD, limit));
    const fd = this.readFd(segment);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, ra.buf, got, want - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    if (got < need) { ra.length = 0; throw new Error(`short read at ${segName(segment)}:${offset} in ${this.dir}`); }
    ra.segment = segment; ra.start = offset; ra.length = got;
  }

  private readFd(segment: number): number {
    let fd = this.readFds.get(segment);
    if (fd === undefined) { fd = openSync(join(this.dir, segName(segment)), 'r'); this.readFds.set(segment, fd); }
    return fd;
  }

  /** Reads `length` raw bytes of a written segment. */
  readFile(segment: number, offset: number, length: number): Buffer {
    const fd = this.readFd(segment);
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) throw new Error(`short read at ${segName(segment)}:${offset} in ${this.dir}`);
      got += n;
    }
    return buf;
  }

  /** Whether the bytes up to (segment, end) are in the file, so readFile() may be used for them. */
  isWritten(segment: number, end: number): boolean {
    const w = this.written;
    return segment < w.segment || (segment === w.segment && end <= w.offset);
  }

  private readQueued(segment: number, offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    let seg = this.inflightAt.segment, off = this.inflightAt.offset;
    const scan = (list: (Buffer | number)[]) => {
      for (const b of list) {
        if (got === length) return;
        if (typeof b === 'number') { seg = b; off = 0; continue; }
        if (seg === segment && off + b.length > offset + got && off < offset + length) {
          const from = offset + got - off;
          got += b.copy(out, got, from, Math.min(b.length, from + length - got));
        }
        off += b.length;
      }
    };
    scan(this.inflight);
    scan(this.pending);
    if (got !== length) throw new Error(`record ${segName(segment)}:${offset} is neither written nor queued in ${this.dir}`);
    return out;
  }

  /** Deletes a segment that holds nothing live (never the one being appended to). */
  remove(segment: number): void {
    if (segment >= this.segment) return;
    const fd = this.readFds.get(segment);
    if (fd !== undefined) { closeSync(fd); this.readFds.delete(segment); }
    if (this.ahead.segment === segment) this.ahead.length = 0;
    try { unlinkSync(join(this.dir, segName(segment))); } catch { /* already gone */ }
  }

  /** Waits for queued writes, then closes. */
  async close(): Promise<void> {
    await new Promise<void>((r) => this.sync(() => r()));
    this.closed = true;
    await this.fh?.close();
    this.fh = undefined;
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
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

/**
 * Calls onRecord for each valid record; returns the offset just past the last valid one. Reads the segment in
 * large chunks (one syscall per few MiB, not two per record); payloads handed out are views of the chunk.
 */
class ScanBuffer { buf = Buffer.allocUnsafe(8 * 1024 * 1024); }

function scanSegment(scan: ScanBuffer, fd: number, total: number, onRecord: (offset: number, payload: Buffer) => void,
  readLater?: (type: number) => boolean): number {
  let buf = scan.buf;
  let bufAt = 0, bufLen = 0; // file offset of buf[0], valid bytes in buf
  /** Makes [off, off+len) available in buf; false at end of file. */
  const ensure = (off: number, len: number): boolean => {
    if (off + len > total) return false;
    if (off >= bufAt && off + len <= bufAt + bufLen) return true;
    if (len > buf.length) buf = scan.buf = Buffer.allocUnsafe(len);
    bufAt = off;
    bufLen = 0;
    const want = Math.min(buf.length, total - off);
    while (bufLen < want) {
      const n = readSync(fd, buf, bufLen, want - bufLen, off + bufLen);
      if (n === 0) break;
      bufLen += n;
    }
    return bufLen >= len;
  };
  let off = 0;
  while (ensure(off, HEADER)) {
    const h = off - bufAt;
    const len = buf.readUInt32BE(h), crc = buf.readUInt32BE(h + 4);
    if (len > MAX_RECORD || !ensure(off, HEADER + len)) break;
    const p = off - bufAt + HEADER;
    const payload = buf.subarray(p, p + len);
    if (!(readLater && len > 0 && readLater(payload[0]!)) && (crc32(payload) >>> 0) !== crc) break;
    onRecord(off, payload);
    off += HEADER + len;
  }
  return off;
}
