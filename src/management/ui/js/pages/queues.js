// Queues: the list (lengths and rates, filterable, sortable) with the "Add a new queue" form, and a queue's page:
// charts, details, consumers, bindings, publish, get, purge and delete.
import { html, useState } from '../lib.js';
import { api, enc, get } from '../api.js';
import { BindForm, BindingsTable } from '../bindings.js';
import { Chart, COLORS, history, record } from '../chart.js';
import { ArgsEditor, ConfirmButton, emptyRows, ErrorLine, Field, Notice, Panel, toObject, useAction, usePoll } from '../forms.js';
import { bytes, num, rate, rateOf } from '../format.js';
import { GetForm, PublishForm } from '../messages.js';
import { DataTable } from '../table.js';

const QUEUE_ARG_HINTS = [
  { key: 'x-queue-type', label: 'Queue type', type: 'String', value: 'classic' }, { key: 'x-message-ttl', label: 'Message TTL', type: 'Number' },
  { key: 'x-expires', label: 'Auto expire', type: 'Number' }, { key: 'x-max-length', label: 'Max length', type: 'Number' },
  { key: 'x-max-length-bytes', label: 'Max length bytes', type: 'Number' }, { key: 'x-overflow', label: 'Overflow behaviour', type: 'String', value: 'reject-publish' },
  { key: 'x-dead-letter-exchange', label: 'Dead letter exchange', type: 'String' }, { key: 'x-dead-letter-routing-key', label: 'Dead letter routing key', type: 'String' },
  { key: 'x-single-active-consumer', label: 'Single active consumer', type: 'Boolean', value: 'true' }, { key: 'x-max-priority', label: 'Maximum priority', type: 'Number' },
  { key: 'x-queue-mode', label: 'Lazy mode', type: 'String', value: 'lazy' },
];

/** RabbitMQ's feature letters: D durable, AD auto-delete, Excl exclusive, Args, and the policy name. */
export function Features({ o }) {
  const args = Object.keys(o.arguments ?? {});
  return html`<span class="features">
    ${o.durable && html`<abbr class="tag" title="durable: true">D</abbr>`}
    ${o.auto_delete && html`<abbr class="tag" title="auto_delete: true">AD</abbr>`}
    ${o.exclusive && html`<abbr class="tag" title="exclusive: true">Excl</abbr>`}
    ${o.internal && html`<abbr class="tag" title="internal: true">I</abbr>`}
    ${args.length > 0 && html`<abbr class="tag" title=${args.map((k) => `${k}: ${JSON.stringify(o.arguments[k])}`).join('\n')}>Args</abbr>`}
    ${o.policy && html`<abbr class="tag policy" title="policy">${o.policy}</abbr>`}</span>`;
}

function AddQueue({ vhosts, vhost, onDone }) {
  const [v, setV] = useState(vhost || vhosts[0] || '/');
  const [name, setName] = useState('');
  const [type, setType] = useState('classic');
  const [durable, setDurable] = useState('true');
  const [autoDelete, setAutoDelete] = useState('false');
  const [rows, setRows] = useState(emptyRows);
  const [st, run] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const args = toObject(rows);
      if (type !== 'classic') args['x-queue-type'] = type;
      await api('PUT', `/queues/${enc(v)}/${enc(name)}`, { durable: durable === 'true', auto_delete: autoDelete === 'true', arguments: args });
      onDone();
      return name;
    }, (n) => `Queue '${n}' declared.`);
  };
  return html`
    <form class="form" id="add-queue" onSubmit=${submit}>
      <${Field} label="Virtual host"><select name="vhost" value=${v} onChange=${(e) => setV(e.currentTarget.value)}>${vhosts.map((x) => html`<option>${x}</option>`)}</select><//>
      <${Field} label="Type"><select name="type" value=${type} onChange=${(e) => setType(e.currentTarget.value)}><option value="classic">Classic</option></select><//>
      <${Field} label="Name"><input name="name" required value=${name} onInput=${(e) => setName(e.currentTarget.value)} /><//>
      <${Field} label="Durability"><select name="durable" value=${durable} onChange=${(e) => setDurable(e.currentTarget.value)}>
        <option value="true">Durable</option><option value="false">Transient</option></select><//>
      <${Field} label="Auto delete"><select name="auto_delete" value=${autoDelete} onChange=${(e) => setAutoDelete(e.currentTarget.value)}>
        <option value="false">No</option><option value="true">Yes</option></select><//>
      <${Field} label="Arguments"><${ArgsEditor} rows=${rows} setRows=${setRows} hints=${QUEUE_ARG_HINTS} /><//>
      <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Add queue</button><${Notice} text=${st.ok} /><${ErrorLine} error=${st.error} /></div>
    </form>`;
}

const qpath = (q) => `#/queues/${enc(q.vhost)}/${enc(q.name)}`;

export function Queues({ vhost, vhosts, refreshMs }) {
  const list = usePoll(() => get(vhost ? `/queues/${enc(vhost)}` : '/queues'), [vhost], refreshMs);
  const columns = [
    ...(vhost ? [] : [{ key: 'vhost', label: 'Virtual host' }]),
    { key: 'name', label: 'Name', cell: (q) => html`<a href=${qpath(q)}>${q.name}</a>` },
    { key: 'type', label: 'Type' },
    { key: 'features', label: 'Features', sortable: false, cell: (q) => html`<${Features} o=${q} />` },
    { key: 'state', label: 'State', cell: (q) => html`<span class=${`state ${q.state}`}>${q.state}</span>` },
    { key: 'messages_ready', label: 'Ready', num: true, value: (q) => q.messages_ready, cell: (q) => num(q.messages_ready) },
    { key: 'messages_unacknowledged', label: 'Unacked', num: true, value: (q) => q.messages_unacknowledged, cell: (q) => num(q.messages_unacknowledged) },
    { key: 'messages', label: 'Total', num: true, value: (q) => q.messages, cell: (q) => html`<b class="qcount">${num(q.messages)}</b>` },
    { key: 'in', label: 'Incoming', num: true, value: (q) => rateOf(q.message_stats, 'publish') ?? 0, cell: (q) => rate(rateOf(q.message_stats, 'publish') ?? 0) },
    { key: 'out', label: 'Deliver / get', num: true, value: (q) => rateOf(q.message_stats, 'deliver_get') ?? 0, cell: (q) => rate(rateOf(q.message_stats, 'deliver_get') ?? 0) },
    { key: 'ack', label: 'Ack', num: true, value: (q) => rateOf(q.message_stats, 'ack') ?? 0, cell: (q) => rate(rateOf(q.message_stats, 'ack') ?? 0) },
    { key: 'consumers', label: 'Consumers', num: true },
  ];
  return html`
    <h1>Queues</h1>
    <${ErrorLine} error=${list.error} />
    <${Panel} title="All queues" id="queues-panel">
      <${DataTable} id="queues-table" rows=${list.data} rowKey=${(q) => `${q.vhost}/${q.name}`} columns=${columns} empty="No queues." />
    <//>
    <${Panel} title="Add a new queue" open=${false} id="add-queue-panel">
      <${AddQueue} vhosts=${vhosts} vhost=${vhost} onDone=${list.reload} />
    <//>`;
}

const Q_RATES = [{ key: 'publish', label: 'Publish' }, { key: 'deliver_get', label: 'Deliver / get' }, { key: 'ack', label: 'Consumer ack' },
  { key: 'redeliver', label: 'Redelivered' }].map((s, i) => ({ ...s, color: COLORS[[0, 2, 3, 4][i]] }));
const Q_LENGTHS = [{ key: 'messages_ready', label: 'Ready', color: COLORS[0] }, { key: 'messages_unacknowledged', label: 'Unacked', color: COLORS[1] },
  { key: 'messages', label: 'Total', color: COLORS[4] }];

export function QueueDetail({ args, refreshMs }) {
  const [vhost, name] = args;
  const base = `/queues/${enc(vhost)}/${enc(name)}`;
  const hkey = `queue:${vhost}:${name}`;
  const q = usePoll(async () => {
    const [info, bindings] = await Promise.all([get(base), get(`${base}/bindings`)]);
    const t = Date.now(), s = info.message_stats;
    record(`${hkey}:rates`, t, Object.fromEntries(Q_RATES.map((r) => [r.key, rateOf(s, r.key) ?? 0])));
    record(`${hkey}:lengths`, t, { messages: info.messages, messages_ready: info.messages_ready, messages_unacknowledged: info.messages_unacknowledged });
    return { info, bindings };
  }, [base], refreshMs);
  const [st, run] = useAction();
  const [ifUnused, setIfUnused] = useState(false);
  const [ifEmpty, setIfEmpty] = useState(false);
  const info = q.data?.info;
  if (q.error?.status === 404) return html`<h1>Queue <b>${name}</b></h1><div class="msg error" id="queue-missing">This queue does not exist (any more). <a href="#/queues">All queues</a></div>`;
  const remove = () => run(async () => {
    const qs = [ifUnused && 'if-unused=true', ifEmpty && 'if-empty=true'].filter(Boolean).join('&');
    await api('DELETE', `${base}${qs ? `?${qs}` : ''}`);
    location.hash = '#/queues';
  });
  return html`
    <h1><small>Queue</small> <span id="queue-name">${name}</span> <small class="muted">in virtual host ${vhost}</small></h1>
    <${ErrorLine} error=${q.error} />
    ${info && html`
    <div class="cards">
      <div class="card"><small>Ready</small><b id="queue-ready">${num(info.messages_ready)}</b></div>
      <div class="card"><small>Unacked</small><b id="queue-unacked">${num(info.messages_unacknowledged)}</b></div>
      <div class="card"><small>Total</small><b id="queue-messages">${num(info.messages)}</b></div>
      <div class="card"><small>Message bytes</small><b>${bytes(info.message_bytes)}</b></div>
      <div class="card"><small>Consumers</small><b id="queue-consumers">${num(info.consumers)}</b></div>
      <div class="card"><small>State</small><b class=${`state ${info.state}`}>${info.state}</b></div>
    </div>`}
    <div class="charts">
      <${Chart} id="queue-chart-lengths" title="Queued messages" series=${Q_LENGTHS} points=${history(`${hkey}:lengths`)} kind="count" />
      <${Chart} id="queue-chart-rates" title="Message rates" series=${Q_RATES} points=${history(`${hkey}:rates`)} kind="rate" />
    </div>
    ${info && html`
    <${Panel} title="Details">
      <table class="facts">
        <tr><th>Features</th><td><${Features} o=${info} /></td><th>Type</th><td>${info.type}</td><th>Node</th><td>${info.node}</td></tr>
        <tr><th>Policy</th><td>${info.policy ?? ''}</td><th>Operator policy</th><td>${info.operator_policy ?? ''}</td>
            <th>Effective policy definition</th><td class="mono">${Object.keys(info.effective_policy_definition ?? {}).length ? JSON.stringify(info.effective_policy_definition) : ''}</td></tr>
        <tr><th>Arguments</th><td colspan="5" class="mono">${Object.entries(info.arguments ?? {}).map(([k, v]) => html`<span class="kv">${k}: ${JSON.stringify(v)}</span>`)}</td></tr>
        <tr><th>Consumer utilisation</th><td>${info.consumer_utilisation === undefined ? '' : `${Math.round(info.consumer_utilisation * 100)}%`}</td>
            <th>Exclusive consumer</th><td>${info.exclusive_consumer_tag ?? ''}</td><th>Single active consumer</th><td>${info.single_active_consumer_tag ?? ''}</td></tr>
      </table>
    <//>
    <${Panel} title=${`Consumers (${info.consumers})`} open=${info.consumers > 0}>
      <${DataTable} id="consumers-table" rows=${info.consumer_details ?? []} rowKey=${(c) => `${c.channel_details?.name}|${c.consumer_tag}`}
        filterText=${(c) => `${c.consumer_tag} ${c.channel_details?.name ?? ''}`} empty="No consumers."
        columns=${[{ key: 'channel', label: 'Channel', value: (c) => c.channel_details?.name ?? '' },
          { key: 'consumer_tag', label: 'Consumer tag' }, { key: 'ack_required', label: 'Ack required', cell: (c) => (c.ack_required ? '●' : '○') },
          { key: 'exclusive', label: 'Exclusive', cell: (c) => (c.exclusive ? '●' : '○') }, { key: 'prefetch_count', label: 'Prefetch count', num: true },
          { key: 'active', label: 'Active', cell: (c) => (c.active === false ? '○' : '●') },
          { key: 'arguments', label: 'Arguments', sortable: false, value: (c) => JSON.stringify(c.arguments ?? {}) }]} />
    <//>`}
    <${Panel} title="Bindings" id="queue-bindings">
      <${BindingsTable} rows=${q.data?.bindings} side="destination" onChange=${q.reload} />
      <h3>Add binding to this queue</h3>
      <${BindForm} vhost=${vhost} fixed=${{ kind: 'queue', name }} onDone=${q.reload} />
    <//>
    <${Panel} title="Publish message" open=${false} id="publish-panel">
      <${PublishForm} vhost=${vhost} exchange="" routingKey=${name} onDone=${q.reload} />
    <//>
    <${Panel} title="Get messages" open=${false} id="get-panel">
      <${GetForm} vhost=${vhost} queue=${name} onDone=${q.reload} />
    <//>
    <${Panel} title="Delete / purge" open=${false} id="danger-panel">
      <div class="danger-zone">
        <div><${ConfirmButton} id="purge-queue" label="Purge messages" question=${`Purge all messages of '${name}'?`}
          onConfirm=${() => run(() => api('DELETE', `${base}/contents`).then(q.reload), 'Queue purged.')} /></div>
        <div><label class="check"><input type="checkbox" checked=${ifUnused} onChange=${(e) => setIfUnused(e.currentTarget.checked)} /> only if unused</label>
          <label class="check"><input type="checkbox" checked=${ifEmpty} onChange=${(e) => setIfEmpty(e.currentTarget.checked)} /> only if empty</label>
          <${ConfirmButton} id="delete-queue" label="Delete queue" question=${`Delete queue '${name}'?`} onConfirm=${remove} /></div>
        <${Notice} text=${st.ok} /><${ErrorLine} error=${st.error} />
      </div>
    <//>`;
}
