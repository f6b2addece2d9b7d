// Gives memory back once a busy period is over, as RabbitMQ's Erlang VM does when idle processes hibernate and
// its allocators release carriers. Two things keep a Node process's RSS high after a burst (a connection flood,
// a fuzz run, a drained backlog) although nothing is live any more:
//   - garbage V8 has not collected: once the node goes quiet nothing allocates, so no GC runs, and the
//     ArrayBuffer backing stores (socket reads, bodies) that garbage holds stay in the C heap; and V8's
//     young generation, grown by the burst, stays at its grown size;
//   - free C-heap memory: glibc returns memory on free() only from the top of an arena, so the free chunks
//     below one live chunk stay resident. Only malloc_trim(0) releases them (src/native/memory.c), and
//     only from the main arena, hence one arena (src/server/native-memory.ts).
// Measured with tools/fuzz.ts (1,000,000 cases): RSS settled at 233 MB without this against 62 MB at start, and
// at 68 MB with it (docs/memory.md).
//
// The check costs nothing on the hot path: a timer reads the event loop's utilisation. A period with the loop
// busy marks the node dirty; two quiet periods in a row after that run one GC and one trim. A memory alarm about
// to be raised reclaims first, so that memory already freed does not keep publishers blocked.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LogFn } from '../log.js';
import { nativeMemory } from './native-memory.js';

/** Loop utilisation above which a period counts as busy, and below which as quiet. */
const BUSY = 0.05;
const QUIET = 0.025;
/**
 * Periods after a reclaim, short of busy, that trim again: V8's memory reducer keeps collecting for a while
 * after the node goes quiet, and what it frees lands in the C heap after the first trim.
 */
const SETTLE_TRIMS = 12;
/** Quiet periods in a row before a reclaim: a lull inside a burst is not the end of it. */
const QUIET_PERIODS = 2;
/**
 * A forced GC is atomic: its pause grows with the live heap. V8's low-memory GC collects several times over:
 * 10-20 ms after a connection flood, but 105 ms on a node holding 10,000 queues. Above the first limit the
 * reclaim runs one plain full GC instead; above the second it leaves collection to V8's incremental GCs and
 * only trims.
 */
const LOW_MEMORY_GC_HEAP_LIMIT = 64 << 20;
const GC_HEAP_LIMIT = 256 << 20;
/** From the GC to the trim (see reclaim()). */
const TRIM_DELAY_MS = 1000;

/** The full-GC function V8 exposes with --expose-gc, taken without that flag on the command line. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? gc as () => void : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryReclaimer {
  private readonly gc = exposeGc();
  private readonly native = nativeMemory;
  private timer: NodeJS.Timeout | undefined;
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private dirty = false;
  private quietPeriods = 0;
  private settleTrims = 0;

  constructor(private readonly intervalMs: number, private readonly log?: LogFn) {}

  start(): void {
    if (!this.native) this.log?.('info', 'memory reclaim: native memory module not built; freed C-heap memory stays with the process', { domain: 'warren.memory', event: 'reclaim_unavailable' });
    this.last = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void { clearInterval(this.timer); }

  private tick(): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    if (busy > BUSY) {
      this.dirty = true;
      this.quietPeriods = 0;
      this.settleTrims = 0;
    } else if (this.dirty) {
      this.quietPeriods = busy < QUIET ? this.quietPeriods + 1 : 0;
      if (this.quietPeriods >= QUIET_PERIODS) this.reclaim('idle');
    } else if (this.settleTrims > 0) {
      this.settleTrims--;
      this.native?.trim();
    }
  }

  /**
   * One GC now (V8's low-memory GC, or a plain full one); the C heap's free pages go back to the kernel a
   * second later, because V8 frees the backing stores of collected ArrayBuffers after the GC, not during it (a
   * trim right after the GC released 0.5 MiB where the same trim a second later released 14 MiB).
   */
  reclaim(why: string): void {
    this.dirty = false;
    this.quietPeriods = 0;
    this.settleTrims = SETTLE_TRIMS;
    const before = process.memoryUsage.rss();
    const t0 = performance.now();
    // V8's low-memory GC on a small heap: unlike a plain full GC it also shrinks the young generation, which a
    // flood grows to 32 MB and which otherwise stays resident until V8's memory reducer runs (it had not, 20 s
    // after a flood, on a loaded machine).
    const heap = process.memoryUsage().heapUsed;
    let kind = 'no GC';
    if (heap < LOW_MEMORY_GC_HEAP_LIMIT && this.native?.lowMemory()) kind = 'low-memory GC';
    else if (heap < GC_HEAP_LIMIT && this.gc) { this.gc(); kind = 'full GC'; }
    const gcMs = performance.now() - t0;
    const trimLater = setTimeout(() => {
      const t1 = performance.now();
      this.native?.trim();
      const trimMs = performance.now() - t1;
      // The reclaim itself used the loop; it must not count as a busy period.
      this.last = performance.eventLoopUtilization();
      const after = process.memoryUsage.rss();
      this.log?.('debug', `memory reclaim (${why}): RSS ${mib(before)} -> ${mib(after)}, heap ${mib(heap)}, ${kind} ${gcMs.toFixed(0)} ms, trim ${trimMs.toFixed(0)} ms`,
        { domain: 'warren.memory', event: 'reclaim', reason: why, rss_before: before, rss_after: after });
    }, TRIM_DELAY_MS);
    trimLater.unref();
  }
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
