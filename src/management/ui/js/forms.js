// Form pieces shared by the pages: a collapsible panel, error and notice lines showing the API's {error, reason},
// an inline two-step confirmation for destructive actions, RabbitMQ's typed arguments editor, and usePoll, the
// hook that reloads a page's data at the chosen refresh interval.
import { html, useState, useEffect, useRef, useCallback } from './lib.js';

export function Panel({ title, open: initial = true, children, id, actions }) {
  const [open, setOpen] = useState(initial);
  return html`
    <section class=${`panel ${open ? 'open' : 'closed'}`} id=${id}>
      <h2 onClick=${() => setOpen(!open)}><span class="caret">${open ? '▾' : '▸'}</span>${title}${actions && html`<span class="panel-actions" onClick=${(e) => e.stopPropagation()}>${actions}</span>`}</h2>
      ${open && html`<div class="panel-body">${children}</div>`}
    </section>`;
}

export function ErrorLine({ error }) {
  if (!error) return null;
  const reason = typeof error.reason === 'string' ? error.reason : JSON.stringify(error.reason ?? '');
  return html`<div class="msg error" role="alert"><b>${error.error ?? 'Error'}</b>${reason ? `: ${reason}` : ''}</div>`;
}

export function Notice({ text }) { return text ? html`<div class="msg ok" role="status">${text}</div>` : null; }

/** Runs an async action, keeping its error or success text for display; `busy` while it runs. */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, ok: '' });
  const run = useCallback(async (f, okText = '') => {
    setState({ busy: true, error: null, ok: '' });
    try {
      const r = await f();
      setState({ busy: false, error: null, ok: typeof okText === 'function' ? okText(r) : okText });
      return r;
    } catch (e) {
      setState({ busy: false, error: e, ok: '' });
      return undefined;
    }
  }, []);
  return [state, run];
}

/** A button that asks "Are you sure?" in place before running `onConfirm`. */
export function ConfirmButton({ label, question, onConfirm, cls = 'danger', id }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return html`<button type="button" class=${cls} id=${id} onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm" role="alertdialog">${question}
    <button type="button" class="danger" data-confirm="yes" onClick=${() => { setAsking(false); onConfirm(); }}>Yes, ${label.toLowerCase()}</button>
    <button type="button" onClick=${() => setAsking(false)}>Cancel</button></span>`;
}

export function Field({ label, children, hint }) {
  return html`<label class="field"><span class="field-label">${label}</span><span class="field-input">${children}${hint && html`<small>${hint}</small>`}</span></label>`;
}

const TYPES = ['String', 'Number', 'Boolean', 'List'];

function typed(type, v) {
  switch (type) {
    case 'Number': { const n = Number(v); if (v.trim() === '' || Number.isNaN(n)) throw new Error(`"${v}" is not a number`); return n; }
    case 'Boolean': return v.trim().toLowerCase() === 'true';
    case 'List': return v.split(',').map((s) => s.trim()).filter(Boolean);
    default: return v;
  }
}

/** Rows of key = value (type) as RabbitMQ's UI edits x-arguments, headers and policy definitions. */
export function toObject(rows) {
  const out = {};
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = typed(r.type, r.value);
  return out;
}

export const emptyRows = () => [{ key: '', value: '', type: 'String' }];

/** rows/setRows from the parent; hints: [{key, label, type}] that add a row when clicked. */
export function ArgsEditor({ rows, setRows, hints = [], name = 'arguments' }) {
  const update = (i, patch) => {
    const next = rows.map((r, j) => (j === i ? { ...r, ...patch } : r));
    if (next[next.length - 1].key !== '') next.push({ key: '', value: '', type: 'String' });
    setRows(next);
  };
  const add = (h) => {
    const filled = rows.filter((r) => r.key !== '' && r.key !== h.key);
    setRows([...filled, { key: h.key, value: h.value ?? '', type: h.type }, { key: '', value: '', type: 'String' }]);
  };
  return html`
    <div class="args" data-name=${name}>
      ${rows.map((r, i) => html`<div class="arg-row">
        <input placeholder="key" value=${r.key} onInput=${(e) => update(i, { key: e.currentTarget.value })} />
        <span>=</span>
        <input placeholder="value" value=${r.value} onInput=${(e) => update(i, { value: e.currentTarget.value })} />
        <select value=${r.type} onChange=${(e) => update(i, { type: e.currentTarget.value })}>${TYPES.map((t) => html`<option>${t}</option>`)}</select>
      </div>`)}
      ${hints.length > 0 && html`<div class="hints">Add: ${hints.map((h) => html`<a href="#" onClick=${(e) => { e.preventDefault(); add(h); }} title=${h.key}>${h.label}</a>`)}</div>`}
    </div>`;
}

/**
 * Loads `load()` now, whenever `deps` change, and every `refreshMs` (0: never); `reload()` loads at once (after
 * an action). Keeps the last data while reloading, and the error of the last failed load.
 */
export function usePoll(load, deps, refreshMs) {
  const [state, setState] = useState({ data: undefined, error: null, at: 0 });
  const gen = useRef(0);
  const fetchNow = useCallback(async () => {
    const mine = ++gen.current;
    try {
      const data = await load();
      if (mine === gen.current) setState({ data, error: null, at: Date.now() });
    } catch (e) {
      if (mine === gen.current) setState((s) => ({ ...s, error: e }));
    }
  }, deps);
  useEffect(() => {
    fetchNow();
    if (!refreshMs) return undefined;
    const t = setInterval(fetchNow, refreshMs);
    return () => { clearInterval(t); gen.current++; };
  }, [fetchNow, refreshMs]);
  return { ...state, reload: fetchNow };
}
