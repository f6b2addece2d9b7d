// A consumer on a channel: the QueueConsumer the queue sees, with its own prefetch window.
import type { Entry, Queue, QueueConsumer } from '../broker/queue.js';
import type { Channel } from './channel.js';

export class Consumer implements QueueConsumer {
  unacked = 0;
  constructor(
    readonly channel: Channel,
    readonly tag: string,
    readonly queue: Queue,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    readonly priority: number,
    /** Per-consumer prefetch (basic.qos global=false before consume), 0 = unlimited. */
    readonly prefetch: number,
  ) {}

  canTake(): boolean {
    const ch = this.channel;
    if (!ch.canDeliver()) return false;
    if (this.noAck) return true;
    return (this.prefetch === 0 || this.unacked < this.prefetch) &&
      (ch.globalPrefetch === 0 || ch.unackedCount < ch.globalPrefetch);
  }

  deliver(queue: Queue, entry: Entry): void { this.channel.deliver(this, queue, entry); }

  cancelledByQueue(): void { this.channel.consumerCancelledByQueue(this); }
}
