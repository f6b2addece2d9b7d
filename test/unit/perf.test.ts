// Unit tests for warren-perf's pure parts: the log-bucket histogram (bucket bounds, percentiles, merge), the
// option parser (PerfTest names, queue patterns, queue arguments, errors) and how work is split over workers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, Histogram, bucketOf, bucketTop } from '../../src/perf/histogram.js';
import { parseOptions, parseQueueArgs, type PerfOptions } from '../../src/perf/options.js';
import { split } from '../../src/perf/run.js';
import { producerTarget } from '../../src/perf/group.js';

describe('perf histogram', () => {
  it('every value lands in a bucket whose top is within 1/32 above it', () => {
    for (const v of [0, 1, 63, 64, 65, 66, 100, 1000, 12345, 1e6, 2 ** 31, 2 ** 32 - 1]) {
      const i = bucketOf(v);
      assert.ok(i >= 0 && i < BUCKETS, `bucket of ${v}`);
      assert.ok(bucketTop(i) >= v, `top of ${v}`);
      assert.ok(bucketTop(i) <= v + Math.max(1, v / 32), `precision at ${v}`);
      if (i > 0) assert.ok(bucketTop(i - 1) < v, `previous bucket ends below ${v}`);
    }
    assert.equal(bucketOf(2 ** 40), BUCKETS - 1);
  });

  it('percentiles, min, max, merge, reset', () => {
    const h = new Histogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    assert.equal(h.count, 1000);
    assert.equal(h.min, 1);
    assert.equal(h.max, 1000);
    for (const [p, exact] of [[50, 500], [75, 750], [95, 950], [99, 990], [99.9, 999]] as const) {
      const got = h.percentile(p);
      assert.ok(got >= exact && got <= exact * (1 + 1 / 32), `p${p} = ${got}`);
    }
    assert.equal(h.percentile(100), 1000);
    const g = new Histogram();
    g.record(5000);
    h.merge(g);
    assert.equal(h.count, 1001);
    assert.equal(h.max, 5000);
    h.reset();
    assert.equal(h.count, 0);
    assert.equal(h.percentile(50), 0);
  });
});

describe('perf options', () => {
  it('PerfTest names and defaults', () => {
    const o = parseOptions(['-h', 'amqp://x', '-x', '2', '-y', '3', '-s', '1000', '-r', '100', '-c', '50', '--persistent', '-q', '10',
      '--multi-ack-every', '5', '-u', 'q1', '--queue-args', 'x-max-length=10,x-queue-mode=lazy,x-single-active-consumer=true',
      '-e', 'ex', '-t', 'topic', '-k', 'a.b', '-z', '5', '-C', '7', '-D', '8', '--json', '--workers', '2']) as PerfOptions;
    assert.equal(o.uri, 'amqp://x');
    assert.deepEqual([o.producers, o.consumers, o.size, o.rate, o.confirm, o.qos, o.multiAckEvery, o.time, o.pmessages, o.cmessages, o.workers],
      [2, 3, 1000, 100, 50, 10, 5, 5, 7, 8, 2]);
    assert.deepEqual(o.queues, ['q1']);
    assert.deepEqual(o.queueArgs, { 'x-max-length': 10, 'x-queue-mode': 'lazy', 'x-single-active-consumer': true });
    assert.deepEqual([o.exchange, o.type, o.routingKey, o.persistent, o.json, o.autoack], ['ex', 'topic', 'a.b', true, true, false]);
    const d = parseOptions([]) as PerfOptions;
    assert.deepEqual([d.producers, d.consumers, d.size, d.exchange, d.type, d.id], [1, 1, 12, 'direct', 'direct', 'test-1']);
    assert.match(d.routingKey, /^[0-9a-f-]{36}$/);
    assert.equal((parseOptions(['-s', '2']) as PerfOptions).size, 8, 'room for the timestamp');
    assert.equal(parseOptions(['--help']), 'help');
  });

  it('queue patterns give each producer its own queue', () => {
    const o = parseOptions(['--queue-pattern', 'perf-%d', '--queue-pattern-from', '1', '--queue-pattern-to', '3', '-x', '4']) as PerfOptions;
    assert.deepEqual(o.queues, ['perf-1', 'perf-2', 'perf-3']);
    assert.deepEqual([0, 1, 2, 3].map((i) => producerTarget(o, i).routingKey), ['perf-1', 'perf-2', 'perf-3', 'perf-1']);
    const single = parseOptions(['-u', 'q', '-e', '']) as PerfOptions;
    assert.deepEqual(producerTarget(single, 0), { exchange: '', routingKey: 'q' });
  });

  it('errors name the option', () => {
    assert.throws(() => parseOptions(['-x', '-1']), /--producers/);
    assert.throws(() => parseOptions(['-t', 'headers']), /--type/);
    assert.throws(() => parseOptions(['--queue-pattern', 'nope']), /%d/);
    assert.throws(() => parseOptions(['-u', 'a', '--queue-pattern', 'b-%d']), /exclude/);
    assert.throws(() => parseOptions(['--bogus']), /bogus/);
    assert.throws(() => parseQueueArgs('novalue'), /key=value/);
  });

  it('split deals producers and consumers round-robin over workers', () => {
    const o = parseOptions(['-x', '3', '-y', '2']) as PerfOptions;
    assert.deepEqual(split(o, 2), [{ p: [0, 2], c: [1] }, { p: [1], c: [0] }]);
    const one = parseOptions(['-x', '1', '-y', '1']) as PerfOptions;
    assert.deepEqual(split(one, 2), [{ p: [0], c: [] }, { p: [], c: [0] }], 'producer and consumer on different threads');
    assert.deepEqual(split(o, 1), [{ p: [0, 1, 2], c: [0, 1] }]);
  });
});
