// Unit tests for the metadata state machine: apply() is deterministic, idempotent and cascades deletions
// (bindings of a deleted queue or exchange, auto-delete exchanges that lose their last binding).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apply, emptyState, type BindingDef, type Change, type Command, type ExchangeDef, type QueueDef } from '../../src/broker/metadata.js';

const ex = (name: string, extra: Partial<ExchangeDef> = {}): ExchangeDef =>
  ({ vhost: '/', name, type: 'direct', durable: true, autoDelete: false, internal: false, args: {}, ...extra });
const q = (name: string): QueueDef => ({ vhost: '/', name, type: 'classic', durable: true, autoDelete: false, owner: undefined, args: {} });
const bind = (source: string, destination: string, key = '', kind: 'queue' | 'exchange' = 'queue'): BindingDef =>
  ({ vhost: '/', source, destination, destinationKind: kind, routingKey: key, args: {} });

function run(cmds: Command[]) {
  const s = emptyState();
  const changes: Change[] = [];
  for (const c of cmds) changes.push(...apply(s, c));
  return { s, changes, types: changes.map((c) => c.type) };
}

const base: Command[] = [{ type: 'vhost.add', def: { name: '/', description: '', tags: [] } }];

describe('metadata apply', () => {
  it('declares are idempotent: the second declare changes nothing', () => {
    const { types } = run([...base, { type: 'queue.declare', def: q('a') }, { type: 'queue.declare', def: q('a') }]);
    assert.deepEqual(types, ['vhost.added', 'queue.added']);
  });

  it('binding identity ignores argument key order', () => {
    const b1 = { ...bind('x', 'a'), args: { p: 1, q: 2 } };
    const b2 = { ...bind('x', 'a'), args: { q: 2, p: 1 } };
    const { s, types } = run([...base, { type: 'exchange.declare', def: ex('x') }, { type: 'queue.declare', def: q('a') },
      { type: 'binding.add', def: b1 }, { type: 'binding.add', def: b2 }]);
    assert.equal(s.vhosts.get('/')!.bindings.size, 1);
    assert.equal(types.filter((t) => t === 'binding.added').length, 1);
  });

  it('deleting a queue removes its bindings first, and an auto-delete exchange that loses its last binding', () => {
    const { s, changes } = run([...base, { type: 'exchange.declare', def: ex('ad', { autoDelete: true }) },
      { type: 'queue.declare', def: q('a') }, { type: 'binding.add', def: bind('ad', 'a') },
      { type: 'queue.delete', vhost: '/', name: 'a' }]);
    const tail = changes.slice(-3).map((c) => c.type);
    assert.deepEqual(tail, ['binding.removed', 'exchange.removed', 'queue.removed']);
    assert.equal(s.vhosts.get('/')!.exchanges.has('ad'), false);
  });

  it('an auto-delete exchange never bound stays', () => {
    const { s } = run([...base, { type: 'exchange.declare', def: ex('ad', { autoDelete: true }) },
      { type: 'queue.declare', def: q('a') }, { type: 'queue.delete', vhost: '/', name: 'a' }]);
    assert.equal(s.vhosts.get('/')!.exchanges.has('ad'), true);
  });

  it('deleting an exchange removes bindings where it is source or destination', () => {
    const { s } = run([...base, { type: 'exchange.declare', def: ex('x') }, { type: 'exchange.declare', def: ex('y') },
      { type: 'queue.declare', def: q('a') }, { type: 'binding.add', def: bind('x', 'y', 'k', 'exchange') },
      { type: 'binding.add', def: bind('y', 'a') }, { type: 'binding.add', def: bind('x', 'a') },
      { type: 'exchange.delete', vhost: '/', name: 'y' }]);
    const keys = [...s.vhosts.get('/')!.bindings.values()].map((b) => `${b.source}->${b.destination}`);
    assert.deepEqual(keys, ['x->a']);
  });

  it('deleting a vhost removes everything in it and its permissions', () => {
    const { s, types } = run([...base, { type: 'queue.declare', def: q('a') },
      { type: 'user.put', def: { name: 'u', passwordHash: 'h', hashingAlgorithm: 'x', tags: [] } },
      { type: 'permission.set', def: { user: 'u', vhost: '/', configure: '.*', write: '.*', read: '.*' } },
      { type: 'vhost.delete', name: '/' }]);
    assert.equal(s.vhosts.size, 0);
    assert.equal(s.permissions.size, 0);
    assert.equal(s.users.size, 1);
    assert.ok(types.includes('queue.removed'));
  });

  it('the same commands give the same state (determinism, the property replication relies on)', () => {
    const cmds: Command[] = [...base, { type: 'exchange.declare', def: ex('x', { type: 'topic' }) },
      { type: 'queue.declare', def: q('a') }, { type: 'queue.declare', def: q('b') },
      { type: 'binding.add', def: bind('x', 'a', 'k.*') }, { type: 'binding.add', def: bind('x', 'b', '#') },
      { type: 'binding.remove', def: bind('x', 'a', 'k.*') }];
    const snap = (r: ReturnType<typeof run>) => JSON.stringify([...r.s.vhosts.get('/')!.bindings.keys()]) + JSON.stringify(r.types);
    assert.equal(snap(run(cmds)), snap(run(cmds)));
  });
});
