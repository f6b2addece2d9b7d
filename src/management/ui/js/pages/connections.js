// Connections and channels: lists with throughput and message rates; a connection can be closed (with a reason
// the client sees). RabbitMQ's API has no call that closes a single channel, so a channel row offers closing its
// connection.
import { html } from '../lib.js';
import { api, enc, get } from '../api.js';
import { ConfirmButton, ErrorLine, Panel, useAction, usePoll } from '../forms.js';
import { bytes, num, rate, rateOf } from '../format.js';
import { DataTable } from '../table.js';

const REASON = 'Closed via management plugin';

function CloseConnection({ name, onDone, label = 'Close' }) {
  const [st, run] = useAction();
  return html`<${ConfirmButton} label=${label} cls="small" question=${`Close connection ${name}?`}
    onConfirm=${() => run(() => api('DELETE', `/connections/${enc(name)}`, undefined, { 'x-reason': REASON }).then(onDone))} /><${ErrorLine} error=${st.error} />`;
}

export function Connections({ vhost, refreshMs }) {
  const list = usePoll(() => get(vhost ? `/vhosts/${enc(vhost)}/connections` : '/connections'), [vhost], refreshMs);
  const columns = [
    ...(vhost ? [] : [{ key: 'vhost', label: 'Virtual host' }]),
    { key: 'name', label: 'Name', cell: (c) => html`${c.name}${c.user_provided_name && html` <span class="tag">${c.user_provided_name}</span>`}` },
    { key: 'user', label: 'User name' },
    { key: 'state', label: 'State', cell: (c) => html`<span class=${`state ${c.state}`}>${c.state}</span>` },
    { key: 'ssl', label: 'TLS', cell: (c) => (c.ssl ? '●' : '○') },
    { key: 'protocol', label: 'Protocol' },
    { key: 'client', label: 'Client', value: (c) => [c.client_properties?.product, c.client_properties?.version].filter(Boolean).join(' ') },
    { key: 'channels', label: 'Channels', num: true },
    { key: 'recv', label: 'From client', num: true, value: (c) => c.recv_oct_details?.rate ?? 0, cell: (c) => `${bytes(c.recv_oct_details?.rate ?? 0)}/s` },
    { key: 'send', label: 'To client', num: true, value: (c) => c.send_oct_details?.rate ?? 0, cell: (c) => `${bytes(c.send_oct_details?.rate ?? 0)}/s` },
    { key: 'x', label: '', sortable: false, cell: (c) => html`<${CloseConnection} name=${c.name} onDone=${list.reload} />` },
  ];
  return html`
    <h1>Connections</h1>
    <${ErrorLine} error=${list.error} />
    <${Panel} title="All connections">
      <${DataTable} id="connections-table" rows=${list.data} rowKey=${(c) => c.name} filterText=${(c) => `${c.name} ${c.user} ${c.user_provided_name ?? ''}`} columns=${columns} empty="No connections." />
    <//>`;
}

export function Channels({ vhost, refreshMs }) {
  const list = usePoll(() => get(vhost ? `/vhosts/${enc(vhost)}/channels` : '/channels'), [vhost], refreshMs);
  const r = (k) => ({ key: k, num: true, value: (c) => rateOf(c.message_stats, k) ?? 0, cell: (c) => rate(rateOf(c.message_stats, k) ?? 0) });
  const columns = [
    ...(vhost ? [] : [{ key: 'vhost', label: 'Virtual host' }]),
    { key: 'name', label: 'Channel' },
    { key: 'user', label: 'User name' },
    { key: 'mode', label: 'Mode', title: 'C: confirm, T: transactional', value: (c) => `${c.confirm ? 'C' : ''}${c.transactional ? 'T' : ''}` },
    { key: 'state', label: 'State', cell: (c) => html`<span class=${`state ${c.state}`}>${c.state}</span>` },
    { key: 'consumer_count', label: 'Consumers', num: true },
    { key: 'messages_unconfirmed', label: 'Unconfirmed', num: true, cell: (c) => num(c.messages_unconfirmed) },
    { key: 'prefetch_count', label: 'Prefetch', num: true },
    { key: 'messages_unacknowledged', label: 'Unacked', num: true, cell: (c) => num(c.messages_unacknowledged) },
    { ...r('publish'), label: 'Publish' }, { ...r('confirm'), label: 'Confirm' },
    { ...r('deliver_get'), label: 'Deliver / get' }, { ...r('ack'), label: 'Ack' },
    { key: 'x', label: '', sortable: false, cell: (c) => html`<${CloseConnection} name=${c.connection_details?.name} label="Close connection" onDone=${list.reload} />` },
  ];
  return html`
    <h1>Channels</h1>
    <${ErrorLine} error=${list.error} />
    <${Panel} title="All channels">
      <${DataTable} id="channels-table" rows=${list.data} rowKey=${(c) => c.name} filterText=${(c) => `${c.name} ${c.user}`} columns=${columns} empty="No channels." />
    <//>`;
}
