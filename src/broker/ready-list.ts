// Ready messages of one queue, in delivery order: one deque, or one per priority level for x-max-priority
// queues (highest level first, FIFO within a level). Requeued entries go back to their original position.
import { Deque } from './deque.js';
import type { Entry } from './queue.js';

export class ReadyList {
  private levels: Deque<Entry>[];
  length = 0;
  bytes = 0;

  /** maxPriority 0 means no priorities. */
  constructor(readonly maxPriority: number) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => new Deque<Entry>());
  }

  private level(e: Entry): Deque<Entry> {
    return this.levels[this.maxPriority === 0 ? 0 : Math.min(e.msg.priority, this.maxPriority)]!;
  }

  /** Set once any entry with an expiry was added: until then expiry checks cost nothing. */
  mayExpire = false;

  push(e: Entry): void {
    this.level(e).push(e); this.length++; this.bytes += e.msg.body.length;
    if (e.expiresAt) this.mayExpire = true;
  }

  /** Puts an entry back where its sequence number says it belongs (usually the head). */
  requeue(e: Entry): void {
    const d = this.level(e);
    this.length++;
    this.bytes += e.msg.body.length;
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

  peek(): Entry | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const d = this.levels[p]!;
      if (d.length) return d.peek();
    }
    return undefined;
  }

  shift(): Entry | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const d = this.levels[p]!;
      if (d.length) { const e = d.shift()!; this.length--; this.bytes -= e.msg.body.length; return e; }
    }
    return undefined;
  }

  /** The oldest entry across levels (for drop-head, which RabbitMQ applies to the head of the queue). */
  shiftOldest(): Entry | undefined { return this.shift(); }

  clear(): Entry[] {
    const out: Entry[] = [];
    for (let p = this.levels.length - 1; p >= 0; p--) out.push(...this.levels[p]!.clear());
    this.length = 0;
    this.bytes = 0;
    return out;
  }

  /** The earliest expiry among level heads (expiry is checked at heads only, as RabbitMQ does). */
  headExpiries(): Entry[] {
    const out: Entry[] = [];
    for (const d of this.levels) { const h = d.peek(); if (h && h.expiresAt) out.push(h); }
    return out;
  }

  /** Removes expired entries at each level's head. */
  expireHeads(now: number, onExpired: (e: Entry) => void): void {
    for (const d of this.levels) {
      for (let h = d.peek(); h && h.expiresAt && h.expiresAt <= now; h = d.peek()) {
        d.shift(); this.length--; this.bytes -= h.msg.body.length;
        onExpired(h);
      }
    }
  }
}
