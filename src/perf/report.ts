// warren-perf's output: the per-second line and the summary in PerfTest's wording (so scripts and habits
// that read PerfTest output carry over), and the shape of the --json result.
import type { Histogram } from './histogram.js';
import type { PerfOptions } from './options.js';

export interface LatencySummary { count: number; min: number; p50: number; p75: number; p95: number; p99: number; p999: number; max: number }
export interface Sample {
  /** Seconds since the producers and consumers started. */
  time: number;
  /** Rates over the second, msg/s. */
  sent: number; confirmed: number; nacked: number; received: number;
  latencyUs: LatencySummary;
}
export interface PerfResult {
  id: string;
  /** The URI without its password. */
  broker: string;
  options: Omit<PerfOptions, 'uri'>;
  duration: number;
  sent: number; confirmed: number; nacked: number; returned: number; received: number;
  sendRate: number; receiveRate: number;
  latencyUs: LatencySummary;
  cpuPercent: number;
  samples: Sample[];
  error?: string;
}

const round = (x: number) => Math.round(x);

export function latencySummary(h: Histogram): LatencySummary {
  return {
    count: h.count, min: h.count ? round(h.min) : 0, p50: round(h.percentile(50)), p75: round(h.percentile(75)),
    p95: round(h.percentile(95)), p99: round(h.percentile(99)), p999: round(h.percentile(99.9)), max: round(h.max),
  };
}

export function sampleLine(o: PerfOptions, s: Sample): string {
  const l = s.latencyUs;
  const confirms = o.confirm > 0 ? `, confirmed: ${round(s.confirmed)} msg/s, nacked: ${round(s.nacked)} msg/s` : '';
  return `id: ${o.id}, time ${s.time.toFixed(3)} s, sent: ${round(s.sent)} msg/s${confirms}, received: ${round(s.received)} msg/s, `
    + `min/median/75th/95th/99th consumer latency: ${l.min}/${l.p50}/${l.p75}/${l.p95}/${l.p99} µs`;
}

export function summaryLines(r: PerfResult): string[] {
  const l = r.latencyUs;
  const lines = [
    `id: ${r.id}, sending rate avg: ${round(r.sendRate)} msg/s`,
    `id: ${r.id}, receiving rate avg: ${round(r.receiveRate)} msg/s`,
    `id: ${r.id}, consumer latency min/median/75th/95th/99th/99.9th/max: ${l.min}/${l.p50}/${l.p75}/${l.p95}/${l.p99}/${l.p999}/${l.max} µs`,
    `id: ${r.id}, sent ${r.sent}, received ${r.received}` + (r.options.confirm > 0 ? `, confirmed ${r.confirmed}, nacked ${r.nacked}` : '')
      + (r.returned ? `, returned ${r.returned}` : '') + ` in ${r.duration.toFixed(3)} s`,
  ];
  if (r.error) lines.push(`id: ${r.id}, stopped by an error: ${r.error}`);
  return lines;
}
