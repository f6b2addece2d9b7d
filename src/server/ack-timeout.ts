// consumer_timeout: a channel whose oldest unacknowledged delivery (consumer or basic.get) is older than the
// timeout is closed with 406 PRECONDITION_FAILED, as RabbitMQ 3.10's rabbit_channel:evaluate_consumer_timeout;
// closing the channel requeues its unacked messages. Cheap by construction: nothing per delivery but one
// check that the watch is running, no timestamp and no timer per delivery. While the channel has unacked
// deliveries, one coarse timer records marks (time, next delivery tag): a tag below a mark taken at least
// `timeout` ago was delivered at least `timeout` ago. RabbitMQ checks on its channel tick (every 60 s); the
// tick here is a quarter of the timeout, capped at that, so a close comes between 1 and 1.25 timeouts late.

/** The channel as the watch sees it. */
export interface AckHost {
  /** The delivery tag the next delivery will get (every tag below it was issued already). */
  readonly nextDeliveryTag: number;
  /** The lowest unacknowledged delivery tag, or undefined when nothing is unacked. */
  oldestUnacked(): number | undefined;
  /** The oldest unacked delivery is at least timeoutMs old: close the channel. */
  ackTimedOut(timeoutMs: number): void;
}

/** RabbitMQ's channel_tick_interval default: the most a check may lag. */
const MAX_TICK_MS = 60_000;
const MIN_TICK_MS = 10;

/** The text RabbitMQ 3.10 closes the channel with (rabbit_channel.erl, evaluate_consumer_timeout/1). */
export function ackTimeoutText(channel: number, timeoutMs: number): string {
  return `delivery acknowledgement on channel ${channel} timed out. Timeout value used: ${timeoutMs} ms. ` +
    'This timeout value can be configured, see consumers doc guide to learn more';
}

export class AckWatch {
  private timer: NodeJS.Timeout | undefined;
  /** Flat pairs: time (ms), next delivery tag at that time; oldest first. */
  private marks: number[] = [];

  constructor(private readonly host: AckHost, readonly timeoutMs: number, private readonly now: () => number = Date.now) {}

  get running(): boolean { return this.timer !== undefined; }

  /** An ack-requiring delivery was just made: starts watching unless already watching. */
  delivered(): void {
    if (this.timer !== undefined) return;
    this.marks = [this.now(), this.host.nextDeliveryTag];
    const tick = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.floor(this.timeoutMs / 4)));
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.marks = [];
  }

  /** One tick: stops when nothing is unacked, reports a timeout when the oldest unacked is too old. */
  check(): void {
    const oldest = this.host.oldestUnacked();
    if (oldest === undefined) { this.stop(); return; }
    const now = this.now(), m = this.marks;
    m.push(now, this.host.nextDeliveryTag);
    // The newest mark at least timeoutMs old; older marks are no longer needed.
    let i = -1;
    for (let k = 0; k < m.length && m[k]! <= now - this.timeoutMs; k += 2) i = k;
    if (i < 0) return;
    if (i > 0) m.splice(0, i);
    if (oldest < m[1]!) { this.stop(); this.host.ackTimedOut(this.timeoutMs); }
  }
}
