// PagedList: the columnar FIFO of paged-out messages. A model-based property test against a plain array
// (push, shift, removeId, forEach removal, clear) with ids and sequence numbers that need the wide columns.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PagedList, pagedEntry, type PagedEntry } from '../../src/broker/paged-list.js';

const copy = (e: PagedEntry): PagedEntry => ({ ...e });

describe('PagedList', () => {
  it('behaves as an array of entries under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('push' as const), n: fc.integer({ min: 1, max: 9000 }), gap: fc.constantFrom(1, 2, 2 ** 33), paged: fc.boolean(), exp: fc.boolean() }),
      fc.record({ t: fc.constant('shift' as const), n: fc.integer({ min: 1, max: 9000 }) }),
      fc.record({ t: fc.constant('removeId' as const), k: fc.nat() }),
      fc.record({ t: fc.constant('removeEvery' as const), k: fc.integer({ min: 2, max: 7 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
      const l = new PagedList();
      let model: PagedEntry[] = [];
      let seq = 1, id = 1;
      const e = pagedEntry(), out = pagedEntry();
      for (const o of ops) {
        if (o.t === 'push') {
          for (let i = 0; i < o.n; i++) {
            seq += o.gap; id += o.gap;
            e.seq = seq; e.id = o.paged ? 0 : id; e.seg = (o.paged ? 0x80000000 : 0) + (i % 5); e.off = i * 100; e.len = 90 + (i % 7);
            e.size = 50 + (i % 11); e.exp = o.exp ? 1e12 + i : 0; e.prio = i % 3;
            l.push(e); model.push(copy(e));
          }
        } else if (o.t === 'shift') {
          for (let i = 0; i < o.n; i++) {
            const want = model.shift();
            assert.equal(l.shift(out), want !== undefined);
            if (want) assert.deepEqual(copy(out), want);
          }
        } else if (o.t === 'removeId') {
          // removeId is for recovery lists, where every entry has an id and ids ascend.
          const withId = model.filter((x) => x.id !== 0);
          if (withId.length === 0 || withId.length !== model.length) continue;
          const victim = withId[o.k % withId.length]!;
          assert.deepEqual(l.removeId(victim.id), victim);
          model = model.filter((x) => x !== victim);
        } else {
          let i = 0;
          const kept: PagedEntry[] = [];
          l.forEach((x, remove) => { assert.deepEqual(copy(x), model[i]); if (i % o.k === 0) remove(); else kept.push(model[i]!); i++; });
          assert.equal(i, model.length);
          model = kept;
        }
        assert.equal(l.length, model.length);
        assert.equal(l.bytes, model.reduce((s, x) => s + x.size, 0));
        assert.equal(l.headExpiry(), model[0]?.exp ?? 0);
      }
      const rest: PagedEntry[] = [];
      l.clear((x) => rest.push(copy(x)));
      assert.deepEqual(rest, model);
      assert.equal(l.length, 0);
    }), { numRuns: 60 });
  });
});
