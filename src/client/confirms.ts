// Publisher-confirm bookkeeping for one channel: publish sequence numbers, the set still unconfirmed, and
// who to tell when basic.ack / basic.nack settles them. A broker may confirm many at once (multiple=true) and
// out of order across queues, so the unconfirmed set is an insertion-ordered Map (ascending sequence numbers):
// a multiple ack removes from its front, a single ack removes one entry.
// Waiters are stored only for publishes that asked for a promise; the hot path (callback) stores a 0.

export class ConfirmNackError extends Error {
  constructor(readonly seq: number) { super(`message ${seq} was nacked by the broker`); this.name = 'ConfirmNackError'; }
}

interface Waiter { resolve: () => void; reject: (e: Error) => void }

/** Called once per basic.ack / basic.nack frame with how many publishes it settled. */
export type ConfirmListener = (ack: boolean, count: number, deliveryTag: number, multiple: boolean) => void;

export class ConfirmTracker {
  private next = 1;
  private readonly pending = new Map<number, Waiter | 0>();
  listener: ConfirmListener | undefined;

  /** Publishes sent and not yet settled. */
  get unconfirmed(): number { return this.pending.size; }
  /** The sequence number the next publish will get. */
  get nextSeq(): number { return this.next; }

  /** Registers the next publish; returns its sequence number. */
  track(): number {
    const seq = this.next++;
    this.pending.set(seq, 0);
    return seq;
  }

  /** Registers the next publish with a promise settled by its ack (resolve) or nack (reject). */
  trackPromise(): Promise<void> {
    const seq = this.next++;
    return new Promise<void>((resolve, reject) => { this.pending.set(seq, { resolve, reject }); });
  }

  /** Applies a basic.ack (ack=true) or basic.nack from the broker. */
  settle(ack: boolean, tag: number, multiple: boolean): void {
    let count = 0;
    if (multiple) {
      for (const [seq, w] of this.pending) {
        if (seq > tag) break;
        this.pending.delete(seq);
        count++;
        if (w) ack ? w.resolve() : w.reject(new ConfirmNackError(seq));
      }
    } else {
      const w = this.pending.get(tag);
      if (w !== undefined) {
        this.pending.delete(tag);
        count = 1;
        if (w) ack ? w.resolve() : w.reject(new ConfirmNackError(tag));
      }
    }
    this.listener?.(ack, count, tag, multiple);
  }

  /** Rejects everything still unconfirmed (the channel or connection closed). */
  failAll(err: Error): void {
    for (const w of this.pending.values()) if (w) w.reject(err);
    this.pending.clear();
  }
}
