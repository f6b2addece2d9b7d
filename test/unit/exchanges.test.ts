// Unit tests for the four exchange routers: direct, fanout, topic (trie, checked against a regex reference
// with fast-check) and headers (RabbitMQ 3.10 x-match semantics, Erlang value equality, validation texts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exchangeType, type Router } from '../../src/broker/router.js';
import '../../src/broker/exchanges/index.js';
import { directExchange } from '../../src/broker/exchanges/direct.js';
import { fanoutExchange } from '../../src/broker/exchanges/fanout.js';
import { topicExchange } from '../../src/broker/exchanges/topic.js';
import { headersExchange } from '../../src/broker/exchanges/headers.js';
import { ChannelError } from '../../src/amqp/errors.js';
import { Typed, type FieldTable } from '../../src/amqp/table.js';

function routed<D>(r: Router<D>, key: string, headers?: FieldTable): D[] {
  const out = new Set<D>();
  r.route(key, headers, out);
  return [...out].sort();
}

test('index registers all four types by name', () => {
  assert.equal(exchangeType('direct'), directExchange);
  assert.equal(exchangeType('fanout'), fanoutExchange);
  assert.equal(exchangeType('topic'), topicExchange);
  assert.equal(exchangeType('headers'), headersExchange);
});

test('direct routes on the exact key; bindings are a multiset', () => {
  const r = directExchange.create<string>();
  r.bind('q1', 'a', {}); r.bind('q2', 'a', {}); r.bind('q1', 'b', {});
  r.bind('q3', 'a', { x: 1 }); r.bind('q3', 'a', { x: 2 });
  assert.deepEqual(routed(r, 'a'), ['q1', 'q2', 'q3']);
  assert.deepEqual(routed(r, 'A'), []);
  r.unbind('q3', 'a', { x: 1 });
  assert.deepEqual(routed(r, 'a'), ['q1', 'q2', 'q3']);
  r.unbind('q3', 'a', { x: 2 }); r.unbind('q9', 'a', {}); r.unbind('q1', 'zzz', {});
  assert.deepEqual(routed(r, 'a'), ['q1', 'q2']);
  r.unbind('q1', 'b', {});
  assert.deepEqual(routed(r, 'b'), []);
});

test('fanout routes to every destination until its last binding goes', () => {
  const r = fanoutExchange.create<string>();
  assert.deepEqual(routed(r, 'x'), []);
  r.bind('q1', 'a', {}); r.bind('q1', 'b', {}); r.bind('q2', '', { k: 'v' });
  assert.deepEqual(routed(r, 'anything'), ['q1', 'q2']);
  r.unbind('q1', 'a', {});
  assert.deepEqual(routed(r, ''), ['q1', 'q2']);
  r.unbind('q1', 'b', {}); r.unbind('q1', 'b', {});
  assert.deepEqual(routed(r, ''), ['q2']);
});

/** Reference matcher: one regex per binding, each key word followed by a '.' terminator. */
function refMatch(pattern: string, key: string): boolean {
  const pw = pattern === '' ? [] : pattern.split('.');
  const kw = key === '' ? [] : key.split('.');
  const re = pw.map((w) => (w === '*' ? '[^.]*\\.' : w === '#' ? '(?:[^.]*\\.)*' : w.replace(/[^\w]/g, '\\$&') + '\\.'));
  return new RegExp(`^${re.join('')}$`).test(kw.map((w) => w + '.').join(''));
}

const TOPIC_CASES: [string, string, boolean][] = [
  ['#', '', true], ['#', 'a', true], ['#', 'a.b.c', true], ['#', '..', true],
  ['', '', true], ['', 'a', false], ['', '.', false],
  ['*', '', false], ['*', 'a', true], ['*', 'a.b', false], ['*', '.', false],
  ['a.#', 'a', true], ['a.#', 'a.b.c', true], ['a.#', 'b', false], ['a.#', 'ab', false],
  ['#.a', 'a', true], ['#.a', 'b.c.a', true], ['#.a', 'a.b', false],
  ['*.a', 'a', false], ['*.a', 'b.a', true], ['*.a', '.a', true],
  ['a.*.#', 'a', false], ['a.*.#', 'a.b', true], ['a.*.#', 'a.b.c.d', true],
  ['a..b', 'a..b', true], ['a.*.b', 'a..b', true], ['a..b', 'a.b', false],
  ['a.', 'a.', true], ['a.', 'a', false], ['.', '.', true], ['.', '', false],
  ['#.#.#', '', true], ['#.*', '', false], ['#.*', 'a', true], ['*.#.*', 'a', false], ['*.#.*', 'a.b', true],
  ['a.*', 'a.*', true], ['a.b', 'a.*', false], ['a#', 'a#', true], ['a#', 'ab', false], ['a.#.b', 'a.b', true],
  ['a.#.b', 'a.x.y.b', true], ['a.#.b', 'a.x.y', false], ['#.b.#', 'b', true], ['#.b.#', 'a.c', false],
];

test('topic matches RabbitMQ word semantics ("" is zero words, empty words count)', () => {
  for (const [pattern, key, want] of TOPIC_CASES) {
    const r = topicExchange.create<string>();
    r.bind('q', pattern, {});
    assert.equal(routed(r, key).length === 1, want, `binding ${JSON.stringify(pattern)} key ${JSON.stringify(key)}`);
    assert.equal(refMatch(pattern, key), want, `reference ${pattern} / ${key}`);
  }
});

test('topic bindings are a multiset and the match cache follows bind/unbind', () => {
  const r = topicExchange.create<string>();
  assert.deepEqual(routed(r, 'a.b'), []);
  r.bind('q', 'a.*', { x: 1 }); r.bind('q', 'a.*', { x: 2 }); r.bind('q', '#', {}); r.bind('p', 'a.b', {});
  assert.deepEqual(routed(r, 'a.b'), ['p', 'q']);
  r.unbind('q', '#', {}); r.unbind('q', 'a.*', { x: 1 });
  assert.deepEqual(routed(r, 'a.b'), ['p', 'q']);
  assert.deepEqual(routed(r, 'c'), []);
  r.unbind('q', 'a.*', { x: 2 }); r.unbind('q', 'a.*', {}); r.unbind('q', 'no.such', {});
  assert.deepEqual(routed(r, 'a.b'), ['p']);
  r.unbind('p', 'a.b', {});
  assert.deepEqual(routed(r, 'a.b'), []);
  r.bind('q', 'a.b', {});
  assert.deepEqual(routed(r, 'a.b'), ['q']);
});

test('topic stays correct past the cache bound and adds into the caller\'s set', () => {
  const r = topicExchange.create<number>();
  r.bind(1, '*.x', {}); r.bind(2, 'k.#', {});
  for (let i = 0; i < 3000; i++) {
    assert.deepEqual(routed(r, `${i}.x`), [1]);
    assert.deepEqual(routed(r, `k.${i}.x`), [2]);
  }
  const out = new Set<number>([7]);
  r.route('k.x', undefined, out);
  assert.deepEqual([...out].sort(), [1, 2, 7]);
});

test('topic does not blow up on many #s against long keys', () => {
  const r = topicExchange.create<string>();
  r.bind('miss', Array(20).fill('#').join('.') + '.z', {});
  r.bind('hit', '#.#.#.#.#.#.#.#.a.#.#.#.#', {});
  r.bind('star', Array(40).fill('*.#').join('.'), {});
  const key = Array(120).fill('a').join('.');
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) assert.deepEqual(routed(r, `${key}.${i}`), ['hit', 'star']);
  assert.ok(performance.now() - t0 < 2000, 'route took too long');
});

test('property: trie routing equals the regex reference, across binds and unbinds', () => {
  const word = fc.constantFrom('a', 'b', '*', '#', '');
  const topic = fc.array(word, { maxLength: 5 }).map((ws) => ws.join('.'));
  const keyWord = fc.constantFrom('a', 'b', '', '*', '#');
  const key = fc.array(keyWord, { maxLength: 5 }).map((ws) => ws.join('.'));
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), topic, fc.boolean()), { minLength: 1, maxLength: 8 }),
    fc.array(key, { minLength: 1, maxLength: 10 }),
    (bindings, keys) => {
      const r = topicExchange.create<number>();
      const live: [number, string][] = [];
      for (const [d, p] of bindings) r.bind(d, p, { n: live.length }), live.push([d, p]);
      for (const k of keys) routed(r, k); // warm the cache so unbinds must invalidate it
      for (let i = bindings.length - 1; i >= 0; i--) {
        if (bindings[i]![2]) { r.unbind(live[i]![0], live[i]![1], { n: i }); live.splice(i, 1); }
      }
      for (const k of keys) {
        const want = [...new Set(live.filter(([, p]) => refMatch(p, k)).map(([d]) => d))].sort();
        assert.deepEqual(routed(r, k), want, `key ${JSON.stringify(k)}`);
        assert.deepEqual(routed(r, k), want, `cached key ${JSON.stringify(k)}`);
      }
    }), { numRuns: 500 });
});

function hmatch(args: FieldTable, headers: FieldTable | undefined): boolean {
  const r = headersExchange.create<string>();
  r.validate!('', args);
  r.bind('q', '', args);
  return routed(r, 'ignored', headers).length === 1;
}

test('headers validate: x-match values and RabbitMQ error texts', () => {
  const r = headersExchange.create<string>();
  for (const m of ['all', 'any', 'all-with-x', 'any-with-x']) r.validate!('', { 'x-match': m });
  r.validate!('', {}); r.validate!('', { a: 1 });
  const bad = (args: FieldTable, text: string): void => assert.throws(() => r.validate!('', args),
    (e: unknown) => e instanceof ChannelError && e.code === 406 && e.message === text);
  bad({ 'x-match': 'foo' }, 'Invalid x-match field value <<"foo">>; expected all, any, all-with-x, or any-with-x');
  bad({ 'x-match': 'ALL' }, 'Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x');
  bad({ 'x-match': '' }, 'Invalid x-match field value <<>>; expected all, any, all-with-x, or any-with-x');
  bad({ 'x-match': 1 }, 'Invalid x-match field type signedint (value 1); expected longstr');
  bad({ 'x-match': Buffer.from('any') }, 'Invalid x-match field type binary (value <<"any">>); expected longstr');
  bad({ 'x-match': null }, 'Invalid x-match field type void (value undefined); expected longstr');
  bad({ 'x-match': true }, 'Invalid x-match field type bool (value true); expected longstr');
});

test('headers all (default) and any', () => {
  assert.equal(hmatch({ a: 1, b: 'x' }, { a: 1, b: 'x', c: 3 }), true);
  assert.equal(hmatch({ 'x-match': 'all', a: 1, b: 'x' }, { a: 1 }), false);
  assert.equal(hmatch({ a: 1 }, { a: 2 }), false);
  assert.equal(hmatch({ a: 1 }, undefined), false);
  assert.equal(hmatch({}, undefined), true);
  assert.equal(hmatch({ 'x-match': 'all' }, {}), true);
  assert.equal(hmatch({ 'x-match': 'any', a: 1, b: 2 }, { b: 2 }), true);
  assert.equal(hmatch({ 'x-match': 'any', a: 1, b: 2 }, { a: 2, c: 1 }), false);
  assert.equal(hmatch({ 'x-match': 'any', a: 1 }, undefined), false);
  assert.equal(hmatch({ 'x-match': 'any' }, { a: 1 }), false);
  assert.equal(hmatch({ 'x-match': 'any' }, undefined), false);
});

test('headers x- arguments are ignored unless x-match is *-with-x', () => {
  assert.equal(hmatch({ 'x-foo': 'bar' }, {}), true);
  assert.equal(hmatch({ 'x-match': 'any', 'x-foo': 'bar' }, { 'x-foo': 'bar' }), false);
  assert.equal(hmatch({ 'x-match': 'all', 'x-foo': 'bar', a: 1 }, { a: 1 }), true);
  assert.equal(hmatch({ 'X-Foo': 'bar' }, {}), false); // the prefix test is case-sensitive
  assert.equal(hmatch({ 'x-match': 'all-with-x', 'x-foo': 'bar' }, { 'x-foo': 'bar' }), true);
  assert.equal(hmatch({ 'x-match': 'all-with-x', 'x-foo': 'bar' }, {}), false);
  assert.equal(hmatch({ 'x-match': 'all-with-x' }, undefined), true); // x-match itself is never compared
  assert.equal(hmatch({ 'x-match': 'any-with-x', 'x-first-death-reason': 'expired', a: 1 },
    { 'x-first-death-reason': 'expired' }), true);
  assert.equal(hmatch({ 'x-match': 'any-with-x' }, { 'x-match': 'any-with-x' }), false);
});

test('headers void binding value means "present with any value"', () => {
  assert.equal(hmatch({ a: null }, { a: 'anything' }), true);
  assert.equal(hmatch({ a: null }, { a: null }), true);
  assert.equal(hmatch({ a: null }, { b: 1 }), false);
  assert.equal(hmatch({ a: 1 }, { a: null }), false);
  assert.equal(hmatch({ 'x-match': 'any', a: null, b: 1 }, { a: 0 }), true);
});

test('headers compare values as Erlang == does', () => {
  assert.equal(hmatch({ a: 1 }, { a: '1' }), false);
  assert.equal(hmatch({ a: 1 }, { a: 1n }), true);
  assert.equal(hmatch({ a: 1 }, { a: new Typed('f', 1) }), true); // 1 == 1.0
  assert.equal(hmatch({ a: 5 }, { a: new Typed('T', 5) }), true);
  assert.equal(hmatch({ a: 1 }, { a: true }), false);
  assert.equal(hmatch({ a: true }, { a: true }), true);
  assert.equal(hmatch({ a: 'abc' }, { a: Buffer.from('abc') }), true); // longstr and bytes are both binaries
  assert.equal(hmatch({ a: Buffer.from([1, 2]) }, { a: Buffer.from([1, 2]) }), true);
  assert.equal(hmatch({ a: Buffer.from([1, 2]) }, { a: Buffer.from([1, 3]) }), false);
  assert.equal(hmatch({ a: new Typed('D', { scale: 1, value: 10 }) }, { a: new Typed('D', { scale: 1, value: 10 }) }), true);
  assert.equal(hmatch({ a: new Typed('D', { scale: 0, value: 1 }) }, { a: new Typed('D', { scale: 1, value: 10 }) }), false);
  assert.equal(hmatch({ a: new Typed('D', { scale: 0, value: 1 }) }, { a: 1 }), false);
  assert.equal(hmatch({ a: ['x', 1] }, { a: ['x', 1] }), true);
  assert.equal(hmatch({ a: ['x'] }, { a: [Buffer.from('x')] }), false); // types count inside arrays
  assert.equal(hmatch({ a: ['x', 1] }, { a: ['x'] }), false);
  assert.equal(hmatch({ a: { b: 1, c: [true] } }, { a: { b: 1, c: [true] } }), true);
  assert.equal(hmatch({ a: { b: 1 } }, { a: { b: 2 } }), false);
});

test('headers bindings are a multiset keyed by destination and arguments', () => {
  const r = headersExchange.create<string>();
  r.bind('q', '', { a: 1 }); r.bind('q', '', { a: 2 }); r.bind('q', 'k1', { b: 1 }); r.bind('q', 'k2', { b: 1 });
  r.bind('p', '', { 'x-match': 'any', a: 1, b: 1 });
  assert.deepEqual(routed(r, '', { a: 1, b: 1 }), ['p', 'q']);
  r.unbind('q', '', { a: 1 });
  assert.deepEqual(routed(r, '', { a: 1 }), ['p']);
  assert.deepEqual(routed(r, '', { a: 2 }), ['q']);
  r.unbind('q', 'k1', { b: 1 });
  assert.deepEqual(routed(r, '', { b: 1 }), ['p', 'q']);
  r.unbind('q', 'k2', { b: 1 }); r.unbind('q', 'k2', { b: 1 });
  assert.deepEqual(routed(r, '', { b: 1 }), ['p']);
  r.unbind('p', '', { b: 1, a: 1, 'x-match': 'any' }); // argument order does not matter
  assert.deepEqual(routed(r, '', { a: 1, b: 1 }), []);
  assert.deepEqual(routed(r, '', { a: 2 }), ['q']);
});
