// The one queue interface channels, routing and management use, whatever the queue type; and the records
// queues and consumers exchange. Implementations: classic (classic-queue.ts); mirrored and quorum later.
import type { FieldTable } from '../amqp/table.js';
import type { Message } from './message.js';
import type { MessageStats } from './stats.js';
import type { PagedList } from './paged-list.js';
import type { Store, StoredRef } from '../store/store.js';

/** A message inside a queue. seq orders the queue; requeued entries return to their seq position. */
export interface Entry {
  msg: Message;
  seq: number;
  redelivered: boolean;
  /** Absolute expiry in ms (clock time), 0 = never. */
  expiresAt: number;
}

/** A consumer as a queue sees it; implemented by the channel. */
export interface QueueConsumer {
  readonly tag: string;
  readonly priority: number;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** Whether prefetch allows one more delivery now. */
  canTake(): boolean;
  deliver(queue: Queue, entry: Entry): void;
  /** The queue went away (deleted): the consumer is gone; notify the client if it supports it. */
  cancelledByQueue(queue: Queue): void;
}

export interface QueueDecl {
  vhost: string;
  name: string;
  durable: boolean;
  autoDelete: boolean;
  /** Owning connection id for exclusive queues. */
  owner: string | undefined;
  args: FieldTable;
}

export type PublishResult = 'ok' | 'rejected';

export interface Queue extends QueueDecl {
  readonly type: string;
  /** Counters: publish (enqueued), deliver/get (+ no-ack), redeliver, ack. */
  readonly stats: MessageStats;
  /** Delivered and not yet acknowledged. */
  readonly unackedCount: number;
  readonly messageCount: number;
  readonly consumerCount: number;
  /** Body bytes of the ready messages, and the single active consumer's tag (management API), if known. */
  readonly messageBytes?: number;
  /** Body bytes of the delivered, unacknowledged messages. */
  readonly unackedBytes?: number;
  /** Ready messages, and their body bytes, held in memory (the rest are paged out to disk). */
  readonly messagesRam?: number;
  readonly messageBytesRam?: number;
  readonly activeConsumerTag?: string | undefined;
  /** Dead-letter exchange and routing key in effect (argument or policy), if any. */
  readonly dlx: string | undefined;
  readonly dlrk: string | undefined;
  publish(msg: Message): PublishResult;
  /** basic.get: the head entry; with noAck false it counts as unacknowledged until settled. */
  get(noAck: boolean): Entry | undefined;
  /** Settled by the client (ack), or delivered with no-ack. */
  settle(entries: Entry[]): void;
  requeue(entries: Entry[]): void;
  /** Rejected without requeue: dead-letter ('rejected') or drop. */
  discard(entries: Entry[]): void;
  /** 403 ACCESS_REFUSED when a new consumer (exclusive or not) may not join the current ones. */
  checkConsume(exclusive: boolean): void;
  addConsumer(c: QueueConsumer): void;
  removeConsumer(c: QueueConsumer): void;
  hasConsumers(): boolean;
  /** A consumer got credit back (acks, qos): deliver what is ready. */
  drain(): void;
  /** Declared, consumed from or polled: resets the x-expires lease. */
  touch(): void;
  purge(): number;
  /** Removes the queue's state and cancels its consumers; returns the number of messages dropped. */
  destroy(): number;
  /** Puts recovered messages back (start-up, before any consumer), in publish order, bodies still on disk. */
  restore(list: PagedList): void;
  /** Policy or arguments changed: recompute effective settings. */
  reconfigure(policy?: Record<string, unknown>): void;
}

/** What a queue needs from its vhost. */
export interface QueueHost {
  now(): number;
  /** Routes a dead-lettered message; the host drops it if the exchange is missing. */
  deadLetter(from: Queue, entries: Entry[], reason: 'rejected' | 'expired' | 'maxlen'): void;
  /** The queue asks to be deleted (auto-delete after the last consumer, or x-expires). */
  requestDelete(q: Queue, why: 'auto-delete' | 'expired'): void;
  /** A stored message left a durable queue for good. */
  release(q: Queue, ref: StoredRef): void;
  /** The node's store, where queues page bodies out to; undefined without one (nothing is paged then). */
  readonly store: Store | undefined;
}
