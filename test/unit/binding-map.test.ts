// BindingMap: the source and destination indexes follow set/delete/clear, and the metadata state machine's
// cascades (queue.delete, auto-delete exchanges) give the same changes as the full scans they replace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BindingMap } from '../../src/broker/binding-map.js';
import { apply, bindingKey, emptyState, type BindingDef } from '../../src/broker/metadata.js';

const b = (source: string, destination: string, routingKey: string, destinationKind: 'queue' | 'exchange' = 'queue'): BindingDef =>
  ({ vhost: '/', source, destination, destinationKind, routingKey, args: {} });

describe('BindingMap', () => {
  it('indexes by source and destination through set, delete and clear', () => {
    const m = new BindingMap();
    const x = b('ex', 'q1', 'a'), y = b('ex', 'q2', 'b'), z = b('other', 'q1', 'c');
    for (const d of [x, y, z]) m.set(bindingKey(d), d);
    assert.deepEqual([...m.fromSource('ex').values()], [x, y]);
    assert.deepEqual([...m.toDestination('queue', 'q1').values()], [x, z]);
    assert.equal(m.toDestination('exchange', 'q1').size, 0);
    assert.equal(m.delete(bindingKey(x)), true);
    assert.equal(m.delete(bindingKey(x)), false);
    assert.deepEqual([...m.fromSource('ex').values()], [y]);
    assert.deepEqual([...m.toDestination('queue', 'q1').values()], [z]);
    m.set(bindingKey(z), z); // same key again: still indexed once
    assert.equal(m.toDestination('queue', 'q1').size, 1);
    m.clear();
    assert.equal(m.size, 0);
    assert.equal(m.fromSource('other').size, 0);
  });

  it('queue.delete removes exactly that queue\'s bindings, in the order they were made', () => {
    const s = emptyState();
    apply(s, { type: 'vhost.add', def: { name: '/', description: '', tags: [] } });
    for (const n of ['q1', 'q2']) {
      apply(s, { type: 'queue.declare', def: { vhost: '/', name: n, type: 'classic', durable: false, autoDelete: false, owner: undefined, args: {} } });
    }
    apply(s, { type: 'exchange.declare', def: { vhost: '/', name: 'ad', type: 'direct', durable: false, autoDelete: true, internal: false, args: {} } });
    const defs = [b('ad', 'q1', 'k1'), b('ad', 'q2', 'k2'), b('ad', 'q1', 'k3')];
    for (const d of defs) apply(s, { type: 'binding.add', def: d });
    const changes = apply(s, { type: 'queue.delete', vhost: '/', name: 'q1' });
    assert.deepEqual(changes.map((c) => c.type === 'binding.removed' ? `-${c.def.routingKey}` : c.type), ['-k1', '-k3', 'queue.removed']);
    // The auto-delete exchange keeps its binding to q2 ...
    assert.ok(s.vhosts.get('/')!.exchanges.has('ad'));
    // ... and goes with it.
    const last = apply(s, { type: 'queue.delete', vhost: '/', name: 'q2' });
    assert.deepEqual(last.map((c) => c.type), ['binding.removed', 'exchange.removed', 'queue.removed']);
  });
});
