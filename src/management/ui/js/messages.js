// The publish form (queue and exchange pages) and the get-messages form (queue page), with RabbitMQ's field
// names: delivery mode, headers with types, properties, payload; ack mode, encoding, count, truncate.
import { html, useState } from './lib.js';
import { api, enc } from './api.js';
import { ArgsEditor, emptyRows, ErrorLine, Field, Notice, toObject, useAction } from './forms.js';
import { exchangePath, num } from './format.js';

const PROPERTY_HINTS = ['content_type', 'content_encoding', 'priority', 'correlation_id', 'reply_to', 'expiration', 'message_id',
  'timestamp', 'type', 'user_id', 'app_id'].map((k) => ({ key: k, label: k, type: ['priority', 'timestamp'].includes(k) ? 'Number' : 'String' }));

/** Publishes to `exchange` in `vhost`; for a queue page the exchange is the default one and the key fixed. */
export function PublishForm({ vhost, exchange, routingKey, onDone }) {
  const [key, setKey] = useState(routingKey ?? '');
  const [mode, setMode] = useState('1');
  const [headers, setHeaders] = useState(emptyRows);
  const [props, setProps] = useState(emptyRows);
  const [payload, setPayload] = useState('');
  const [encoding, setEncoding] = useState('string');
  const [st, run] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const properties = { delivery_mode: Number(mode), headers: toObject(headers), ...toObject(props) };
      const r = await api('POST', `/exchanges/${enc(vhost)}/${enc(exchangePath(exchange))}/publish`,
        { properties, routing_key: key, payload, payload_encoding: encoding });
      onDone?.();
      return r;
    }, (r) => (r.routed ? 'Message published.' : 'Message published, but not routed.'));
  };
  return html`
    <form class="form" id="publish-form" onSubmit=${submit}>
      ${routingKey === undefined
        ? html`<${Field} label="Routing key"><input name="routing_key" value=${key} onInput=${(e) => setKey(e.currentTarget.value)} /><//>`
        : html`<p class="note">Published to the default exchange with routing key <b>${routingKey}</b>, routing it directly to this queue.</p>`}
      <${Field} label="Delivery mode"><select name="delivery_mode" value=${mode} onChange=${(e) => setMode(e.currentTarget.value)}>
        <option value="1">1 - Non-persistent</option><option value="2">2 - Persistent</option></select><//>
      <${Field} label="Headers"><${ArgsEditor} rows=${headers} setRows=${setHeaders} name="headers" /><//>
      <${Field} label="Properties"><${ArgsEditor} rows=${props} setRows=${setProps} hints=${PROPERTY_HINTS} name="properties" /><//>
      <${Field} label="Payload"><textarea name="payload" rows="4" value=${payload} onInput=${(e) => setPayload(e.currentTarget.value)}></textarea><//>
      <${Field} label="Payload encoding"><select value=${encoding} onChange=${(e) => setEncoding(e.currentTarget.value)}>
        <option value="string">String (default)</option><option value="base64">Base64</option></select><//>
      <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Publish message</button>
        <${Notice} text=${st.ok} /><${ErrorLine} error=${st.error} /></div>
    </form>`;
}

const ACK_MODES = [['ack_requeue_true', 'Nack message requeue true'], ['ack_requeue_false', 'Automatic ack'],
  ['reject_requeue_true', 'Reject requeue true'], ['reject_requeue_false', 'Reject requeue false']];

export function GetForm({ vhost, queue, onDone }) {
  const [ackmode, setAckmode] = useState('ack_requeue_true');
  const [encoding, setEncoding] = useState('auto');
  const [count, setCount] = useState('1');
  const [truncate, setTruncate] = useState('50000');
  const [msgs, setMsgs] = useState(null);
  const [st, run] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { ackmode, encoding, count: Number(count) };
      if (truncate.trim()) body.truncate = Number(truncate);
      setMsgs(await api('POST', `/queues/${enc(vhost)}/${enc(queue)}/get`, body));
      onDone?.();
    });
  };
  return html`
    <form class="form" id="get-form" onSubmit=${submit}>
      <p class="note warn">Getting messages is a destructive action: with a requeue mode they come back redelivered, at the head of the queue.</p>
      <${Field} label="Ack mode"><select name="ackmode" value=${ackmode} onChange=${(e) => setAckmode(e.currentTarget.value)}>
        ${ACK_MODES.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select><//>
      <${Field} label="Encoding"><select value=${encoding} onChange=${(e) => setEncoding(e.currentTarget.value)}>
        <option value="auto">Auto string / base64</option><option value="base64">base64</option></select><//>
      <${Field} label="Messages"><input name="count" type="number" min="1" value=${count} onInput=${(e) => setCount(e.currentTarget.value)} /><//>
      <${Field} label="Truncate at" hint="bytes"><input type="number" min="0" value=${truncate} onInput=${(e) => setTruncate(e.currentTarget.value)} /><//>
      <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Get message(s)</button><${ErrorLine} error=${st.error} /></div>
    </form>
    ${msgs && html`<div class="messages" id="got-messages">
      ${msgs.length === 0 && html`<div class="msg">Queue is empty.</div>`}
      ${msgs.map((m, i) => html`<div class="message">
        <h3>Message ${i + 1}</h3>
        <p class="note">The server reported ${num(m.message_count)} messages remaining.</p>
        <table class="facts">
          <tr><th>Exchange</th><td>${m.exchange === '' ? '(AMQP default)' : m.exchange}</td></tr>
          <tr><th>Routing key</th><td>${m.routing_key}</td></tr>
          <tr><th>Redelivered</th><td>${m.redelivered ? '●' : '○'}</td></tr>
          <tr><th>Properties</th><td><pre class="mono">${JSON.stringify(m.properties, null, 1)}</pre></td></tr>
          <tr><th>Payload <small>${num(m.payload_bytes)} bytes, encoding: ${m.payload_encoding}</small></th><td><pre class="payload">${m.payload}</pre></td></tr>
        </table></div>`)}
    </div>`}`;
}
