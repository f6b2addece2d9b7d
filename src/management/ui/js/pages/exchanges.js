// Exchanges: the list with publish rates and the "Add a new exchange" form; an exchange's page: rate chart,
// bindings from and to it, bind, publish and delete.
import { html, useState } from '../lib.js';
import { api, enc, get } from '../api.js';
import { BindForm, BindingsTable } from '../bindings.js';
import { Chart, COLORS, history, record } from '../chart.js';
import { ArgsEditor, ConfirmButton, emptyRows, ErrorLine, Field, Notice, Panel, toObject, useAction, usePoll } from '../forms.js';
import { exchangeLabel, exchangePath, rate, rateOf } from '../format.js';
import { PublishForm } from '../messages.js';
import { DataTable } from '../table.js';
import { Features } from './queues.js';

const TYPES = ['direct', 'fanout', 'headers', 'topic'];
const EXCHANGE_ARG_HINTS = [{ key: 'alternate-exchange', label: 'Alternate exchange', type: 'String' }];

function AddExchange({ vhosts, vhost, onDone }) {
  const [v, setV] = useState(vhost || vhosts[0] || '/');
  const [name, setName] = useState('');
  const [type, setType] = useState('direct');
  const [durable, setDurable] = useState('true');
  const [autoDelete, setAutoDelete] = useState('false');
  const [internal, setInternal] = useState('false');
  const [rows, setRows] = useState(emptyRows);
  const [st, run] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      await api('PUT', `/exchanges/${enc(v)}/${enc(name)}`,
        { type, durable: durable === 'true', auto_delete: autoDelete === 'true', internal: internal === 'true', arguments: toObject(rows) });
      onDone();
      return name;
    }, (n) => `Exchange '${n}' declared.`);
  };
  const yesNo = (val, set, n) => html`<select name=${n} value=${val} onChange=${(e) => set(e.currentTarget.value)}><option value="false">No</option><option value="true">Yes</option></select>`;
  return html`
    <form class="form" id="add-exchange" onSubmit=${submit}>
      <${Field} label="Virtual host"><select value=${v} onChange=${(e) => setV(e.currentTarget.value)}>${vhosts.map((x) => html`<option>${x}</option>`)}</select><//>
      <${Field} label="Name"><input name="name" required value=${name} onInput=${(e) => setName(e.currentTarget.value)} /><//>
      <${Field} label="Type"><select name="type" value=${type} onChange=${(e) => setType(e.currentTarget.value)}>${TYPES.map((t) => html`<option>${t}</option>`)}</select><//>
      <${Field} label="Durability"><select value=${durable} onChange=${(e) => setDurable(e.currentTarget.value)}><option value="true">Durable</option><option value="false">Transient</option></select><//>
      <${Field} label="Auto delete">${yesNo(autoDelete, setAutoDelete, 'auto_delete')}<//>
      <${Field} label="Internal">${yesNo(internal, setInternal, 'internal')}<//>
      <${Field} label="Arguments"><${ArgsEditor} rows=${rows} setRows=${setRows} hints=${EXCHANGE_ARG_HINTS} /><//>
      <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Add exchange</button><${Notice} text=${st.ok} /><${ErrorLine} error=${st.error} /></div>
    </form>`;
}

const xpath = (x) => `#/exchanges/${enc(x.vhost)}/${enc(exchangePath(x.name))}`;

export function Exchanges({ vhost, vhosts, refreshMs }) {
  const list = usePoll(() => get(vhost ? `/exchanges/${enc(vhost)}` : '/exchanges'), [vhost], refreshMs);
  const columns = [
    ...(vhost ? [] : [{ key: 'vhost', label: 'Virtual host' }]),
    { key: 'name', label: 'Name', cell: (x) => html`<a href=${xpath(x)}>${exchangeLabel(x.name)}</a>` },
    { key: 'type', label: 'Type' },
    { key: 'features', label: 'Features', sortable: false, cell: (x) => html`<${Features} o=${x} />` },
    { key: 'in', label: 'Message rate in', num: true, value: (x) => rateOf(x.message_stats, 'publish_in') ?? 0, cell: (x) => rate(rateOf(x.message_stats, 'publish_in') ?? 0) },
    { key: 'out', label: 'Message rate out', num: true, value: (x) => rateOf(x.message_stats, 'publish_out') ?? 0, cell: (x) => rate(rateOf(x.message_stats, 'publish_out') ?? 0) },
  ];
  return html`
    <h1>Exchanges</h1>
    <${ErrorLine} error=${list.error} />
    <${Panel} title="All exchanges">
      <${DataTable} id="exchanges-table" rows=${list.data} rowKey=${(x) => `${x.vhost}/${x.name}`} filterText=${(x) => exchangeLabel(x.name)} columns=${columns} />
    <//>
    <${Panel} title="Add a new exchange" open=${false} id="add-exchange-panel">
      <${AddExchange} vhosts=${vhosts} vhost=${vhost} onDone=${list.reload} />
    <//>`;
}

const X_RATES = [{ key: 'publish_in', label: 'Publish (in)', color: COLORS[0] }, { key: 'publish_out', label: 'Publish (out)', color: COLORS[3] }];

export function ExchangeDetail({ args, refreshMs }) {
  const [vhost, pathName] = args;
  const name = pathName === 'amq.default' ? '' : pathName;
  const base = `/exchanges/${enc(vhost)}/${enc(exchangePath(name))}`;
  const hkey = `exchange:${vhost}:${name}`;
  const x = usePoll(async () => {
    const [info, source, destination] = await Promise.all([get(base), get(`${base}/bindings/source`), get(`${base}/bindings/destination`)]);
    record(hkey, Date.now(), { publish_in: rateOf(info.message_stats, 'publish_in') ?? 0, publish_out: rateOf(info.message_stats, 'publish_out') ?? 0 });
    return { info, source, destination };
  }, [base], refreshMs);
  const [st, run] = useAction();
  const info = x.data?.info;
  if (x.error?.status === 404) return html`<h1>Exchange <b>${exchangeLabel(name)}</b></h1><div class="msg error">This exchange does not exist (any more). <a href="#/exchanges">All exchanges</a></div>`;
  // The default exchange and amq.* cannot be deleted or bound from (RabbitMQ refuses with access_refused).
  const builtin = name === '' || name.startsWith('amq.');
  return html`
    <h1><small>Exchange</small> <span id="exchange-name">${exchangeLabel(name)}</span> <small class="muted">in virtual host ${vhost}</small></h1>
    <${ErrorLine} error=${x.error} />
    <div class="charts"><${Chart} id="exchange-chart-rates" title="Message rates" series=${X_RATES} points=${history(hkey)} kind="rate" /></div>
    ${info && html`<${Panel} title="Details">
      <table class="facts"><tr><th>Type</th><td>${info.type}</td><th>Features</th><td><${Features} o=${info} /></td><th>Policy</th><td>${info.policy ?? ''}</td></tr></table>
    <//>`}
    ${name !== '' && html`<${Panel} title="Bindings" id="exchange-bindings">
      <h3>This exchange routes to</h3>
      <${BindingsTable} id="bindings-source" rows=${x.data?.source} side="source" onChange=${x.reload} />
      ${(x.data?.destination?.length ?? 0) > 0 && html`<h3>Bound to this exchange (exchange-to-exchange)</h3>
        <${BindingsTable} rows=${x.data.destination} side="destination" onChange=${x.reload} />`}
      <h3>Add binding from this exchange</h3>
      <${BindForm} vhost=${vhost} fixed=${{ kind: 'exchange', name }} onDone=${x.reload} />
    <//>`}
    <${Panel} title="Publish message" open=${false} id="publish-panel">
      <${PublishForm} vhost=${vhost} exchange=${name} onDone=${x.reload} />
    <//>
    ${!builtin && html`<${Panel} title="Delete this exchange" open=${false}>
      <${ConfirmButton} id="delete-exchange" label="Delete" question=${`Delete exchange '${name}'?`}
        onConfirm=${() => run(async () => { await api('DELETE', base); location.hash = '#/exchanges'; })} />
      <${ErrorLine} error=${st.error} />
    <//>`}`;
}
