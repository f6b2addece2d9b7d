// Entry point of a warren-perf worker thread: runs one Group (its share of producers and consumers) and
// answers the main thread's 'sample' and 'stop' requests with Snapshots. Histogram counts travel as copies.
import { parentPort, workerData } from 'node:worker_threads';
import { Group } from './group.js';
import type { PerfOptions } from './options.js';

interface Data { options: PerfOptions; producerIds: number[]; consumerIds: number[] }
const { options, producerIds, consumerIds } = workerData as Data;
const group = new Group(options, producerIds, consumerIds);
const port = parentPort!;

port.on('message', (msg: { op: 'start' | 'sample' | 'stop'; seq: number }) => {
  const reply = (p: Promise<unknown> | unknown) => Promise.resolve(p).then(
    (value) => port.postMessage({ seq: msg.seq, value }),
    (e: Error) => port.postMessage({ seq: msg.seq, error: e.message }));
  if (msg.op === 'start') reply(group.start());
  else if (msg.op === 'sample') reply(group.sample());
  else reply(group.stop().then((snap) => { setImmediate(() => port.close()); return snap; }));
});
