// The long hostile-input run: `node dist/tools/fuzz.js --cases 1000000 [--parallel 32] [--batch 2000] [--seed N]
// [--minutes M] [--settle S] [--hold S] [--heap-mb N]`.
// Starts a Warren process, throws fuzz cases (test/support/fuzz.ts) at it over parallel sockets in a vhost
// of its own, and after each batch checks that the process is alive, that a bystander connection in another
// vhost still round-trips a message, and reads the broker's VmRSS; the fuzz vhost is deleted and re-created
// between batches so what the cases legitimately declared does not pile up. At the end it reports cases/s,
// crashes, findings (bad replies, internal errors logged) and RSS at start, at peak and after a settle.
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import fc from 'fast-check';
import { startWarren } from '../test/support/broker.js';
import { fuzzCaseArb, runCases } from '../test/support/fuzz.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const total = Number(args.get('cases') ?? 100000);
const parallel = Number(args.get('parallel') ?? 32);
const batchSize = Number(args.get('batch') ?? 2000);
const seed = Number(args.get('seed') ?? Date.now() % 1_000_000_000);
const settleS = Number(args.get('settle') ?? 60);
/** --hold S: keep the broker running S more seconds after the report, to inspect it (smaps, API). */
const holdS = Number(args.get('hold') ?? 0);
/** --minutes N: stop starting batches after N minutes and report what was done (so is SIGUSR2). */
const stopAt = args.has('minutes') ? Date.now() + Number(args.get('minutes')) * 60_000 : Infinity;
let stopRequested = false;
process.on('SIGUSR2', () => { stopRequested = true; });

const statusField = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const rssOf = (pid: number) => statusField(pid, 'VmRSS');
/** RssAnon: the process's own memory, without the file pages of node's binary and libraries it shares. */
const anonOf = (pid: number) => statusField(pid, 'RssAnon');
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
const log = (s: string) => process.stdout.write(`${new Date().toISOString()} ${s}\n`);

// --heap-mb N caps the broker's V8 heap, so that a leak ends in a crash instead of a slowly rising RSS.
const heapMb = args.get('heap-mb');
const broker = await startWarren({ env: { WARREN_LOG_LEVEL: 'error', ...(heapMb ? { NODE_OPTIONS: `--max-old-space-size=${heapMb}` } : {}) } });
const pid = broker.proc!.pid!;
const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
const mgmt = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${broker.mgmtUrl}/api${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 300 && !(method === 'DELETE' && r.status === 404)) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
};
const makeVhost = async () => {
  await mgmt('PUT', '/vhosts/fuzz', {});
  await mgmt('PUT', '/permissions/fuzz/guest', { configure: '.*', write: '.*', read: '.*' });
};
await makeVhost();

// The bystander: connected before any case, in the default vhost; it must never notice the cases.
const byConn = await amqp.connect(broker.url);
const byErrors: string[] = [];
byConn.on('error', (e: Error) => byErrors.push(e.message));
byConn.on('close', () => byErrors.push('bystander connection closed'));
const byCh = await byConn.createChannel();
const byQ = (await byCh.assertQueue('', { exclusive: true })).queue;
async function bystanderRoundTrip(n: number): Promise<void> {
  const body = Buffer.from(`round trip ${n}`);
  byCh.sendToQueue(byQ, body);
  for (let i = 0; i < 500; i++) {
    const m = await byCh.get(byQ, { noAck: true });
    if (m) { if (!m.content.equals(body)) throw new Error('bystander got another message'); return; }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('bystander message did not come back');
}

const rssStart = rssOf(pid), anonStart = anonOf(pid);
let peak = rssStart;
log(`fuzzing warren pid ${pid} (port ${broker.port}): ${total} cases, ${parallel} sockets, batches of ${batchSize}, seed ${seed}; RSS at start ${mb(rssStart)} (anonymous ${mb(anonStart)})`);
const kinds = new Map<string, number>();
const findings: string[] = [];
let done = 0, bytesSent = 0;
const t0 = Date.now();
for (let b = 0; done < total && !stopRequested && Date.now() < stopAt; b++) {
  const cases = fc.sample(fuzzCaseArb({ user: 'guest', password: 'guest', vhost: 'fuzz' }), { numRuns: Math.min(batchSize, total - done), seed: seed + b });
  await runCases(broker.host, broker.port, cases, parallel, (c, r) => {
    kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    bytesSent += c.bytes.length;
    if (r.problem && findings.length < 50) findings.push(`batch ${b} (seed ${seed + b}) ${c.kind}: ${r.problem}; case ${c.bytes.toString('hex').slice(0, 400)}`);
  });
  done += cases.length;
  if (broker.proc!.exitCode !== null || broker.proc!.signalCode !== null) { findings.push(`broker exited (${broker.proc!.exitCode ?? broker.proc!.signalCode}) in batch ${b}`); break; }
  await bystanderRoundTrip(b);
  peak = Math.max(peak, rssOf(pid));
  await mgmt('DELETE', '/vhosts/fuzz');
  await makeVhost();
  if (b % 5 === 0) log(`${done} cases, ${Math.round(done / ((Date.now() - t0) / 1000))}/s, RSS ${mb(rssOf(pid))} (peak ${mb(peak)}), findings ${findings.length}`);
}
const secs = (Date.now() - t0) / 1000;
await mgmt('DELETE', '/vhosts/fuzz');
await bystanderRoundTrip(-1);
// Settle: no load; the broker's idle reclaim (src/server/reclaim.ts) runs one GC and malloc_trim when it sees
// the loop go quiet.
let rssEnd = rssOf(pid), anonEnd = anonOf(pid);
for (let s = 0; s < settleS; s += 5) { await new Promise((r) => setTimeout(r, 5000)); rssEnd = rssOf(pid); anonEnd = anonOf(pid); }
const internal = (broker.output().match(/internal error/g) ?? []).length;
const left = await (await fetch(`${broker.mgmtUrl}/api/connections`, { headers: { authorization: auth } })).json() as unknown[];
log(`connections left open: ${left.length} (the bystander's is 1)`);
const crashed = broker.proc!.exitCode !== null || broker.proc!.signalCode !== null;
log(`done: ${done} cases in ${secs.toFixed(0)} s = ${Math.round(done / secs)} cases/s, ${mb(bytesSent)} sent`);
log(`case kinds: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
log(`crashes: ${crashed ? 1 : 0}; bystander errors: ${byErrors.length}; internal errors logged: ${internal}; bad replies: ${findings.length}`);
for (const f of findings) log(`  finding: ${f}`);
log(`broker RSS: start ${mb(rssStart)}, peak ${mb(peak)}, after ${settleS} s settle ${mb(rssEnd)}; anonymous: start ${mb(anonStart)}, after the settle ${mb(anonEnd)}`);
if (holdS) { log(`holding broker pid ${pid} for ${holdS} s`); await new Promise((r) => setTimeout(r, holdS * 1000)); }
await byConn.close().catch(() => undefined);
await broker.stop();
process.exit(crashed || findings.length || internal || byErrors.length ? 1 : 0);
