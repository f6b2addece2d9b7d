// Latency histogram in the HDR style: values below 64 each have a bucket; above, every power of two is split
// into 32 linear sub-buckets, so any recorded value is known to within 1/32 (~3 %) with 896 counters covering
// 0 .. 2^32-1 (microseconds: 71 minutes). Recording is a clz and a shift; histograms merge by adding counters,
// which is how per-second, whole-run and per-worker figures combine.

const SUB = 32;
/** 64 exact buckets, then 26 powers of two (2^6 .. 2^31) of 32 sub-buckets each. */
export const BUCKETS = 64 + 26 * SUB;

export function bucketOf(v: number): number {
  if (v < 64) return v < 0 ? 0 : Math.floor(v);
  const x = v >= 0xffffffff ? 0xffffffff : v >>> 0;
  const shift = 31 - Math.clz32(x) - 5;
  return 64 + (shift - 1) * SUB + ((x >>> shift) - SUB);
}

/** The highest value that lands in bucket i (what a percentile reports, as HdrHistogram does). */
export function bucketTop(i: number): number {
  if (i < 64) return i;
  const shift = Math.floor((i - 64) / SUB) + 1;
  const sub = ((i - 64) % SUB) + SUB;
  return (sub + 1) * 2 ** shift - 1;
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  min = Infinity;
  max = 0;

  record(v: number): void {
    this.counts[bucketOf(v)]!++;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds another histogram's counts (or its transferable form from a worker). */
  merge(o: { counts: ArrayLike<number>; count: number; min: number; max: number }): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += o.counts[i]!;
    this.count += o.count;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
  }

  reset(): void { this.counts.fill(0); this.count = 0; this.min = Infinity; this.max = 0; }

  /** The value at percentile p (0-100): the top of the bucket holding it, never above the exact max. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.max(this.min, Math.min(bucketTop(i), this.max));
    }
    return this.max;
  }
}
