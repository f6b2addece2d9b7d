// Runs a warren-perf test: declares the topology, starts the groups (in this thread, or one per worker thread
// with --workers), samples them once a second (a PerfTest-style line per second), stops on --time, on the
// --pmessages/--cmessages counts or on SIGINT, and returns the summary.
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { Group, declareTopology, type Snapshot } from './group.js';
import { Histogram } from './histogram.js';
import type { PerfOptions } from './options.js';
import { sampleLine, type PerfResult, type Sample, latencySummary } from './report.js';

interface Handle { start(): Promise<void>; sample(): Promise<Snapshot>; stop(): Promise<Snapshot> }

function localHandle(o: PerfOptions, p: number[], c: number[]): Handle {
  const g = new Group(o, p, c);
  return { start: () => g.start(), sample: async () => g.sample(), stop: () => g.stop() };
}

function workerHandle(o: PerfOptions, p: number[], c: number[]): Handle {
  const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { options: o, producerIds: p, consumerIds: c } });
  let seq = 0;
  const waiting = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  w.on('message', (m: { seq: number; value?: unknown; error?: string }) => {
    const x = waiting.get(m.seq);
    waiting.delete(m.seq);
    if (m.error !== undefined) x?.reject(new Error(m.error)); else x?.resolve(m.value as never);
  });
  w.on('error', (e) => { for (const x of waiting.values()) x.reject(e); waiting.clear(); });
  const call = <T>(op: string) => new Promise<T>((resolve, reject) => {
    waiting.set(++seq, { resolve: resolve as (v: never) => void, reject });
    w.postMessage({ op, seq });
  });
  return { start: () => call('start'), sample: () => call('sample'), stop: () => call('stop') };
}

/**
 * Deals producers, then consumers, round-robin over n groups as one sequence, so that 1 producer and
 * 1 consumer on 2 workers land on different threads.
 */
export function split(o: PerfOptions, n: number): { p: number[]; c: number[] }[] {
  const parts = Array.from({ length: n }, () => ({ p: [] as number[], c: [] as number[] }));
  for (let i = 0; i < o.producers; i++) parts[i % n]!.p.push(i);
  for (let i = 0; i < o.consumers; i++) parts[(o.producers + i) % n]!.c.push(i);
  return parts;
}

export async function runPerf(o: PerfOptions, print: (line: string) => void): Promise<PerfResult> {
  await declareTopology(o);
  const parts = split(o, Math.max(1, o.workers));
  const handles = parts.map(({ p, c }) => (o.workers > 0 ? workerHandle(o, p, c) : localHandle(o, p, c)));
  await Promise.all(handles.map((h) => h.start()));

  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  const total = new Histogram();
  const samples: Sample[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let prev = { t: t0, sent: 0, confirmed: 0, nacked: 0, received: 0 };
  let idleTicks = 0;
  let error: string | undefined;
  const counted = o.pmessages > 0 || o.cmessages > 0;

  const aggregate = (snaps: Snapshot[]) => {
    const interval = new Histogram();
    const sum = { sent: 0, confirmed: 0, nacked: 0, returned: 0, received: 0, unconfirmed: 0 };
    for (const s of snaps) {
      interval.merge(s.hist);
      sum.sent += s.sent; sum.confirmed += s.confirmed; sum.nacked += s.nacked; sum.returned += s.returned;
      sum.received += s.received; sum.unconfirmed += s.unconfirmed;
      error ??= s.error;
    }
    total.merge(interval);
    return { sum, interval };
  };

  for (let tick = 1; ; tick++) {
    // Every whole second after the start, so the per-second lines do not drift.
    while (!interrupted && performance.now() < t0 + tick * 1000) await sleep(Math.min(100, t0 + tick * 1000 - performance.now()));
    if (interrupted) break;
    const snaps = await Promise.all(handles.map((h) => h.sample()));
    const { sum, interval } = aggregate(snaps);
    const now = performance.now(), dt = (now - prev.t) / 1000;
    const sample: Sample = {
      time: (now - t0) / 1000,
      sent: (sum.sent - prev.sent) / dt, confirmed: (sum.confirmed - prev.confirmed) / dt,
      nacked: (sum.nacked - prev.nacked) / dt, received: (sum.received - prev.received) / dt,
      latencyUs: latencySummary(interval),
    };
    samples.push(sample);
    if (!o.json) print(sampleLine(o, sample));
    idleTicks = sum.received === prev.received && sum.confirmed === prev.confirmed ? idleTicks + 1 : 0;
    prev = { t: now, ...sum };
    if (error) break;
    if (o.time > 0 && (now - t0) / 1000 >= o.time - 0.05) break;
    if (counted) {
      const producersDone = snaps.every((s) => s.producersDone);
      // Without --cmessages, consumers are done when nothing more arrived for a second after the producers.
      const consumersDone = o.consumers === 0 || (o.cmessages > 0 ? snaps.every((s) => s.consumersDone)
        : producersDone && sum.unconfirmed === 0 && idleTicks >= 1);
      if (consumersDone && (producersDone || o.pmessages === 0)) break;
    }
  }
  process.off('SIGINT', onSigint);
  const duration = (prev.t - t0) / 1000 || (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const finals = await Promise.all(handles.map((h) => h.stop()));
  const { sum } = aggregate(finals);
  const { uri: _uri, ...shown } = o;
  const u = new URL(o.uri);
  u.password = '';
  return {
    id: o.id, broker: u.toString(), options: shown, duration,
    sent: sum.sent, confirmed: sum.confirmed, nacked: sum.nacked, returned: sum.returned, received: sum.received,
    // Rates over the sampled run only: what arrives while stopping is counted but not timed.
    sendRate: prev.sent / duration, receiveRate: prev.received / duration,
    latencyUs: latencySummary(total),
    // All threads of this process, in % of one core: what the generator itself costs the machine.
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / duration) * 1000) / 10,
    samples,
    ...(error ? { error } : {}),
  };
}
