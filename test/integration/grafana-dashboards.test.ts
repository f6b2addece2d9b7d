// RabbitMQ's published Grafana dashboards against Warren's Prometheus endpoint: every PromQL expression of every
// dashboard in test/fixtures/grafana/ (see its README for source and licence) is parsed for the metric names it
// reads and the labels it matches, joins or groups on; after a small workload Warren's /metrics must expose each
// of those metrics, with those labels, so the panels render (identity_info carries rabbitmq_cluster and
// rabbitmq_node for the `* on(instance) group_left(...) rabbitmq_identity_info` joins). Labels Prometheus adds
// at scrape time (instance, job) or a Kubernetes scrape config adds (namespace) are not the exporter's to emit.
// Then a real Prometheus (Debian's, extracted by .ci/run; WARREN_PROMETHEUS_BIN elsewhere) scrapes Warren and
// evaluates every panel expression: each must return data. It fails on CI without the binary, skips elsewhere.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { external, startWarren, type TestBroker } from '../support/broker.js';
import { eventually, sleep } from '../support/amqp.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', '..', '..', 'test', 'fixtures', 'grafana');
const TARGET_LABELS = new Set(['instance', 'job', 'namespace']);
const PROMQL_WORDS = new Set(['sum', 'rate', 'irate', 'increase', 'avg', 'max', 'min', 'count', 'by', 'on', 'without', 'ignoring',
  'group_left', 'group_right', 'topk', 'bottomk', 'delta', 'label_values', 'and', 'or', 'unless', 'offset', 'bool']);

interface Use { metric: string; labels: Set<string> }
interface Parsed { expr: string; metrics: Set<string>; uses: Use[]; groupBy: Set<string> }

/** Metric names, and for each the labels matched on it or joined from it; labels grouped by. */
export function parseExpr(raw: string): Parsed {
  let e = raw.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\[[^\]]*\]/g, '');
  const uses: Use[] = [];
  const groupBy = new Set<string>();
  const names = (list: string) => list.split(',').map((s) => s.trim()).filter(Boolean);
  // group_left(l...) M: the joined labels come from M.
  e = e.replace(/group_(?:left|right)\s*\(([^)]*)\)\s*([a-zA-Z_:][\w:]*)/g, (_m, ls: string, metric: string) => {
    uses.push({ metric, labels: new Set(names(ls)) });
    return ` ${metric}`;
  });
  // M{l="..."}: matched labels on M.
  e = e.replace(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g, (_m, metric: string, body: string) => {
    const ls = [...body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]!);
    uses.push({ metric, labels: new Set(ls) });
    return ` ${metric}`;
  });
  e = e.replace(/\b(by|without)\s*\(([^)]*)\)/g, (_m, _k, ls: string) => { for (const l of names(ls)) groupBy.add(l); return ' '; });
  e = e.replace(/\b(on|ignoring)\s*\(([^)]*)\)/g, (_m, _k, ls: string) => { for (const l of names(ls)) groupBy.add(l); return ' '; });
  // label_values(metric, label)
  e = e.replace(/label_values\s*\(\s*([a-zA-Z_:][\w:]*)\s*,\s*([a-zA-Z_]\w*)\s*\)/g, (_m, metric: string, label: string) => {
    uses.push({ metric, labels: new Set([label]) });
    return ` ${metric}`;
  });
  const metrics = new Set<string>();
  for (const m of e.matchAll(/(?<![\w:.])[a-zA-Z_:][\w:]*/g)) {
    const after = e.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(after) || PROMQL_WORDS.has(m[0])) continue; // a function or keyword
    metrics.add(m[0]);
  }
  for (const u of uses) metrics.add(u.metric);
  return { expr: raw, metrics, uses, groupBy };
}

/** Exposition text -> metric name -> label names seen on its samples (families without samples count too). */
function exposition(text: string): Map<string, { labels: Set<string>; values: number[] }> {
  const out = new Map<string, { labels: Set<string>; values: number[] }>();
  const get = (n: string) => { let f = out.get(n); if (!f) { f = { labels: new Set(), values: [] }; out.set(n, f); } return f; };
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) /.exec(line);
    if (t) { get(t[1]!); continue; }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `exposition line: ${line}`);
    const f = get(m[1]!);
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) f.labels.add(l[1]!);
    f.values.push(Number(m[3]));
  }
  return out;
}

/** Every target expr and templating query of a dashboard (rows' nested panels included). */
function expressions(dash: { panels?: unknown[]; templating?: { list?: { query?: unknown }[] } }): string[] {
  const out: string[] = [];
  const walk = (panels: unknown[] | undefined) => {
    for (const p of panels ?? []) {
      const panel = p as { targets?: { expr?: string }[]; panels?: unknown[] };
      for (const t of panel.targets ?? []) if (t.expr) out.push(t.expr);
      walk(panel.panels);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating?.list ?? []) if (typeof v.query === 'string' && v.query.includes('(')) out.push(v.query);
  return out;
}

const dashboards = readdirSync(dir).filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Parameters<typeof expressions>[0] }));

describe('RabbitMQ\'s Grafana dashboards against Warren\'s /metrics', { skip: external ? 'reads Warren\'s own Prometheus endpoint' : false }, () => {
  let b: TestBroker;
  let metrics: Map<string, { labels: Set<string>; values: number[] }>;
  const N = 20;

  before(async () => {
    b = await startWarren();
    // A small workload touching every counter the dashboards chart.
    const c = await amqp.connect(b.url);
    const ch = await c.createConfirmChannel();
    const q = (await ch.assertQueue('grafana-q', { durable: false })).queue;
    for (let i = 0; i < N; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    ch.publish('amq.direct', 'nowhere', Buffer.from('dropped'));
    ch.publish('amq.direct', 'nowhere', Buffer.from('returned'), { mandatory: true });
    await ch.waitForConfirms();
    const got = await ch.get(q);
    if (got) ch.ack(got);
    await ch.get(q, { noAck: true });
    let acked = 0;
    await ch.consume(q, (m) => { if (m) { ch.ack(m); acked++; } });
    await eventually(() => acked >= N - 2);
    const drained = await c.createChannel();
    await drained.get(q); // empty
    const text = await (await fetch(`${b.promUrl}/metrics`)).text();
    metrics = exposition(text);
    // The connection stays open: the gauges (connections, channels, consumers) have something to show.
  });
  after(async () => { await b?.stop(); });

  it('the vendored dashboards are there and have expressions', () => {
    assert.ok(dashboards.some((d) => d.file === 'RabbitMQ-Overview.json'));
    for (const d of dashboards) assert.ok(expressions(d.json).length > 10, `${d.file} has expressions`);
  });

  it('the expression parser finds metrics, joined labels and grouping labels', () => {
    const p = parseExpr('sum(rate(rabbitmq_channel_get_total[60s]) * on(instance) group_left(rabbitmq_cluster, rabbitmq_node) ' +
      'rabbitmq_identity_info{rabbitmq_cluster="$rabbitmq_cluster", namespace="$namespace"}) by(rabbitmq_node)');
    assert.deepEqual([...p.metrics].sort(), ['rabbitmq_channel_get_total', 'rabbitmq_identity_info']);
    assert.deepEqual(p.uses.map((u) => [u.metric, [...u.labels].sort()]), [
      ['rabbitmq_identity_info', ['rabbitmq_cluster', 'rabbitmq_node']],
      ['rabbitmq_identity_info', ['namespace', 'rabbitmq_cluster']],
    ]);
    assert.deepEqual([...p.groupBy].sort(), ['instance', 'rabbitmq_node']);
    assert.deepEqual([...parseExpr('label_values(rabbitmq_identity_info{namespace="$namespace"}, rabbitmq_cluster)').metrics], ['rabbitmq_identity_info']);
  });

  for (const d of dashboards) {
    it(`${d.file}: every metric and label its panels use is exposed`, () => {
      const missing: string[] = [];
      for (const expr of expressions(d.json)) {
        const p = parseExpr(expr);
        const available = new Set<string>();
        for (const m of p.metrics) {
          const f = metrics.get(m);
          if (!f) { missing.push(`${m} (in: ${expr.slice(0, 80)}...)`); continue; }
          for (const l of f.labels) available.add(l);
        }
        for (const u of p.uses) {
          const f = metrics.get(u.metric);
          if (!f) continue;
          for (const l of u.labels) if (!TARGET_LABELS.has(l) && !f.labels.has(l)) missing.push(`label ${l} on ${u.metric}`);
        }
        for (const l of p.groupBy) if (!TARGET_LABELS.has(l) && !available.has(l)) missing.push(`label ${l} to group by in ${expr.slice(0, 80)}...`);
      }
      assert.deepEqual([...new Set(missing)], [], `${d.file} reads what Warren does not expose`);
    });
  }

  it('the identity join has one series, and the workload shows in the counters the panels chart', () => {
    const id = metrics.get('rabbitmq_identity_info')!;
    assert.deepEqual(id.values, [1]);
    for (const l of ['rabbitmq_cluster', 'rabbitmq_node']) assert.ok(id.labels.has(l), l);
    const v = (n: string) => metrics.get(n)!.values.reduce((a, x) => a + x, 0);
    assert.ok(v('rabbitmq_channel_messages_published_total') >= N + 2);
    assert.ok(v('rabbitmq_channel_messages_confirmed_total') >= N + 2);
    assert.ok(v('rabbitmq_queue_messages_published_total') >= N);
    assert.ok(v('rabbitmq_channel_messages_unroutable_dropped_total') >= 1);
    assert.ok(v('rabbitmq_channel_messages_unroutable_returned_total') >= 1);
    assert.ok(v('rabbitmq_channel_get_ack_total') >= 1 && v('rabbitmq_channel_get_total') >= 1 && v('rabbitmq_channel_get_empty_total') >= 1);
    assert.ok(v('rabbitmq_channel_messages_delivered_ack_total') >= N - 2);
    assert.ok(v('rabbitmq_channel_consumers') >= 1);
    assert.equal(v('rabbitmq_channel_messages_unconfirmed'), 0);
    assert.ok(v('rabbitmq_process_max_fds') > v('rabbitmq_process_open_fds'));
    assert.ok(v('rabbitmq_process_max_tcp_sockets') > v('rabbitmq_process_open_tcp_sockets'));
    assert.ok(v('rabbitmq_process_open_tcp_sockets') >= 1);
  });

  it('/metrics/per-object has the same families, per queue and per channel', async () => {
    const per = exposition(await (await fetch(`${b.promUrl}/metrics/per-object`)).text());
    for (const name of metrics.keys()) assert.ok(per.has(name), `${name} in /metrics/per-object`);
    for (const l of ['vhost', 'queue']) assert.ok(per.get('rabbitmq_queue_messages_published_total')!.labels.has(l));
    assert.ok(per.get('rabbitmq_channel_consumers')!.labels.has('channel'));
  });

  it('a real Prometheus scraping Warren returns data for every panel expression', async (t) => {
    const bin = [process.env.WARREN_PROMETHEUS_BIN, '/usr/local/bin/prometheus', '/usr/bin/prometheus'].find((p) => p && existsSync(p));
    if (!bin) {
      if (process.env.CI === 'true') assert.fail('prometheus is not installed (.ci/run extracts Debian\'s to /usr/local/bin)');
      t.skip('no prometheus binary (set WARREN_PROMETHEUS_BIN)');
      return;
    }
    const work = mkdtempSync(join(tmpdir(), 'warren-prom-'));
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => { const p = (srv.address() as { port: number }).port; srv.close(() => resolve(p)); });
    });
    const target = new URL(b.promUrl!).host;
    writeFileSync(join(work, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: warren\n    static_configs:\n      - targets: ['${target}']\n`);
    const proc = spawn(bin, [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { log += d; });
    t.after(() => { proc.kill('SIGKILL'); rmSync(work, { recursive: true, force: true }); });
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = async (q: string) => {
      const r = await fetch(`${api}/query?query=${encodeURIComponent(q)}`);
      const body = await r.json() as { status: string; error?: string; data?: { result: { metric: Record<string, string> }[] } };
      assert.equal(body.status, 'success', `${q}: ${body.error ?? ''}`);
      return body.data!.result;
    };
    // Three scrapes at least, so rate(...[60s]) has two points.
    await eventually(async () => {
      try { return (await query('count_over_time(rabbitmq_identity_info[1m]) >= 3')).length === 1; } catch { return false; }
    }, 30000, 250).catch(() => { throw new Error(`prometheus did not scrape Warren:\n${log}`); });
    const cluster = (await query('rabbitmq_identity_info'))[0]!.metric.rabbitmq_cluster!;
    await sleep(1000);
    const empty: string[] = [];
    let evaluated = 0;
    for (const d of dashboards) {
      for (const expr of expressions(d.json)) {
        if (expr.startsWith('label_values(')) continue; // a Grafana templating function, not PromQL
        // No namespace label outside Kubernetes: namespace="" matches its absence, as Grafana's empty variable would.
        const q = expr.replaceAll('$rabbitmq_cluster', cluster).replaceAll('$namespace', '');
        evaluated++;
        if ((await query(q)).length === 0) empty.push(`${d.file}: ${expr}`);
      }
    }
    assert.ok(evaluated >= 40, `${evaluated} expressions evaluated`);
    assert.deepEqual(empty, [], 'panels without data');
  });
});
