// Unit test: the memory alarm gives the reclaim (src/server/reclaim.ts) one check to free memory before it
// blocks publishers, no more often than every 30 s, and never delays the alarm right after boot.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { ResourceMonitor, type AlarmKind } from '../../src/server/alarms.js';

function monitor(reclaims: string[], changes: AlarmKind[][]) {
  return new ResourceMonitor({
    memory: { absolute: 1 }, disk: { absolute: 0 }, dataDir: tmpdir(), intervalMs: 3_600_000,
    reclaim: () => reclaims.push('reclaim'),
  }, (active) => changes.push([...active]));
}

describe('memory alarm and reclaim', () => {
  it('over the watermark, the first check reclaims and the next one raises the alarm', () => {
    const reclaims: string[] = [], changes: AlarmKind[][] = [];
    const m = monitor(reclaims, changes);
    m.check();
    assert.deepEqual(reclaims, ['reclaim']);
    assert.deepEqual(changes, [], 'no alarm while the reclaim may still free memory');
    m.check();
    assert.deepEqual(reclaims, ['reclaim'], 'one reclaim per 30 s');
    assert.deepEqual(changes, [['memory']]);
    assert.ok(m.active.has('memory'));
    m.check();
    assert.deepEqual(reclaims, ['reclaim'], 'no reclaim while the alarm is raised');
  });

  it('at boot a watermark below the node\'s use raises the alarm at once', () => {
    const reclaims: string[] = [], changes: AlarmKind[][] = [];
    const m = monitor(reclaims, changes);
    m.start();
    m.stop();
    assert.deepEqual(reclaims, []);
    assert.deepEqual(changes, [['memory']]);
  });
});
