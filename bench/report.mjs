#!/usr/bin/env node
// Markdown report and SVG charts from the JSON lines of bench/scenarios.sh (matrix) or bench/curves.sh (curves).
//   node bench/report.mjs matrix RESULTS.jsonl [--meta TEXT] [--note TEXT] [--builds FILE] [--machine FILE] [--elapsed S]
//   node bench/report.mjs curves RESULTS.jsonl [same options]
// Markdown goes to stdout; the charts are written next to RESULTS.jsonl: <stem>.svg (matrix: ratios vs
// RabbitMQ), <stem>-<curve>.svg (curves). Per (broker, scenario or point, repetition) the least disturbed try
// (lowest other_cpu_pct) is used, as in the shared summarize.py; figures are medians over repetitions with
// [min-max] when there are several. CPU µs/msg = broker CPU time per received message (broker_cpu_pct / 100 /
// recv_rate), per run, then the median; for f it is per published and per consumed message of each phase.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ratioBars, lineChart, page } from './chart.mjs';

const [mode, file, ...rest] = process.argv.slice(2);
if (!['matrix', 'curves'].includes(mode) || !file) {
  console.error('usage: report.mjs matrix|curves RESULTS.jsonl [--meta T] [--builds F] [--machine F] [--elapsed S]');
  process.exit(1);
}
const opt = {};
for (let i = 0; i < rest.length; i += 2) opt[rest[i].replace(/^--/, '')] = rest[i + 1];

const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
for (const r of rows) {
  if (r.sys_cpu_pct != null && r.broker_cpu_pct != null && r.gen_cpu_pct != null) {
    r.other_cpu_pct = Math.round((r.sys_cpu_pct - r.gen_cpu_pct - r.broker_cpu_pct) * 10) / 10;
  }
  if (r.broker_cpu_pct >= 0 && r.recv_rate > 0) r.cpu_us_per_msg = (r.broker_cpu_pct / 100 / r.recv_rate) * 1e6;
  if (r.broker_cpu_pct >= 0 && r.sent_rate > 0) r.cpu_us_per_sent = (r.broker_cpu_pct / 100 / r.sent_rate) * 1e6;
  if (r.publish_broker_cpu_pct >= 0 && r.publish_rate > 0) r.publish_cpu_us = (r.publish_broker_cpu_pct / 100 / r.publish_rate) * 1e6;
  if (r.consume_broker_cpu_pct >= 0 && r.consume_rate > 0) r.consume_cpu_us = (r.consume_broker_cpu_pct / 100 / r.consume_rate) * 1e6;
}

// ------------------------------------------------------------------ helpers

const ORDER = ['warren', 'rabbit', 'garagemq'];
const rank = (b) => (ORDER.indexOf(b.split('+')[0]) + 1 || 99);
const brokers = [...new Set(rows.map((r) => r.broker))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const RABBIT = brokers.find((b) => b === 'rabbit'), GARAGE = brokers.find((b) => b === 'garagemq');

/** least disturbed try per key(row) + rep, grouped by key */
function bestByKey(list, key) {
  const best = new Map();
  for (const r of list) {
    const k = `${key(r)}\u0000${r.rep}`;
    const cur = best.get(k);
    if (!cur || (r.other_cpu_pct ?? 0) < (cur.other_cpu_pct ?? 0)) best.set(k, r);
  }
  const by = new Map();
  for (const r of best.values()) {
    const k = key(r);
    if (!by.has(k)) by.set(k, []);
    by.get(k).push(r);
  }
  return { by, used: new Set(best.values()) };
}

function median(v) {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const vals = (list, f) => (list ?? []).map((r) => (typeof f === 'function' ? f(r) : r[f]))
  .filter((v) => v != null && Number.isFinite(v) && v >= 0);
const med = (list, f) => median(vals(list, f));

function num(v, digits = 0) {
  if (v == null || !Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
/** median, with [min-max] when there are several values */
function stat(list, f, digits = 0, scale = 1) {
  const v = vals(list, f).map((x) => x * scale);
  if (!v.length) return 'n/a';
  const m = num(median(v), digits);
  return v.length > 1 ? `${m} [${num(Math.min(...v), digits)}-${num(Math.max(...v), digits)}]` : m;
}
const ratio = (x, y) => (x == null || y == null || !y ? null : x / y);
const rfmt = (v) => (v == null ? 'n/a' : v.toFixed(2));

const out = [];
function header(title) {
  out.push(`# ${title}`, '');
  if (opt.note) out.push(`**${opt.note}**`, '');
  out.push(`Source: \`${basename(file)}\` (${rows.length} runs). ${opt.meta ?? ''}`.trim(), '');
  if (opt.elapsed) out.push(`Wall time of the whole run: ${Math.round(opt.elapsed / 60)} min (${opt.elapsed} s).`, '');
  out.push('Machine:', '');
  if (opt.machine && existsSync(opt.machine)) out.push(readFileSync(opt.machine, 'utf8').trim());
  out.push('');
  if (opt.builds && existsSync(opt.builds)) {
    out.push('Builds measured:', '');
    for (const l of new Set(readFileSync(opt.builds, 'utf8').split('\n').map((x) => x.trim()).filter(Boolean))) out.push(`- \`${l}\``);
    out.push('');
  }
}

// ------------------------------------------------------------------ matrix

const NAMES = {
  a: 'a. 1 producer / 1 consumer, 16 B, transient, autoack',
  b: 'b. 1 producer / 1 consumer, 1 KB, transient, autoack',
  c: 'c. 1 KB persistent, publisher confirms (window 1000), manual acks (prefetch 1000)',
  d: 'd. fanout: 1 producer -> 4 queues / 4 consumers, 256 B, autoack (each delivery counts)',
  e: 'e. latency at a fixed 5,000 msg/s, 256 B, 1 producer / 1 consumer',
  g: 'g. 10 producers / 10 consumers on 10 queues, 256 B, autoack',
};
const F_NAMES = {
  'f-classic': 'f. 1M x 1 KB backlog, classic queue (transient, confirms), then drained (ack, prefetch 1000)',
  'f-lazy': 'f. 1M x 1 KB backlog, lazy queue (x-queue-mode=lazy), then drained',
  'f-classic-persistent': 'fp. 1M x 1 KB persistent backlog, classic queue',
  'f-lazy-persistent': 'fp. 1M x 1 KB persistent backlog, lazy queue',
};
const NA = {   // (broker, scenario) not run on purpose, and why
  'garagemq f-lazy': 'garagemq accepts x-queue-mode=lazy but ignores it (it always pages out past queue.maxMessagesInRam, 131,072 in the Debian config): its f-classic is its lazy',
  'garagemq f-lazy-persistent': 'as f-lazy',
};

function matrix() {
  header(`Scenario matrix: ${brokers.join(', ')}`);
  const timed = rows.filter((r) => r.scenario && !r.scenario.startsWith('f-') && r.curve == null);
  const backlog = rows.filter((r) => r.scenario && r.scenario.startsWith('f-'));
  const { by, used } = bestByKey(timed, (r) => `${r.broker} ${r.scenario}`);
  const fb = bestByKey(backlog, (r) => `${r.broker} ${r.scenario}`).by;
  const scen = [...new Set(timed.map((r) => r.scenario))].sort();
  const fscen = Object.keys(F_NAMES).filter((s) => backlog.some((r) => r.scenario === s));
  const others = brokers.filter((b) => b !== RABBIT);
  const g = (b, s) => by.get(`${b} ${s}`);

  // summary: throughput of every broker and the ratios, one line per scenario
  out.push('## Summary: received msg/s (medians) and ratios', '');
  const rcols = [RABBIT, GARAGE].filter(Boolean);
  const heads = brokers.map((b) => `${b} msg/s`);
  for (const ref of rcols) for (const b of brokers.filter((x) => x !== ref)) heads.push(`**${b}/${ref}**`);
  for (const b of brokers) heads.push(`${b} CPU µs/msg`);
  out.push(`| scenario | ${heads.join(' | ')} |`, `|---|${heads.map(() => '---|').join('')}`);
  const line = (label, get, cpu) => {
    const cells = brokers.map((b) => num(get(b)));
    for (const ref of rcols) for (const b of brokers.filter((x) => x !== ref)) cells.push(`**${rfmt(ratio(get(b), get(ref)))}**`);
    for (const b of brokers) cells.push(num(cpu(b), 2));
    out.push(`| ${label} | ${cells.join(' | ')} |`);
  };
  for (const s of scen) line(s, (b) => med(g(b, s), 'recv_rate'), (b) => med(g(b, s), 'cpu_us_per_msg'));
  for (const s of fscen) {
    line(`${s} publish`, (b) => med(fb.get(`${b} ${s}`), 'publish_rate'), (b) => med(fb.get(`${b} ${s}`), 'publish_cpu_us'));
    line(`${s} drain`, (b) => med(fb.get(`${b} ${s}`), 'consume_rate'), (b) => med(fb.get(`${b} ${s}`), 'consume_cpu_us'));
  }
  out.push('', 'Ratios > 1: the first broker moved more messages per second. The chart '
    + `\`${basename(file).replace(/\.jsonl$/, '.svg')}\` shows the ratios vs RabbitMQ of throughput and of CPU per message.`, '');

  for (const s of scen) {
    out.push(`## ${NAMES[s] ?? s}`, '');
    const lat = s === 'e', conf = s === 'c';
    const cols = ['broker', 'recv msg/s', 'sent msg/s'];
    if (conf) cols.push('confirmed msg/s');
    cols.push(...rcols.map((r) => `recv vs ${r}`), 'broker CPU %', 'CPU µs/msg', ...rcols.map((r) => `CPU/msg vs ${r}`));
    if (lat) cols.push('latency p50 µs', 'p95 µs', 'p99 µs', 'max µs');
    cols.push('other CPU %', 'reps');
    out.push(`| ${cols.join(' | ')} |`, `|${cols.map(() => '---|').join('')}`);
    for (const b of brokers) {
      const l = g(b, s);
      if (!l) { out.push(`| ${b} | ${cols.slice(1).map(() => 'n/a').join(' | ')} |`); continue; }
      const c = [b, stat(l, 'recv_rate'), stat(l, 'sent_rate')];
      if (conf) c.push(stat(l, 'confirm_rate'));
      c.push(...rcols.map((r) => rfmt(ratio(med(l, 'recv_rate'), med(g(r, s), 'recv_rate')))));
      c.push(stat(l, 'broker_cpu_pct'), stat(l, 'cpu_us_per_msg', 2));
      c.push(...rcols.map((r) => rfmt(ratio(med(l, 'cpu_us_per_msg'), med(g(r, s), 'cpu_us_per_msg')))));
      if (lat) c.push(stat(l, 'lat_p50_us'), stat(l, 'lat_p95_us'), stat(l, 'lat_p99_us'), stat(l, 'lat_max_us'));
      c.push(stat(l, 'other_cpu_pct'), String(l.length));
      out.push(`| ${c.join(' | ')} |`);
    }
    const stalled = brokers.filter((b) => med(g(b, s), 'recv_rate') === 0);
    if (stalled.length) {
      out.push('', `⚠ ${stalled.join(', ')}: no message consumed in the measured window (e.g. no confirm arrived, so the `
        + 'producer stayed blocked on its window); its ratios are 0 and its CPU per message n/a.');
    }
    const errors = brokers.flatMap((b) => g(b, s) ?? []).filter((r) => r.errors > 0);
    if (errors.length) out.push('', `⚠ generator errors in: ${errors.map((r) => `${r.broker} r${r.rep} (${r.errors})`).join(', ')}`);
    out.push('');
  }

  for (const s of fscen) {
    out.push(`## ${F_NAMES[s]}`, '');
    const cols = ['broker', 'publish msg/s (confirmed)', 'drain msg/s', ...rcols.map((r) => `publish / drain vs ${r}`),
      'idle RSS MiB', 'RSS with backlog MiB', 'peak RSS MiB', 'RSS after drain MiB', 'messages paged out',
      'publish CPU µs/msg', 'drain CPU µs/msg', 'published / consumed', 'errors', 'reps'];
    out.push(`| ${cols.join(' | ')} |`, `|${cols.map(() => '---|').join('')}`);
    for (const b of brokers) {
      const l = fb.get(`${b} ${s}`);
      if (!l) {
        out.push(`| ${b} | ${NA[`${b} ${s}`] ? `n/a: ${NA[`${b} ${s}`]}` : 'n/a'} |${cols.slice(2).map(() => ' |').join('')}`);
        continue;
      }
      const ref = (r) => {
        const rl = fb.get(`${r} ${s}`);
        return `${rfmt(ratio(med(l, 'publish_rate'), med(rl, 'publish_rate')))} / ${rfmt(ratio(med(l, 'consume_rate'), med(rl, 'consume_rate')))}`;
      };
      const mib = 1 / 1024;
      out.push(`| ${[b, stat(l, 'publish_rate'), stat(l, 'consume_rate'), ...rcols.map(ref),
        stat(l, 'idle_rss_kb', 0, mib), stat(l, 'backlog_rss_kb', 0, mib), stat(l, 'backlog_hwm_kb', 0, mib),
        stat(l, 'after_consume_rss_kb', 0, mib), stat(l, 'messages_not_in_ram'),
        stat(l, 'publish_cpu_us', 2), stat(l, 'consume_cpu_us', 2),
        `${stat(l, 'published')} / ${stat(l, 'consumed')}`, l.map((r) => r.errors ?? '?').join(','), String(l.length)].join(' | ')} |`);
    }
    out.push('');
  }
  out.push('Columns: *recv/sent msg/s* = messages consumed/published per second over the measured window; '
    + '*broker CPU %* = broker process CPU (user+sys), 100 = one core; *CPU µs/msg* = broker CPU time per received '
    + 'message; *other CPU %* = machine busy minus generator minus broker (noise from other processes; a high '
    + 'figure means the run was disturbed). RSS: /proc VmRSS of the broker process (VmHWM for the peak); '
    + '*messages paged out* from rabbitmqctl list_queues (messages - messages_ram), RabbitMQ only.', '');

  out.push('## Runs (every try; * = the try used for its repetition)', '');
  out.push('| broker | scenario | rep | try | recv msg/s | sent msg/s | broker CPU % | CPU µs/msg | gen CPU % | other CPU % | lat p50 µs | lat p99 µs | errors | quiet-wait |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of timed) {
    out.push(`| ${r.broker} | ${r.scenario} | ${r.rep} | ${r.try ?? ''}${used.has(r) ? ' *' : ''} | ${num(r.recv_rate)} | ${num(r.sent_rate)} | `
      + `${num(r.broker_cpu_pct)} | ${num(r.cpu_us_per_msg, 2)} | ${num(r.gen_cpu_pct)} | ${num(r.other_cpu_pct)} | `
      + `${num(r.lat_p50_us)} | ${num(r.lat_p99_us)} | ${r.errors} | ${r.pre ?? ''} |`);
  }
  out.push('');

  // chart: throughput and CPU-per-message ratios against RabbitMQ (or the first broker if RabbitMQ is absent)
  const ref = RABBIT ?? brokers[0];
  const groups = [...scen, ...fscen.flatMap((s) => [`${s.replace('f-', 'f ')} pub`, `${s.replace('f-', 'f ')} drain`])];
  const get = (b, key, fkey, gi) => {
    if (gi < scen.length) return med(g(b, scen[gi]), key);
    const s = fscen[(gi - scen.length) >> 1];
    return med(fb.get(`${b} ${s}`), fkey[(gi - scen.length) % 2]);
  };
  const series = (key, fkey) => brokers.filter((b) => b !== ref).map((b) => ({
    name: b, values: groups.map((_, gi) => ratio(get(b, key, fkey, gi), get(ref, key, fkey, gi))),
  }));
  const svg = page([
    ratioBars({ title: `Throughput vs ${ref} (msg/s ratio, log scale; up = faster)`, groups,
      series: series('recv_rate', ['publish_rate', 'consume_rate']), yLabel: `msg/s ÷ ${ref}` }),
    ratioBars({ title: `Broker CPU per message vs ${ref} (ratio, log scale; down = cheaper)`, groups,
      series: series('cpu_us_per_msg', ['publish_cpu_us', 'consume_cpu_us']), yLabel: `CPU µs/msg ÷ ${ref}` }),
  ], { caption: `${basename(file)} ${opt.meta ?? ''}`.trim() });
  writeFileSync(file.replace(/\.jsonl$/, '') + '.svg', svg);
}

// ------------------------------------------------------------------ curves

const CURVES = {
  queues: { title: 'Queues: N queues with one consumer each, one producer (256 B, autoack)', x: 'queues (log scale)' },
  fanout: { title: 'Fanout width: one producer, fanout exchange with N bound queues, one consumer each (256 B, autoack)', x: 'bound queues (log scale)' },
  topic: { title: 'Topic bindings: N bindings on one topic exchange, one producer, one consumer (256 B, autoack)', x: 'bindings (log scale)' },
};

function curves() {
  header(`Cost curves: ${brokers.join(', ')}`);
  const pts = rows.filter((r) => r.curve != null);
  const { by, used } = bestByKey(pts, (r) => `${r.broker} ${r.curve} ${r.n}`);
  const names = Object.keys(CURVES).filter((c) => pts.some((r) => r.curve === c));
  out.push('Growth = CPU µs/msg at the largest N ÷ at the smallest N (1.00 = flat). CPU µs/msg is per received '
    + 'message (for fanout: per delivery, so a flat line means the per-copy cost does not grow; per published '
    + 'message it must grow with N).', '');
  for (const c of names) {
    const ns = [...new Set(pts.filter((r) => r.curve === c).map((r) => r.n))].sort((a, b) => a - b);
    const g = (b, n) => by.get(`${b} ${c} ${n}`);
    out.push(`## ${CURVES[c].title}`, '');
    const cols = ['N'];
    for (const b of brokers) {
      cols.push(`${b} recv msg/s`);
      if (c === 'fanout') cols.push(`${b} published msg/s`);
      cols.push(`${b} CPU µs/msg`);
      if (c === 'fanout') cols.push(`${b} CPU µs/published`);
    }
    for (const b of brokers) cols.push(`${b} other CPU %`);
    if (c === 'topic') cols.push(...brokers.map((b) => `${b} binding setup s`));
    out.push(`| ${cols.join(' | ')} |`, `|${cols.map(() => '---|').join('')}`);
    for (const n of ns) {
      const cells = [num(n)];
      for (const b of brokers) {
        cells.push(stat(g(b, n), 'recv_rate'));
        if (c === 'fanout') cells.push(stat(g(b, n), 'sent_rate'));
        cells.push(stat(g(b, n), 'cpu_us_per_msg', 2));
        if (c === 'fanout') cells.push(stat(g(b, n), 'cpu_us_per_sent', 2));
      }
      for (const b of brokers) cells.push(stat(g(b, n), 'other_cpu_pct'));
      if (c === 'topic') for (const b of brokers) cells.push(stat(g(b, n), (r) => r.setup?.seconds, 1));
      out.push(`| ${cells.join(' | ')} |`);
    }
    const growth = brokers.map((b) => {   // from the smallest to the largest N that has a figure
      const have = ns.filter((n) => med(g(b, n), 'cpu_us_per_msg') != null);
      if (have.length < 2) return `${b} n/a`;
      const lo = med(g(b, have[0]), 'cpu_us_per_msg'), hi = med(g(b, have.at(-1)), 'cpu_us_per_msg');
      return `${b} ${rfmt(ratio(hi, lo))}${have.at(-1) !== ns.at(-1) || have[0] !== ns[0] ? ` (N=${num(have[0])} to ${num(have.at(-1))})` : ''}`;
    });
    out.push('', `Growth of CPU µs/msg from N=${num(ns[0])} to N=${num(ns.at(-1))}: ${growth.join(', ')}.`, '');
    const series = (key) => brokers.map((b) => ({ name: b, points: ns.map((n) => [n, med(g(b, n), key)]) }));
    const charts = [
      lineChart({ title: `${c}: received msg/s`, xLabel: CURVES[c].x, yLabel: 'msg/s', series: series('recv_rate') }),
      lineChart({ title: `${c}: broker CPU µs per received msg`, xLabel: CURVES[c].x, yLabel: 'CPU µs/msg', series: series('cpu_us_per_msg') }),
    ];
    writeFileSync(`${file.replace(/\.jsonl$/, '')}-${c}.svg`,
      page(charts, { perRow: 2, caption: `${CURVES[c].title}. ${basename(file)} ${opt.meta ?? ''}`.trim() }));
    out.push(`Chart: \`${basename(file).replace(/\.jsonl$/, '')}-${c}.svg\`.`, '');
  }
  out.push('## Runs (every try; * = the try used for its repetition)', '');
  out.push('| broker | curve | N | rep | try | recv msg/s | sent msg/s | broker CPU % | CPU µs/msg | gen CPU % | other CPU % | errors | quiet-wait |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of pts) {
    out.push(`| ${r.broker} | ${r.curve} | ${num(r.n)} | ${r.rep} | ${r.try ?? ''}${used.has(r) ? ' *' : ''} | ${num(r.recv_rate)} | `
      + `${num(r.sent_rate)} | ${num(r.broker_cpu_pct)} | ${num(r.cpu_us_per_msg, 2)} | ${num(r.gen_cpu_pct)} | `
      + `${num(r.other_cpu_pct)} | ${r.errors} | ${r.pre ?? ''} |`);
  }
  out.push('');
}

if (mode === 'matrix') matrix(); else curves();
console.log(out.join('\n'));
