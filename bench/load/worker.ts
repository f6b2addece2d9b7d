// Worker-thread entry for the load tests: the health probe, and one share of a connection flood, each on its
// own event loop so that neither is slowed by the other (or by the scenario driving the main thread).
import { parentPort, workerData } from 'node:worker_threads';
import { probeLoop, type Target } from './lib.js';
import { churnLoop } from './scenarios.js';

const d = workerData as { kind: 'health' | 'churn'; target: Target; intervalMs: number; rate: number; seconds: number; maxInFlight: number };
let running = true;
parentPort!.on('message', (m) => { if (m === 'stop') running = false; });
if (d.kind === 'health') parentPort!.postMessage(await probeLoop(d.target, d.intervalMs, () => running));
else parentPort!.postMessage(await churnLoop(d.target, d.rate, d.seconds, d.maxInFlight));
