// Bounds-checked reader over a slice of a frame payload. Every read past `end` throws DecodeError, so a
// truncated or lying frame can never read another frame's bytes or crash the broker.
import { DecodeError } from './errors.js';
import { readTable, type FieldTable } from './table.js';

export class Reader {
  constructor(public buf: Buffer, public pos: number, public end: number) {}

  need(n: number): void {
    if (this.pos + n > this.end) throw new DecodeError('frame payload too short');
  }
  u8(): number { this.need(1); return this.buf[this.pos++]!; }
  u16(): number { this.need(2); const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  /** 64-bit unsigned; exact up to 2^53, which delivery tags and body sizes never reach. */
  u64(): number {
    this.need(8);
    const hi = this.buf.readUInt32BE(this.pos), lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }
  shortstr(): string {
    const n = this.u8(); this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s;
  }
  longstr(): string {
    const n = this.u32(); this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s;
  }
  longstrBytes(): Buffer {
    const n = this.u32(); this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b;
  }
  table(): FieldTable {
    const n = this.u32(); this.need(n);
    const t = readTable(this.buf, this.pos, this.pos + n); this.pos += n; return t;
  }
  /** A table's raw bytes (length prefix excluded), for tables read only when a feature needs them. */
  tableRaw(): Buffer {
    const n = this.u32(); this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b;
  }
}
