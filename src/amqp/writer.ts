// Outgoing bytes for one connection. Frames are appended to a large chunk; the region already handed to the
// socket is never written again, so flushing needs no copy. Large bodies are queued as their own slices.
import { writeTable, tableSize, type FieldTable } from './table.js';

const CHUNK = 64 * 1024;
/**
 * A quiet connection (handshake, heartbeats, the odd method) writes from a small chunk carved from Node's
 * shared buffer pool (under 4 KiB) instead of a 64 KiB allocation of its own: 10,000 idle connections, or
 * 1,000 opened and closed per second, then cost the allocator and the GC's external-memory accounting little.
 * The first turn that needs more moves to CHUNK-sized chunks.
 */
const SMALL = 2048;
/** Bodies at least this large are not copied into the chunk but written as their own slice. */
const SLICE_BODY = 4096;

export const FrameType = { Method: 1, Header: 2, Body: 3, Heartbeat: 8 } as const;
export const FRAME_END = 0xce;

export class Writer {
  buf = Buffer.allocUnsafe(SMALL);
  pos = 0;
  /** Start of the bytes not yet handed out by take(). */
  private mark = 0;
  private ready: Buffer[] = [];
  private frameStart = 0;

  get pending(): number {
    let n = this.pos - this.mark;
    for (const b of this.ready) n += b.length;
    return n;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Completed frames stay where they are; a frame in progress moves to the new chunk.
    if (this.frameStart > this.mark) this.ready.push(this.buf.subarray(this.mark, this.frameStart));
    const carry = this.pos - this.frameStart;
    const fresh = Buffer.allocUnsafe(Math.max(CHUNK, carry + n));
    this.buf.copy(fresh, 0, this.frameStart, this.pos);
    this.buf = fresh;
    this.pos = carry;
    this.frameStart = 0;
    this.mark = 0;
  }

  u8(v: number): void { this.ensure(1); this.buf[this.pos++] = v; }
  u16(v: number): void { this.ensure(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; }
  u32(v: number): void { this.ensure(4); this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000), this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }
  shortstr(s: string): void {
    this.ensure(1 + 255 * 3);
    const buf = this.buf, len = s.length;
    // Names and keys are short and nearly always ASCII: a loop beats a native utf8 write for them.
    if (len <= 32) {
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[this.pos + 1 + i] = c;
      }
      if (i === len) { buf[this.pos] = len; this.pos += 1 + len; return; }
    }
    const n = buf.write(s, this.pos + 1, 255, 'utf8');
    buf[this.pos] = n;
    this.pos += 1 + n;
  }
  longstr(s: string | Buffer): void {
    const n = typeof s === 'string' ? Buffer.byteLength(s) : s.length;
    this.ensure(4 + n);
    this.buf.writeUInt32BE(n, this.pos);
    if (typeof s === 'string') this.buf.write(s, this.pos + 4, 'utf8'); else s.copy(this.buf, this.pos + 4);
    this.pos += 4 + n;
  }
  bytes(b: Buffer): void { this.ensure(b.length); b.copy(this.buf, this.pos); this.pos += b.length; }
  table(t: FieldTable | undefined): void {
    const n = t ? tableSize(t) : 0;
    this.ensure(4 + n);
    this.buf.writeUInt32BE(n, this.pos);
    this.pos += 4;
    if (t) this.pos = writeTable(this.buf, this.pos, t);
  }

  /** Begins a frame; the payload is written next, then endFrame(). */
  beginFrame(type: number, channel: number): void {
    this.ensure(7);
    this.frameStart = this.pos;
    this.buf[this.pos] = type;
    this.buf.writeUInt16BE(channel, this.pos + 1);
    this.pos += 7;
  }
  endFrame(): void {
    this.ensure(1);
    this.buf.writeUInt32BE(this.pos - this.frameStart - 7, this.frameStart + 3);
    this.buf[this.pos++] = FRAME_END;
    this.frameStart = this.pos;
  }

  heartbeat(): void {
    this.beginFrame(FrameType.Heartbeat, 0);
    this.endFrame();
  }

  /** Body frames for `body`, split at frameMax; large pieces are queued as slices, not copied. */
  body(channel: number, body: Buffer, frameMax: number): void {
    const max = frameMax - 8;
    for (let off = 0; off < body.length; off += max) {
      const piece = body.subarray(off, Math.min(body.length, off + max));
      if (piece.length < SLICE_BODY) {
        this.beginFrame(FrameType.Body, channel);
        this.bytes(piece);
        this.endFrame();
        continue;
      }
      this.ensure(8);
      this.buf[this.pos] = FrameType.Body;
      this.buf.writeUInt16BE(channel, this.pos + 1);
      this.buf.writeUInt32BE(piece.length, this.pos + 3);
      this.pos += 7;
      this.ready.push(this.buf.subarray(this.mark, this.pos), piece);
      this.buf[this.pos++] = FRAME_END;
      this.mark = this.pos - 1;
      this.frameStart = this.pos;
    }
  }

  /** Hands out everything written so far, in order. */
  take(): Buffer[] {
    const taken = this.pos - this.mark;
    if (taken > 0) this.ready.push(this.buf.subarray(this.mark, this.pos));
    this.mark = this.pos;
    this.frameStart = this.pos;
    if (this.buf.length - this.pos < 1024) {
      // A turn that wrote little keeps the connection on small chunks.
      this.buf = Buffer.allocUnsafe(taken < SMALL / 2 && this.ready.length <= 1 ? SMALL : CHUNK);
      this.pos = this.mark = this.frameStart = 0;
    }
    const out = this.ready;
    this.ready = [];
    return out;
  }
}
