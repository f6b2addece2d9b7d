// Ready messages of one queue, in delivery order: one level, or one per priority level for x-max-priority
// queues (highest level first, FIFO within a level). Requeued entries go back to their original position.
// Each level is a head of entries in memory followed by paged-out entries (bodies on disk, see paged-list.ts):
// once anything is paged, later arrivals are paged too, so memory always holds the oldest messages and order
// is kept. Bodies are paged out when the queue's in-memory window is full, or always for lazy queues, and
// read back a batch at a time when the head runs dry.
import { Deque } from './deque.js';
import { PagedList, pagedEntry, type PagedEntry } from './paged-list.js';
import type { Entry } from './queue.js';

/** How entries reach the disk and come back; provided by the queue (it knows the store and its durability). */
export interface PageIO {
  /**
   * Describes the entry's body on disk in `into` (writing it to the page file if it is not in the WAL);
   * false if it cannot go to disk (the page file failed, e.g. a full disk): it stays in memory then.
   */
  out(e: Entry, into: PagedEntry): boolean;
  /** Reads a paged entry back; undefined if its record is unreadable (logged and released by the queue). */
  in(p: PagedEntry): Entry | undefined;
  /** A paged entry leaves without being read (purge, delete): release what holds its body. */
  drop(p: PagedEntry): void;
}

/** Paging limits: at most this many messages, or bytes of bodies, of a non-lazy queue stay in memory. */
export const MEMORY_WINDOW = Number(process.env.WARREN_QUEUE_MEMORY_WINDOW) || 2048;
const MEMORY_WINDOW_BYTES = 16 * 1024 * 1024;
/** Messages read back per page-in (bounded by bytes too, for big bodies). */
const PAGE_IN_BATCH = 256;
const PAGE_IN_BYTES = 4 * 1024 * 1024;

interface Level { mem: Deque<Entry>; paged: PagedList }

export class ReadyList {
  private levels: Level[];
  length = 0;
  bytes = 0;
  /** Entries, and their body bytes, held in memory. */
  memLength = 0;
  memBytes = 0;
  /** Lazy: every message that waits is paged out. */
  lazy = false;
  private readonly scratch = pagedEntry();

  /** maxPriority 0 means no priorities; without io nothing is paged (no store). */
  constructor(readonly maxPriority: number, private readonly io?: PageIO) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => ({ mem: new Deque<Entry>(), paged: new PagedList() }));
  }

  private levelOf(priority: number): Level {
    return this.levels[this.maxPriority === 0 ? 0 : Math.min(priority, this.maxPriority)]!;
  }

  /** Set once any entry with an expiry was added: until then expiry checks cost nothing. */
  mayExpire = false;

  /** Entries held on disk rather than in memory. */
  get pagedLength(): number { return this.length - this.memLength; }

  push(e: Entry): void {
    const l = this.levelOf(e.msg.priority);
    const size = e.msg.body.length;
    this.length++; this.bytes += size;
    if (e.expiresAt) this.mayExpire = true;
    // If the page file has failed (full disk) the message stays in memory: kept, though possibly delivered
    // ahead of older paged ones, rather than lost.
    if (this.io && (l.paged.length > 0 || this.lazy || this.memLength >= MEMORY_WINDOW || this.memBytes + size > MEMORY_WINDOW_BYTES) &&
      this.io.out(e, this.scratch)) {
      l.paged.push(this.scratch);
      return;
    }
    l.mem.push(e); this.memLength++; this.memBytes += size;
  }

  /** Adds an entry that is already on disk (recovery). */
  pushPaged(p: PagedEntry, priority: number): void {
    this.levelOf(priority).paged.push(p);
    this.length++; this.bytes += p.size;
    if (p.exp) this.mayExpire = true;
  }

  /** Puts an entry back where its sequence number says it belongs (usually the head). */
  requeue(e: Entry): void {
    // Paged entries are always newer than those in memory, so a requeued one belongs in memory.
    const d = this.levelOf(e.msg.priority).mem;
    const size = e.msg.body.length;
    this.length++; this.bytes += size; this.memLength++; this.memBytes += size;
    if (e.expiresAt) this.mayExpire = true;
    const head = d.peek();
    if (!head || head.seq > e.seq) { d.unshift(e); return; }
    // Rare: merge into the middle (an earlier requeue put older entries in front).
    const all = d.clear();
    let i = 0;
    while (i < all.length && all[i]!.seq < e.seq) i++;
    all.splice(i, 0, e);
    for (const x of all) d.push(x);
  }

  /** The highest non-empty level, with its memory head filled from disk if it ran dry. */
  private front(): Level | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const l = this.levels[p]!;
      if (l.mem.length) return l;
      while (l.paged.length && !l.mem.length) this.pageIn(l);
      if (l.mem.length) return l;
    }
    return undefined;
  }

  private pageIn(l: Level): void {
    const io = this.io!;
    let n = 0, bytes = 0;
    while (n < PAGE_IN_BATCH && bytes < PAGE_IN_BYTES && l.paged.shift(this.scratch)) {
      const e = io.in(this.scratch);
      if (!e) { this.length--; this.bytes -= this.scratch.size; continue; }
      l.mem.push(e);
      n++; bytes += this.scratch.size;
    }
    this.memLength += n; this.memBytes += bytes;
  }

  peek(): Entry | undefined { return this.front()?.mem.peek(); }

  shift(): Entry | undefined {
    const l = this.front();
    if (!l) return undefined;
    const e = l.mem.shift()!;
    const size = e.msg.body.length;
    this.length--; this.bytes -= size; this.memLength--; this.memBytes -= size;
    return e;
  }

  /** The oldest entry across levels (for drop-head, which RabbitMQ applies to the head of the queue). */
  shiftOldest(): Entry | undefined { return this.shift(); }

  /**
   * Empties the list: entries in memory are handed to onEntry, paged ones are dropped without being read.
   * Returns how many there were.
   */
  clear(onEntry: (e: Entry) => void): number {
    const n = this.length;
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const l = this.levels[p]!;
      for (const e of l.mem.clear()) onEntry(e);
      l.paged.clear((x) => this.io!.drop(x));
    }
    this.length = 0; this.bytes = 0; this.memLength = 0; this.memBytes = 0;
    return n;
  }

  /** The earliest expiry among level heads, 0 for none (expiry is checked at heads only, as RabbitMQ does). */
  nextExpiry(): number {
    let next = 0;
    for (const l of this.levels) {
      const h = l.mem.length ? l.mem.peek()!.expiresAt : l.paged.headExpiry();
      if (h && (!next || h < next)) next = h;
    }
    return next;
  }

  /** Removes expired entries at each level's head. */
  expireHeads(now: number, onExpired: (e: Entry) => void): void {
    for (const l of this.levels) {
      for (;;) {
        const h = l.mem.length ? l.mem.peek()!.expiresAt : l.paged.headExpiry();
        if (!h || h > now) break;
        if (!l.mem.length) { this.pageIn(l); if (!l.mem.length) continue; }
        const e = l.mem.shift()!;
        const size = e.msg.body.length;
        this.length--; this.bytes -= size; this.memLength--; this.memBytes -= size;
        onExpired(e);
      }
    }
  }
}
