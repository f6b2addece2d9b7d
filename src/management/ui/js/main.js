// The app shell: login screen, top bar (cluster, node, user, vhost selector, refresh interval, logout), tabs,
// and the hash router that picks a page (#/queues, #/queues/<vhost>/<name>, ...). Settings a user picks (vhost,
// refresh interval) persist in localStorage; credentials in sessionStorage (api.js).
import { html, render, useState, useEffect } from './lib.js';
import { get, login, logout, session } from './api.js';
import { ErrorLine } from './forms.js';
import { Overview } from './pages/overview.js';
import { Connections, Channels } from './pages/connections.js';
import { Exchanges, ExchangeDetail } from './pages/exchanges.js';
import { Queues, QueueDetail } from './pages/queues.js';
import { Admin } from './pages/admin.js';

const TABS = [
  { id: 'overview', label: 'Overview' }, { id: 'connections', label: 'Connections' }, { id: 'channels', label: 'Channels' },
  { id: 'exchanges', label: 'Exchanges' }, { id: 'queues', label: 'Queues' }, { id: 'admin', label: 'Admin', admin: true },
];
const REFRESH = [{ ms: 1000, label: 'every 1 s' }, { ms: 5000, label: 'every 5 s' }, { ms: 10000, label: 'every 10 s' },
  { ms: 30000, label: 'every 30 s' }, { ms: 0, label: 'off' }];

/** #/<tab>/<vhost>/<name>: the path segments, decoded. */
function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  return { tab: parts[0] || 'overview', args: parts.slice(1) };
}


function Login({ onLogin }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true); setError(null);
    try {
      onLogin(await login(String(f.get('username')), String(f.get('password'))));
    } catch (err) {
      // A valid user without a management tag: RabbitMQ's "Not management user", said plainly.
      if (err.reason === 'Not management user') err = { error: 'Not authorised', reason: `user '${f.get('username')}' has no management tag (management, policymaker, monitoring or administrator)` };
      setError(err);
    } finally { setBusy(false); }
  };
  return html`
    <div class="login-page">
      <form class="login" id="login-form" onSubmit=${submit}>
        <div class="brand big"><span class="logo">W</span> Warren</div>
        <label>Username<input name="username" autocomplete="username" autofocus required /></label>
        <label>Password<input name="password" type="password" autocomplete="current-password" /></label>
        <button class="primary" type="submit" disabled=${busy}>Log in</button>
        <${ErrorLine} error=${error} />
      </form>
    </div>`;
}

function TopBar({ me, overview, vhosts, vhost, setVhost, refreshMs, setRefresh }) {
  return html`
    <header class="topbar">
      <div class="brand"><span class="logo">W</span> Warren</div>
      <div class="cluster">
        <span><small>Cluster</small> <b id="cluster-name">${overview?.cluster_name ?? '…'}</b></span>
        <span><small>Node</small> ${overview?.node ?? ''}</span>
        <span><small>Version</small> ${overview?.product_version ?? ''}</span>
      </div>
      <div class="controls">
        <label><small>Virtual host</small>
          <select id="vhost-select" value=${vhost} onChange=${(e) => setVhost(e.currentTarget.value)}>
            <option value="">All</option>
            ${(vhosts ?? []).map((v) => html`<option value=${v.name}>${v.name}</option>`)}
          </select></label>
        <label><small>Refresh</small>
          <select id="refresh-select" value=${refreshMs} onChange=${(e) => setRefresh(Number(e.currentTarget.value))}>
            ${REFRESH.map((r) => html`<option value=${r.ms}>${r.label}</option>`)}
          </select></label>
        <span class="user" title=${me.tags.join(', ')}><small>User</small> <b>${me.name}</b></span>
        <button id="logout" onClick=${logout}>Log out</button>
      </div>
    </header>`;
}

function App() {
  const [me, setMe] = useState(() => session());
  const [route, setRoute] = useState(parseRoute);
  const [vhost, setVhostState] = useState(() => localStorage.getItem('warren.vhost') ?? '');
  const [refreshMs, setRefreshState] = useState(() => Number(localStorage.getItem('warren.refresh') ?? 5000));
  const [overview, setOverview] = useState(null);
  const [vhosts, setVhosts] = useState(null);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute());
    const onLogout = () => setMe(null);
    window.addEventListener('hashchange', onHash);
    window.addEventListener('warren:logout', onLogout);
    return () => { window.removeEventListener('hashchange', onHash); window.removeEventListener('warren:logout', onLogout); };
  }, []);
  useEffect(() => {
    if (!me) return;
    get('/overview').then(setOverview, () => {});
    get('/vhosts?columns=name').then(setVhosts, () => setVhosts([]));
  }, [me, route.tab]);
  if (!me) return html`<${Login} onLogin=${(u) => setMe(session() ?? u)} />`;
  const setVhost = (v) => { localStorage.setItem('warren.vhost', v); setVhostState(v); };
  const setRefresh = (ms) => { localStorage.setItem('warren.refresh', String(ms)); setRefreshState(ms); };
  const isAdmin = me.tags.includes('administrator'), isPolicymaker = isAdmin || me.tags.includes('policymaker');
  const tabs = TABS.filter((t) => !t.admin || isPolicymaker);
  const ctx = { me, isAdmin, isPolicymaker, vhost, vhosts: (vhosts ?? []).map((v) => v.name), refreshMs, args: route.args };
  const key = `${route.tab}/${route.args.join('/')}`;
  let page;
  switch (route.tab) {
    case 'overview': page = html`<${Overview} key=${key} ...${ctx} />`; break;
    case 'connections': page = html`<${Connections} key=${key} ...${ctx} />`; break;
    case 'channels': page = html`<${Channels} key=${key} ...${ctx} />`; break;
    case 'exchanges': page = route.args.length >= 2 ? html`<${ExchangeDetail} key=${key} ...${ctx} />` : html`<${Exchanges} key=${key} ...${ctx} />`; break;
    case 'queues': page = route.args.length >= 2 ? html`<${QueueDetail} key=${key} ...${ctx} />` : html`<${Queues} key=${key} ...${ctx} />`; break;
    case 'admin': page = html`<${Admin} key=${key} ...${ctx} />`; break;
    default: page = html`<div class="msg error">No such page: ${route.tab}</div>`;
  }
  return html`
    <${TopBar} me=${me} overview=${overview} vhosts=${vhosts} vhost=${vhost} setVhost=${setVhost} refreshMs=${refreshMs} setRefresh=${setRefresh} />
    <nav class="tabs">${tabs.map((t) => html`<a href=${`#/${t.id}`} id=${`tab-${t.id}`} class=${route.tab === t.id ? 'active' : ''}>${t.label}</a>`)}</nav>
    <main class="page">${page}</main>
    <footer class="foot">Warren ${overview?.product_version ?? ''} · RabbitMQ ${overview?.rabbitmq_version ?? ''}-compatible management API · <a href="/api/overview" target="_blank">HTTP API</a></footer>`;
}

render(html`<${App} />`, document.getElementById('app'));
