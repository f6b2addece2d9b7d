// Overview: queued-message totals, the node's message-rate and queue-length charts (from polled
// /api/overview), object totals, node health (memory, file descriptors, sockets, disk, alarms) and listeners.
import { html } from '../lib.js';
import { get } from '../api.js';
import { Chart, COLORS, history, record } from '../chart.js';
import { ErrorLine, Panel, usePoll } from '../forms.js';
import { bytes, duration, num, rate, rateOf } from '../format.js';
import { DataTable } from '../table.js';

export const RATE_SERIES = [
  { key: 'publish', label: 'Publish' }, { key: 'confirm', label: 'Publisher confirm' }, { key: 'deliver_get', label: 'Deliver / get' },
  { key: 'ack', label: 'Consumer ack' }, { key: 'redeliver', label: 'Redelivered' }, { key: 'unroutable', label: 'Unroutable' },
].map((s, i) => ({ ...s, color: COLORS[i] }));
export const LENGTH_SERIES = [
  { key: 'messages_ready', label: 'Ready', color: COLORS[0] },
  { key: 'messages_unacknowledged', label: 'Unacked', color: COLORS[1] },
  { key: 'messages', label: 'Total', color: COLORS[4] },
];

/** The chartable rates of a message_stats object (RabbitMQ folds returned and dropped into "unroutable"). */
export function rateValues(s) {
  const r = (k) => rateOf(s, k) ?? 0;
  return { publish: r('publish'), confirm: r('confirm'), deliver_get: r('deliver_get'), ack: r('ack'), redeliver: r('redeliver'),
    unroutable: r('return_unroutable') + r('drop_unroutable'), publish_in: r('publish_in'), publish_out: r('publish_out') };
}

function Bar({ used, limit, fmt = num, alarm }) {
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
  return html`<div class=${`bar ${alarm ? 'alarm' : pct > 80 ? 'warn' : ''}`} title=${limit ? `${pct.toFixed(0)}%` : ''}>
    <div class="bar-fill" style=${`width:${pct}%`}></div><span>${fmt(used)}${limit ? html` <small>/ ${fmt(limit)}</small>` : ''}</span></div>`;
}

export function Overview({ refreshMs, isAdmin, me }) {
  const ov = usePoll(async () => {
    const [o, nodes] = await Promise.all([get('/overview'), get('/nodes').catch(() => [])]);
    const t = Date.now();
    record('overview:rates', t, rateValues(o.message_stats));
    record('overview:lengths', t, { ...o.queue_totals });
    return { o, node: nodes[0], t };
  }, [], refreshMs);
  const o = ov.data?.o, node = ov.data?.node;
  const qt = o?.queue_totals ?? {}, tot = o?.object_totals ?? {};
  const monitor = isAdmin || me.tags.includes('monitoring');
  return html`
    <h1>Overview</h1>
    <${ErrorLine} error=${ov.error} />
    <div class="cards" id="totals">
      <div class="card"><small>Ready</small><b id="total-ready">${num(qt.messages_ready)}</b></div>
      <div class="card"><small>Unacked</small><b id="total-unacked">${num(qt.messages_unacknowledged)}</b></div>
      <div class="card"><small>Total queued</small><b id="total-messages">${num(qt.messages)}</b></div>
      <div class="card"><small>Publish</small><b>${rate(rateOf(o?.message_stats, 'publish') ?? 0)}</b></div>
      <div class="card"><small>Deliver / get</small><b>${rate(rateOf(o?.message_stats, 'deliver_get') ?? 0)}</b></div>
      <div class="sep"></div>
      ${['connections', 'channels', 'exchanges', 'queues', 'consumers'].map((k) => html`
        <a class="card link" href=${`#/${k === 'consumers' ? 'queues' : k}`}><small>${k[0].toUpperCase() + k.slice(1)}</small><b id=${`count-${k}`}>${num(tot[k])}</b></a>`)}
    </div>
    ${o?.rates_mode === 'none' && html`<div class="msg">Statistics are off on this node (rates_mode none): no rates to chart.</div>`}
    <div class="charts">
      <${Chart} id="chart-rates" title="Message rates" series=${RATE_SERIES} points=${history('overview:rates')} kind="rate" />
      <${Chart} id="chart-lengths" title="Queued messages" series=${LENGTH_SERIES} points=${history('overview:lengths')} kind="count" />
    </div>
    ${monitor && node && html`
    <${Panel} title="Node" id="node-panel">
      <table class="facts">
        <tr><th>Name</th><td>${node.name}</td><th>Uptime</th><td>${duration(node.uptime)}</td><th>Processors</th><td>${node.processors}</td></tr>
        <tr><th>Memory</th><td colspan="1"><${Bar} used=${node.mem_used} limit=${node.mem_limit} fmt=${bytes} alarm=${node.mem_alarm} /></td>
            <th>Disk free</th><td><${Bar} used=${node.disk_free} limit=${0} fmt=${bytes} alarm=${node.disk_free_alarm} /><small> limit ${bytes(node.disk_free_limit)}</small></td>
            <th>File descriptors</th><td><${Bar} used=${node.fd_used} limit=${node.fd_total} /></td></tr>
        <tr><th>Sockets</th><td><${Bar} used=${node.sockets_used} limit=${node.sockets_total} /></td>
            <th>Alarms</th><td id="alarms">${node.mem_alarm || node.disk_free_alarm
              ? html`<span class="badge red">${[node.mem_alarm && 'memory', node.disk_free_alarm && 'disk'].filter(Boolean).join(', ')} alarm</span>`
              : html`<span class="badge green">none</span>`}</td>
            <th>Data dir</th><td class="mono">${node.db_dir}</td></tr>
      </table>
    <//>`}
    ${o && html`
    <${Panel} title="Churn" open=${false}>
      <table class="facts">
        ${[['connection', 'Connections'], ['channel', 'Channels'], ['queue', 'Queues']].map(([k, label]) => html`<tr><th>${label}</th>
          <td>${rate(rateOf(o.churn_rates, `${k}_${k === 'queue' ? 'declared' : 'created'}`) ?? 0)} ${k === 'queue' ? 'declared' : 'created'}</td>
          <td>${rate(rateOf(o.churn_rates, `${k}_${k === 'queue' ? 'deleted' : 'closed'}`) ?? 0)} ${k === 'queue' ? 'deleted' : 'closed'}</td></tr>`)}
      </table>
    <//>
    <${Panel} title="Ports and contexts" id="listeners">
      <${DataTable} rows=${o.listeners} rowKey=${(l) => `${l.protocol}:${l.ip_address}:${l.port}`} filterText=${(l) => l.protocol}
        columns=${[{ key: 'protocol', label: 'Protocol' }, { key: 'node', label: 'Node' }, { key: 'ip_address', label: 'Bound to' }, { key: 'port', label: 'Port', num: true }]} />
    <//>`}`;
}
