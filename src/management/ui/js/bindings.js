// Binding tables and the bind form shared by the queue and exchange pages. A binding is deleted through its
// properties_key, as RabbitMQ's API names it.
import { html, useState } from './lib.js';
import { api, enc } from './api.js';
import { ArgsEditor, ConfirmButton, emptyRows, ErrorLine, Field, Notice, toObject, useAction } from './forms.js';
import { exchangeLabel, exchangePath } from './format.js';
import { DataTable } from './table.js';

function unbind(b) {
  const kind = b.destination_type === 'queue' ? 'q' : 'e';
  return api('DELETE', `/bindings/${enc(b.vhost)}/e/${enc(exchangePath(b.source))}/${kind}/${enc(b.destination)}/${enc(b.properties_key)}`);
}

const args = (b) => Object.entries(b.arguments ?? {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');

/** side: 'source' lists where the bindings go to; 'destination' where they come from. */
export function BindingsTable({ rows, side, onChange, id }) {
  const [st, run] = useAction();
  const cols = side === 'destination'
    ? [{ key: 'source', label: 'From', cell: (b) => b.source === '' ? html`<i>(Default exchange binding)</i>`
        : html`<a href=${`#/exchanges/${enc(b.vhost)}/${enc(b.source)}`}>${exchangeLabel(b.source)}</a>` }]
    : [{ key: 'destination', label: 'To', cell: (b) => html`<a href=${`#/${b.destination_type === 'queue' ? 'queues' : 'exchanges'}/${enc(b.vhost)}/${enc(b.destination)}`}>${b.destination}</a> <small class="muted">${b.destination_type}</small>` }];
  const columns = [...cols, { key: 'routing_key', label: 'Routing key' }, { key: 'arguments', label: 'Arguments', value: args, sortable: false },
    { key: 'x', label: '', sortable: false, cell: (b) => b.source === '' ? '' : html`<${ConfirmButton} label="Unbind" cls="small" question="Remove this binding?"
      onConfirm=${() => run(() => unbind(b).then(onChange))} />` }];
  return html`<${ErrorLine} error=${st.error} />
    <${DataTable} id=${id} rows=${rows} rowKey=${(b) => `${b.source}|${b.destination_type}|${b.destination}|${b.properties_key}`}
      filterText=${(b) => `${b.source} ${b.destination} ${b.routing_key}`} columns=${columns} empty="No bindings." />`;
}

/** Binds `fixed` (the page's queue or exchange) to or from another object. */
export function BindForm({ vhost, fixed, onDone }) {
  // On a queue page the other end is an exchange; on an exchange page, a queue or exchange to bind to.
  const [destType, setDestType] = useState('queue');
  const [other, setOther] = useState('');
  const [key, setKey] = useState('');
  const [rows, setRows] = useState(emptyRows);
  const [st, run] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { routing_key: key, arguments: toObject(rows) };
      const path = fixed.kind === 'queue'
        ? `/bindings/${enc(vhost)}/e/${enc(other)}/q/${enc(fixed.name)}`
        : `/bindings/${enc(vhost)}/e/${enc(exchangePath(fixed.name))}/${destType === 'queue' ? 'q' : 'e'}/${enc(other)}`;
      await api('POST', path, body);
      setOther(''); setKey(''); setRows(emptyRows());
      onDone?.();
    }, 'Binding added.');
  };
  return html`
    <form class="form" id="bind-form" onSubmit=${submit}>
      ${fixed.kind === 'queue'
        ? html`<${Field} label="From exchange"><input name="source" required value=${other} onInput=${(e) => setOther(e.currentTarget.value)} /><//>`
        : html`<${Field} label="To"><span class="inline"><select value=${destType} onChange=${(e) => setDestType(e.currentTarget.value)}>
            <option value="queue">To queue</option><option value="exchange">To exchange</option></select>
            <input name="destination" required value=${other} onInput=${(e) => setOther(e.currentTarget.value)} /></span><//>`}
      <${Field} label="Routing key"><input name="routing_key" value=${key} onInput=${(e) => setKey(e.currentTarget.value)} /><//>
      <${Field} label="Arguments"><${ArgsEditor} rows=${rows} setRows=${setRows} /><//>
      <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Bind</button><${Notice} text=${st.ok} /><${ErrorLine} error=${st.error} /></div>
    </form>`;
}
