// Messages whose bodies are on disk, kept as columns of numbers instead of objects: where the record is (the
// WAL for persistent messages in durable queues, the page file for the rest), its id, the queue's sequence
// number, body size and expiry. 24 bytes per message (32 with expiries), so a queue of a million paged
// messages needs about 24 MB, not the gigabyte its bodies and object graphs would take. Sequence numbers and
// ids ascend within a queue, so a chunk stores them as 32-bit offsets from its first one (full 64-bit
// columns are allocated for a chunk only if a value does not fit).
// A FIFO of fixed-size chunks: push at the tail, shift at the head, no copying as it grows or drains.

const CHUNK = 4096;
/** Set in `seg` for a record in the page file rather than the WAL. */
export const PAGE_FILE = 0x80000000;

/**
 * A column of ascending numbers: 32-bit offsets from a base, widened to doubles if one does not fit. With
 * `zeroIsNone`, 0 may appear anywhere (a message without a store id) and is kept as 0.
 */
class Ascending {
  private base = -1;
  private narrow: Uint32Array | undefined = new Uint32Array(CHUNK);
  private wide: Float64Array | undefined;

  constructor(private readonly zeroIsNone = false) {}

  set(i: number, v: number): void {
    if (this.narrow) {
      if (this.zeroIsNone && v === 0) { this.narrow[i] = 0; return; }
      if (this.base < 0) this.base = v;
      const d = v - this.base + 1;
      if (d >= 1 && d <= 0xffffffff) { this.narrow[i] = d; return; }
      this.wide = new Float64Array(CHUNK);
      for (let k = 0; k < i; k++) this.wide[k] = this.get(k);
      this.narrow = undefined;
    }
    this.wide![i] = v;
  }

  get(i: number): number {
    if (!this.narrow) return this.wide![i]!;
    const n = this.narrow[i]!;
    return this.zeroIsNone && n === 0 ? 0 : this.base + n - 1;
  }
}

class Chunk {
  readonly seq = new Ascending();
  /** Store ids (0: none, a page-file record). */
  readonly id = new Ascending(true);
  /** WAL or page-file segment number, PAGE_FILE bit for the latter. */
  readonly seg = new Uint32Array(CHUNK);
  readonly off = new Uint32Array(CHUNK);
  /** Record payload length (0 marks an entry removed in place, see remove()). */
  readonly len = new Uint32Array(CHUNK);
  readonly size = new Uint32Array(CHUNK);
  /** Expiry (absolute ms) or, in recovery lists, the message's own TTL; allocated when first used. */
  exp: Float64Array | undefined;
  prio: Uint8Array | undefined;
}

/** One paged message, as read from or written to a PagedList (a reusable cursor, not kept). */
export interface PagedEntry {
  seq: number;
  id: number;
  seg: number;
  off: number;
  len: number;
  size: number;
  exp: number;
  prio: number;
}

export function pagedEntry(): PagedEntry { return { seq: 0, id: 0, seg: 0, off: 0, len: 0, size: 0, exp: 0, prio: 0 }; }

export class PagedList {
  private chunks: Chunk[] = [];
  /** Index of the head within chunks[0], and of the next free slot in the last chunk. */
  private head = 0;
  private tail = CHUNK;
  length = 0;
  /** Sum of body sizes. */
  bytes = 0;

  push(e: PagedEntry): void {
    if (this.tail === CHUNK) { this.chunks.push(new Chunk()); this.tail = 0; }
    const c = this.chunks[this.chunks.length - 1]!, i = this.tail++;
    c.seq.set(i, e.seq); c.id.set(i, e.id); c.seg[i] = e.seg; c.off[i] = e.off; c.len[i] = e.len; c.size[i] = e.size;
    if (e.exp) (c.exp ??= new Float64Array(CHUNK))[i] = e.exp; else if (c.exp) c.exp[i] = 0;
    if (e.prio) (c.prio ??= new Uint8Array(CHUNK))[i] = e.prio; else if (c.prio) c.prio[i] = 0;
    this.length++;
    this.bytes += e.size;
  }

  /** The head entry's expiry (0 = none, or empty). */
  headExpiry(): number {
    if (this.length === 0) return 0;
    this.skipRemoved();
    return this.chunks[0]!.exp?.[this.head] ?? 0;
  }

  /** Copies the head entry into `out` and removes it; false when empty. */
  shift(out: PagedEntry): boolean {
    if (this.length === 0) return false;
    this.skipRemoved();
    this.read(this.chunks[0]!, this.head, out);
    this.advance();
    this.length--;
    this.bytes -= out.size;
    return true;
  }

  /** Visits every entry in order (head first); `remove` marks the visited entry removed. */
  forEach(fn: (e: PagedEntry, remove: () => void) => void): void {
    const e = pagedEntry();
    let i = 0;
    for (const c of this.chunks) {
      const from = i === 0 ? this.head : 0, to = i === this.chunks.length - 1 ? this.tail : CHUNK;
      for (let k = from; k < to; k++) {
        if (c.len[k] === 0) continue;
        this.read(c, k, e);
        fn(e, () => { c.len[k] = 0; this.length--; this.bytes -= e.size; });
      }
      i++;
    }
  }

  /**
   * Finds the entry with this id and marks it removed, in O(log n). Only for lists where every entry has an
   * id and ids ascend from head to tail (recovery lists, built in publish order); removed slots keep their id.
   */
  removeId(id: number): PagedEntry | undefined {
    let lo = 0, hi = this.span() - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const [c, k] = this.at(mid);
      const v = c.id.get(k);
      if (v < id) lo = mid + 1; else if (v > id) hi = mid - 1;
      else {
        if (c.len[k] === 0) return undefined;
        const e = pagedEntry();
        this.read(c, k, e);
        c.len[k] = 0; this.length--; this.bytes -= e.size;
        return e;
      }
    }
    return undefined;
  }

  /** Empties the list, visiting every entry (to release what it holds). */
  clear(fn?: (e: PagedEntry) => void): void {
    if (fn) this.forEach((e) => fn(e));
    this.chunks = []; this.head = 0; this.tail = CHUNK; this.length = 0; this.bytes = 0;
  }

  private read(c: Chunk, k: number, out: PagedEntry): void {
    out.seq = c.seq.get(k); out.id = c.id.get(k); out.seg = c.seg[k]!; out.off = c.off[k]!; out.len = c.len[k]!;
    out.size = c.size[k]!; out.exp = c.exp?.[k] ?? 0; out.prio = c.prio?.[k] ?? 0;
  }

  /** Slots from head to tail, removed ones included. */
  private span(): number { return this.chunks.length === 0 ? 0 : (this.chunks.length - 1) * CHUNK + this.tail - this.head; }

  private at(n: number): [Chunk, number] {
    const p = this.head + n;
    return [this.chunks[Math.floor(p / CHUNK)]!, p % CHUNK];
  }

  private advance(): void {
    this.head++;
    if (this.head === CHUNK || (this.chunks.length === 1 && this.head === this.tail)) {
      this.chunks.shift();
      this.head = 0;
      if (this.chunks.length === 0) this.tail = CHUNK;
    }
  }

  private skipRemoved(): void {
    while (this.chunks.length && this.chunks[0]!.len[this.head] === 0) this.advance();
  }
}
