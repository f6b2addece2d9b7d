// Unit tests for the limits' pure parts: consumer_timeout's watch driven by a fake clock (marks, when it reports,
// when it stops), the limit values' meaning (negative = none, 0 = nothing), and the warren.conf keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AckWatch, ackTimeoutText, type AckHost } from '../../src/server/ack-timeout.js';
import { limitOf } from '../../src/broker/limits.js';
import { ConfigError, parseConf } from '../../src/config/conf.js';

/** A channel stand-in: delivery tags issued, the unacked set, and the timeouts reported. */
class FakeChannel implements AckHost {
  nextDeliveryTag = 1;
  readonly unacked = new Set<number>();
  readonly timedOut: number[] = [];
  deliver(): number { const t = this.nextDeliveryTag++; this.unacked.add(t); return t; }
  oldestUnacked(): number | undefined { return this.unacked.size ? Math.min(...this.unacked) : undefined; }
  ackTimedOut(ms: number): void { this.timedOut.push(ms); }
}

describe('AckWatch (consumer_timeout)', () => {
  function setup(timeout = 1000) {
    let now = 0;
    const ch = new FakeChannel();
    const w = new AckWatch(ch, timeout, () => now);
    return { ch, w, at: (t: number) => { now = t; w.check(); } };
  }

  it('reports once the oldest unacked delivery is at least the timeout old, then stops', () => {
    const { ch, w, at } = setup();
    ch.deliver(); w.delivered();
    at(250); at(500); at(750);
    assert.deepEqual(ch.timedOut, []);
    at(1000);
    assert.deepEqual(ch.timedOut, [1000]);
    assert.equal(w.running, false);
  });

  it('a delivery made after the first is judged by its own age once the first is acked', () => {
    const { ch, w, at } = setup();
    const first = ch.deliver(); w.delivered();
    at(250);
    ch.deliver(); w.delivered(); // already running: no new start mark; made between the 250 and 500 marks
    at(500);
    ch.unacked.delete(first);
    at(1000); at(1250);
    assert.deepEqual(ch.timedOut, [], 'no mark below the second delivery is 1000 ms old yet');
    at(1500);
    assert.deepEqual(ch.timedOut, [1000], 'the 500 ms mark covers it');
  });

  it('stops when nothing is unacked and starts afresh (a new start mark) on the next delivery', () => {
    const { ch, w, at } = setup();
    const t = ch.deliver(); w.delivered();
    at(500);
    ch.unacked.delete(t);
    at(750);
    assert.equal(w.running, false);
    ch.deliver(); w.delivered();
    at(1500);
    assert.deepEqual(ch.timedOut, [], 'judged from 750 ms, not from the old 0 ms mark');
    at(1750);
    assert.deepEqual(ch.timedOut, [1000]);
  });

  it('the close text is RabbitMQ 3.10\'s', () => {
    assert.equal(ackTimeoutText(3, 1800000), 'delivery acknowledgement on channel 3 timed out. Timeout value used: 1800000 ms. ' +
      'This timeout value can be configured, see consumers doc guide to learn more');
  });
});

describe('limit values', () => {
  it('absent or negative means no limit; 0 allows nothing', () => {
    assert.equal(limitOf(undefined, 'max-queues'), undefined);
    assert.equal(limitOf({}, 'max-queues'), undefined);
    assert.equal(limitOf({ 'max-queues': -1 }, 'max-queues'), undefined);
    assert.equal(limitOf({ 'max-queues': 0 }, 'max-queues'), 0);
    assert.equal(limitOf({ 'max-queues': 7 }, 'max-queues'), 7);
  });
});

describe('warren.conf limit keys (3.10 rabbit.schema)', () => {
  it('handshake_timeout and connection_max take an integer or infinity; consumer_timeout a positive integer', () => {
    const c = parseConf('handshake_timeout = 5000\nconnection_max = 100\nconsumer_timeout = 60000\n');
    assert.deepEqual([c.handshakeTimeout, c.connectionMax, c.consumerTimeout], [5000, 100, 60000]);
    const inf = parseConf('handshake_timeout = infinity\nconnection_max = infinity\n');
    assert.deepEqual([inf.handshakeTimeout, inf.connectionMax], [Infinity, Infinity]);
    assert.throws(() => parseConf('consumer_timeout = 0\n'), ConfigError);
    assert.throws(() => parseConf('consumer_timeout = infinity\n'), ConfigError);
    assert.throws(() => parseConf('connection_max = -1\n'), ConfigError);
    assert.throws(() => parseConf('handshake_timeout = soon\n'), ConfigError);
  });
});
