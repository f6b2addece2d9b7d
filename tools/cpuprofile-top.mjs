#!/usr/bin/env node
// Top functions of a V8 CPU profile (.cpuprofile, as written by `node --cpu-prof`), by self time.
//   node tools/cpuprofile-top.mjs PROFILE.cpuprofile|DIR [--top N] [--by func|name|file] [--all] [--json]
// DIR: the newest .cpuprofile in it. Self time of a sample = time until the next sample (as Chrome DevTools
// computes it); it is charged to the sampled function and summed per key:
//   --by func  (default) function name + url:line, so same-named functions in different places stay apart
//   --by name  function name only          --by file  url only
// "total" is inclusive time (self + callees; each key counted once per sample even when recursive).
// Percentages are of the whole profile; "(idle)" is the event loop waiting, "(program)" native code outside JS
// (libuv, V8 compiler, ...), "(garbage collector)" GC. --all also lists the rows under 0.1 %.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : def;
};
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args.splice(i, 1), true) : false;
};
const top = Number(opt('--top', '25'));
const by = opt('--by', 'func');
const all = flag('--all');
const asJson = flag('--json');
if (args.length !== 1 || !['func', 'name', 'file'].includes(by)) {
  process.stderr.write('usage: cpuprofile-top.mjs PROFILE.cpuprofile|DIR [--top N] [--by func|name|file] [--all] [--json]\n');
  process.exit(2);
}

let file = args[0];
if (statSync(file).isDirectory()) {
  const profiles = readdirSync(file).filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(file, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!profiles.length) throw new Error(`no .cpuprofile in ${file}`);
  file = profiles[0];
}
const prof = JSON.parse(readFileSync(file, 'utf8'));

const shortUrl = (url) => {
  if (!url) return '';
  const p = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  if (!p.startsWith('/')) return p;                        // node:internal/..., node:buffer
  const d = p.lastIndexOf('/dist/');                       // a build anywhere (e.g. a bench snapshot): from dist/
  if (d >= 0) return p.slice(d + 1);
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};
const keyOf = (cf) => {
  const name = cf.functionName || '(anonymous)';
  const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
  if (by === 'name') return name;
  if (by === 'file') return shortUrl(cf.url) || name;        // (idle), (program), (garbage collector), native
  return where ? `${name}  ${where}` : name;
};

const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const pathKeys = new Map();   // node id -> set of keys on its stack (for inclusive time)
const keysOf = (id) => {
  let s = pathKeys.get(id);
  if (s) return s;
  const p = parent.get(id);
  s = new Set(p === undefined ? [] : keysOf(p));
  const n = nodes.get(id);
  if (n.callFrame.functionName !== '(root)') s.add(keyOf(n.callFrame));
  pathKeys.set(id, s);
  return s;
};

// time of each sample: from its timestamp to the next one (the last one until endTime)
const self = new Map(), total = new Map();
let sum = 0;
const samples = prof.samples ?? [];
const deltas = prof.timeDeltas ?? [];
if (samples.length) {
  let t = prof.startTime;
  const ts = samples.map((_, i) => (t += deltas[i] ?? 0));
  for (let i = 0; i < samples.length; i++) {
    const dt = Math.max(0, (i + 1 < samples.length ? ts[i + 1] : prof.endTime) - ts[i]);
    const n = nodes.get(samples[i]);
    const k = keyOf(n.callFrame);
    self.set(k, (self.get(k) ?? 0) + dt);
    for (const pk of keysOf(n.id)) total.set(pk, (total.get(pk) ?? 0) + dt);
    sum += dt;
  }
} else {  // no samples array: hit counts at the mean interval
  const hits = prof.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const each = (prof.endTime - prof.startTime) / hits;
  for (const n of prof.nodes) {
    if (!n.hitCount) continue;
    const dt = n.hitCount * each, k = keyOf(n.callFrame);
    self.set(k, (self.get(k) ?? 0) + dt);
    for (const pk of keysOf(n.id)) total.set(pk, (total.get(pk) ?? 0) + dt);
    sum += dt;
  }
}

const idle = self.get('(idle)') ?? 0;
const rows = [...self.entries()].sort((a, b) => b[1] - a[1])
  .map(([key, us]) => ({ key, self_ms: us / 1000, self_pct: (100 * us) / sum,
    self_pct_busy: key === '(idle)' ? null : (100 * us) / (sum - idle), total_pct: (100 * (total.get(key) ?? us)) / sum }))
  .filter((r) => all || r.self_pct >= 0.1).slice(0, top);

if (asJson) {
  process.stdout.write(JSON.stringify({ file, by, duration_ms: sum / 1000, idle_ms: idle / 1000, samples: samples.length, rows }, null, 1) + '\n');
} else {
  const pct = (v) => (v === null ? '' : v.toFixed(1).padStart(6));
  process.stdout.write(`${file}: ${(sum / 1e6).toFixed(2)} s sampled, ${samples.length} samples, ` +
    `idle ${((100 * idle) / sum).toFixed(1)} %, by ${by}\n`);
  process.stdout.write(`${'self ms'.padStart(10)} ${'self%'.padStart(6)} ${'busy%'.padStart(6)} ${'total%'.padStart(6)}  function\n`);
  for (const r of rows) {
    process.stdout.write(`${r.self_ms.toFixed(1).padStart(10)} ${pct(r.self_pct)} ${pct(r.self_pct_busy)} ${pct(r.total_pct)}  ${r.key}\n`);
  }
  process.stdout.write('self% = of the whole profile; busy% = of the non-idle time; total% = inclusive (self + callees)\n');
}
