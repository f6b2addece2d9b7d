// Load-test plumbing shared by the scenarios: the broker under test (its AMQP address, management API and,
// when known, its process id for RSS), a health probe that polls /api/health/checks/alarms for the whole run
// and records failures and the slowest answer, and a bounded-concurrency loop.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface Target {
  host: string;
  port: number;
  /** Management API base, without /api. */
  mgmtUrl: string;
  vhost: string;
  /** Broker process id, for RSS; undefined when unknown (then memory figures are omitted). */
  pid: number | undefined;
}

const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

/** Resident set size of a process in bytes, or NaN without a pid. */
export function rss(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** An HTTP call to the management API as guest; returns the status (0 when the request failed). */
export async function mgmt(t: Target, method: string, path: string, body?: unknown): Promise<number> {
  try {
    const r = await fetch(`${t.mgmtUrl}/api${path}`, {
      method, headers: { authorization: AUTH, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(10_000),
    });
    await r.arrayBuffer();
    return r.status;
  } catch { return 0; }
}

/** Creates the target's vhost (unless '/') with full permissions for guest. */
export async function ensureVhost(t: Target): Promise<void> {
  if (t.vhost === '/') return;
  const v = encodeURIComponent(t.vhost);
  await mgmt(t, 'PUT', `/vhosts/${v}`, {});
  await mgmt(t, 'PUT', `/permissions/${v}/guest`, { configure: '.*', write: '.*', read: '.*' });
}

export async function dropVhost(t: Target): Promise<void> {
  if (t.vhost !== '/') await mgmt(t, 'DELETE', `/vhosts/${encodeURIComponent(t.vhost)}`);
}

export interface HealthReport { checks: number; failures: number; maxMs: number }

/** The probe loop itself; runs in a worker thread (see healthProbe) so a busy load generator does not delay it. */
export async function probeLoop(t: Target, intervalMs: number, running: () => boolean): Promise<HealthReport> {
  const rep: HealthReport = { checks: 0, failures: 0, maxMs: 0 };
  while (running()) {
    const t0 = performance.now();
    const status = await mgmt(t, 'GET', '/health/checks/alarms');
    const ms = performance.now() - t0;
    rep.checks++;
    if (status !== 200) rep.failures++;
    rep.maxMs = Math.max(rep.maxMs, ms);
    if (ms < intervalMs) await new Promise((r) => setTimeout(r, intervalMs - ms));
  }
  rep.maxMs = Math.round(rep.maxMs);
  return rep;
}

/**
 * Polls the alarms health check back to back (at most every intervalMs) until stop(), from a worker thread
 * with its own event loop: the latency is the broker's, not the time the load generator took to get to it.
 */
export function healthProbe(t: Target, intervalMs = 100): { stop: () => Promise<HealthReport> } {
  const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { kind: 'health', target: t, intervalMs } });
  const done = new Promise<HealthReport>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  return { stop: async () => { w.postMessage('stop'); const r = await done; await w.terminate(); return r; } };
}

/** Runs fn(0..n-1) with at most `width` calls in flight; resolves with the number that threw. */
export async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0, failed = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try { await fn(i); } catch { failed++; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
  return failed;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Lets the broker settle and the collector run before an RSS reading. */
export async function settledRss(t: Target, ms = 2000): Promise<number> {
  await sleep(ms);
  return rss(t.pid);
}

export const MB = 1024 * 1024;
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
