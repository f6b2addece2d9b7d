// Integration test: memory goes back after a burst (src/server/reclaim.ts). A flood of short connections, each
// sending a few KB, leaves garbage and free C-heap memory behind; once the node is quiet it must run one GC and
// malloc_trim and come back near its starting anonymous RSS. Without the native module the same flood left the
// node 35 MiB above its start (GC alone); with it, 0-5 MiB.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startWarren, serverScript, type TestBroker } from '../support/broker.js';
import { eventually, sleep } from '../support/amqp.js';

const nativeModule = join(serverScript, '..', '..', 'native', 'memory.node');
const built = existsSync(nativeModule);
const MiB = 1048576;
const anonOf = (pid: number) => Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** Resident anonymous memory by kind, for the failure message: the C heap's main arena, and the rest. */
function anonByKind(pid: number): string {
  let heap = 0, other = 0, cur = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { cur = m[1]!; continue; }
    const a = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (a) { if (cur === '[heap]') heap += Number(a[1]); else other += Number(a[1]); }
  }
  return `C heap (main arena) ${(heap / 1024).toFixed(1)} MiB, other anonymous ${(other / 1024).toFixed(1)} MiB`;
}

/** `count` connections, `parallel` at a time: protocol header, 3,000 bytes of junk, gone after 50 ms. */
async function flood(port: number, count: number, parallel: number): Promise<void> {
  let started = 0;
  const one = () => new Promise<void>((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from('AMQP\x00\x00\x09\x01'), Buffer.alloc(3000, 7)])));
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => resolve());
    setTimeout(() => s.destroy(), 50);
  });
  await Promise.all(Array.from({ length: parallel }, async () => { while (started++ < count) await one(); }));
}

describe('memory reclaim after a burst', { skip: !built && !process.env.CI && 'native module not built (no C compiler)' }, () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startWarren({ env: { WARREN_RECLAIM_INTERVAL_MS: '500', WARREN_LOG_LEVEL: 'debug' } });
  });
  after(async () => { await broker?.stop(); });

  it('the native memory module is built (CI installs a C compiler)', () => {
    assert.ok(built, `${nativeModule} missing: tools/build-native.mjs could not compile src/native/memory.c`);
    assert.doesNotMatch(broker.output(), /native memory module not built/);
  });

  it('after 20,000 short connections the node returns to its starting anonymous RSS', async () => {
    const pid = broker.proc!.pid!;
    await sleep(1500);
    const start = anonOf(pid);
    const startKinds = anonByKind(pid);
    await flood(broker.port, 20_000, 32);
    const peak = anonOf(pid);
    assert.ok(peak > start + 20 * MiB, `the flood grew the node (start ${(start / MiB).toFixed(1)} MiB, after ${(peak / MiB).toFixed(1)} MiB)`);
    await eventually(() => /memory reclaim \(idle\)/.test(broker.output()) || undefined, 20_000);
    const settled: number = await eventually(() => {
      const now = anonOf(pid);
      return now <= start + 10 * MiB ? now : 0;
    }, 20_000).catch(() => anonOf(pid));
    const reclaims = broker.output().split('\n').filter((l) => l.includes('memory reclaim')).join('\n');
    assert.ok(settled <= start + 10 * MiB,
      `anonymous RSS: start ${(start / MiB).toFixed(1)} MiB (${startKinds}), peak ${(peak / MiB).toFixed(1)} MiB, after the reclaim ${(settled / MiB).toFixed(1)} MiB (${anonByKind(pid)})\n${reclaims}`);
  });
});
