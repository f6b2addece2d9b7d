// Admin: users (tags, add/update, delete), permissions (set, clear), virtual hosts (add, delete) and policies
// (add/update with a typed definition, delete). Users and vhosts need the administrator tag; policymakers see
// policies only, as in RabbitMQ.
import { html, useState } from '../lib.js';
import { api, enc, get } from '../api.js';
import { ArgsEditor, ConfirmButton, emptyRows, ErrorLine, Field, Notice, Panel, toObject, useAction, usePoll } from '../forms.js';
import { num, rate, rateOf } from '../format.js';
import { DataTable } from '../table.js';

const SECTIONS = [{ id: 'users', label: 'Users', admin: true }, { id: 'vhosts', label: 'Virtual hosts', admin: true }, { id: 'policies', label: 'Policies' }];

export function Admin(ctx) {
  const sections = SECTIONS.filter((s) => !s.admin || ctx.isAdmin);
  const section = sections.find((s) => s.id === ctx.args[0]) ?? sections[0];
  return html`
    <h1>Admin</h1>
    <nav class="subtabs">${sections.map((s) => html`<a href=${`#/admin/${s.id}`} class=${s.id === section.id ? 'active' : ''}>${s.label}</a>`)}</nav>
    ${section.id === 'users' ? html`<${Users} ...${ctx} />` : section.id === 'vhosts' ? html`<${Vhosts} ...${ctx} />` : html`<${Policies} ...${ctx} />`}`;
}

const TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'];

function Users({ refreshMs, vhosts }) {
  const data = usePoll(async () => ({ users: await get('/users'), perms: await get('/permissions') }), [], refreshMs);
  const [st, run] = useAction();
  const [name, setName] = useState('');
  const [pass, setPass] = useState('');
  const [tags, setTags] = useState('');
  const [perm, setPerm] = useState({ user: '', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  const [pst, prun] = useAction();
  const byUser = new Map();
  for (const p of data.data?.perms ?? []) byUser.set(p.user, [...(byUser.get(p.user) ?? []), p.vhost]);
  const addUser = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { tags };
      if (pass) body.password = pass; else body.password_hash = '';
      await api('PUT', `/users/${enc(name)}`, body);
      setPass(''); data.reload();
      return name;
    }, (n) => `User '${n}' saved.`);
  };
  const setPermission = (e) => {
    e.preventDefault();
    prun(async () => {
      await api('PUT', `/permissions/${enc(perm.vhost)}/${enc(perm.user)}`, { configure: perm.configure, write: perm.write, read: perm.read });
      data.reload();
    }, 'Permission set.');
  };
  const users = data.data?.users;
  return html`
    <${ErrorLine} error=${data.error} />
    <${Panel} title="Users">
      <${DataTable} id="users-table" rows=${users} rowKey=${(u) => u.name} columns=${[
        { key: 'name', label: 'Name' },
        { key: 'tags', label: 'Tags', value: (u) => [].concat(u.tags ?? []).join(', '), cell: (u) => [].concat(u.tags ?? []).map((t) => html`<span class="tag">${t}</span>`) },
        { key: 'vhosts', label: 'Can access virtual hosts', value: (u) => (byUser.get(u.name) ?? []).join(', ') || 'No access' },
        { key: 'password', label: 'Has password', value: (u) => (u.password_hash ? '●' : '○') },
        { key: 'x', label: '', sortable: false, cell: (u) => html`<${ConfirmButton} label="Delete" cls="small" question=${`Delete user '${u.name}'?`}
          onConfirm=${() => run(() => api('DELETE', `/users/${enc(u.name)}`).then(data.reload))} />` },
      ]} />
      <${ErrorLine} error=${st.error} />
    <//>
    <${Panel} title="Add / update a user" open=${false} id="add-user-panel">
      <form class="form" id="add-user" onSubmit=${addUser}>
        <${Field} label="Username"><input name="username" required value=${name} onInput=${(e) => setName(e.currentTarget.value)} /><//>
        <${Field} label="Password" hint="empty: no password (cannot log in with one)"><input name="password" type="password" autocomplete="new-password" value=${pass} onInput=${(e) => setPass(e.currentTarget.value)} /><//>
        <${Field} label="Tags"><input name="tags" value=${tags} onInput=${(e) => setTags(e.currentTarget.value)} />
          <span class="hints">Set: ${TAGS.map((t) => html`<a href="#" onClick=${(e) => { e.preventDefault(); setTags(t); }}>${t}</a>`)}</span><//>
        <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Add / update user</button><${Notice} text=${st.ok} /></div>
      </form>
    <//>
    <${Panel} title="Permissions">
      <${DataTable} id="permissions-table" rows=${data.data?.perms} rowKey=${(p) => `${p.user}@${p.vhost}`} filterText=${(p) => `${p.user} ${p.vhost}`}
        columns=${[{ key: 'user', label: 'User' }, { key: 'vhost', label: 'Virtual host' }, { key: 'configure', label: 'Configure regexp' },
          { key: 'write', label: 'Write regexp' }, { key: 'read', label: 'Read regexp' },
          { key: 'x', label: '', sortable: false, cell: (p) => html`<${ConfirmButton} label="Clear" cls="small" question=${`Clear ${p.user}'s permissions on ${p.vhost}?`}
            onConfirm=${() => prun(() => api('DELETE', `/permissions/${enc(p.vhost)}/${enc(p.user)}`).then(data.reload))} />` }]} />
      <h3>Set permission</h3>
      <form class="form" id="set-permission" onSubmit=${setPermission}>
        <${Field} label="User"><select value=${perm.user} onChange=${(e) => setPerm({ ...perm, user: e.currentTarget.value })}>
          <option value="">(choose)</option>${(users ?? []).map((u) => html`<option>${u.name}</option>`)}</select><//>
        <${Field} label="Virtual host"><select value=${perm.vhost} onChange=${(e) => setPerm({ ...perm, vhost: e.currentTarget.value })}>${vhosts.map((v) => html`<option>${v}</option>`)}</select><//>
        ${['configure', 'write', 'read'].map((k) => html`<${Field} label=${`${k[0].toUpperCase()}${k.slice(1)} regexp`}>
          <input value=${perm[k]} onInput=${(e) => setPerm({ ...perm, [k]: e.currentTarget.value })} /><//>`)}
        <div class="actions"><button class="primary" type="submit" disabled=${pst.busy || !perm.user}>Set permission</button><${Notice} text=${pst.ok} /><${ErrorLine} error=${pst.error} /></div>
      </form>
    <//>`;
}

function Vhosts({ refreshMs }) {
  const data = usePoll(() => get('/vhosts'), [], refreshMs);
  const [st, run] = useAction();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const add = (e) => {
    e.preventDefault();
    run(async () => { await api('PUT', `/vhosts/${enc(name)}`, { description, tags }); data.reload(); return name; }, (n) => `Virtual host '${n}' added.`);
  };
  return html`
    <${ErrorLine} error=${data.error} />
    <${Panel} title="Virtual hosts">
      <${DataTable} id="vhosts-table" rows=${data.data} rowKey=${(v) => v.name} columns=${[
        { key: 'name', label: 'Name' }, { key: 'description', label: 'Description' },
        { key: 'tags', label: 'Tags', value: (v) => [].concat(v.tags ?? []).join(', ') },
        { key: 'messages_ready', label: 'Ready', num: true, cell: (v) => num(v.messages_ready) },
        { key: 'messages_unacknowledged', label: 'Unacked', num: true, cell: (v) => num(v.messages_unacknowledged) },
        { key: 'messages', label: 'Total', num: true, cell: (v) => num(v.messages) },
        { key: 'publish', label: 'Publish', num: true, value: (v) => rateOf(v.message_stats, 'publish') ?? 0, cell: (v) => rate(rateOf(v.message_stats, 'publish') ?? 0) },
        { key: 'deliver', label: 'Deliver / get', num: true, value: (v) => rateOf(v.message_stats, 'deliver_get') ?? 0, cell: (v) => rate(rateOf(v.message_stats, 'deliver_get') ?? 0) },
        { key: 'x', label: '', sortable: false, cell: (v) => html`<${ConfirmButton} label="Delete" cls="small" question=${`Delete virtual host '${v.name}' and everything in it?`}
          onConfirm=${() => run(() => api('DELETE', `/vhosts/${enc(v.name)}`).then(data.reload))} />` },
      ]} />
    <//>
    <${Panel} title="Add a new virtual host" open=${false}>
      <form class="form" id="add-vhost" onSubmit=${add}>
        <${Field} label="Name"><input name="name" required value=${name} onInput=${(e) => setName(e.currentTarget.value)} /><//>
        <${Field} label="Description"><input value=${description} onInput=${(e) => setDescription(e.currentTarget.value)} /><//>
        <${Field} label="Tags" hint="comma separated"><input value=${tags} onInput=${(e) => setTags(e.currentTarget.value)} /><//>
        <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Add virtual host</button><${Notice} text=${st.ok} /><${ErrorLine} error=${st.error} /></div>
      </form>
    <//>`;
}

const POLICY_HINTS = [
  ['max-length', 'Number'], ['max-length-bytes', 'Number'], ['overflow', 'String', 'reject-publish'], ['message-ttl', 'Number'], ['expires', 'Number'],
  ['dead-letter-exchange', 'String'], ['dead-letter-routing-key', 'String'], ['queue-mode', 'String', 'lazy'], ['alternate-exchange', 'String'],
].map(([key, type, value]) => ({ key, label: key, type, value }));

function Policies({ refreshMs, vhost, vhosts }) {
  const data = usePoll(() => get(vhost ? `/policies/${enc(vhost)}` : '/policies'), [vhost], refreshMs);
  const [st, run] = useAction();
  const [f, setF] = useState({ vhost: vhost || '/', name: '', pattern: '', applyTo: 'all', priority: '0' });
  const [rows, setRows] = useState(emptyRows);
  const save = (e) => {
    e.preventDefault();
    run(async () => {
      await api('PUT', `/policies/${enc(f.vhost)}/${enc(f.name)}`,
        { pattern: f.pattern, definition: toObject(rows), priority: Number(f.priority || 0), 'apply-to': f.applyTo });
      data.reload();
      return f.name;
    }, (n) => `Policy '${n}' saved.`);
  };
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  return html`
    <${ErrorLine} error=${data.error} />
    <${Panel} title="User policies">
      <${DataTable} id="policies-table" rows=${data.data} rowKey=${(p) => `${p.vhost}/${p.name}`} empty="No policies." columns=${[
        { key: 'vhost', label: 'Virtual host' }, { key: 'name', label: 'Name' }, { key: 'pattern', label: 'Pattern', cell: (p) => html`<code>${p.pattern}</code>` },
        { key: 'apply-to', label: 'Apply to' }, { key: 'definition', label: 'Definition', value: (p) => JSON.stringify(p.definition), sortable: false },
        { key: 'priority', label: 'Priority', num: true },
        { key: 'x', label: '', sortable: false, cell: (p) => html`<${ConfirmButton} label="Delete" cls="small" question=${`Delete policy '${p.name}'?`}
          onConfirm=${() => run(() => api('DELETE', `/policies/${enc(p.vhost)}/${enc(p.name)}`).then(data.reload))} />` },
      ]} />
    <//>
    <${Panel} title="Add / update a policy" open=${false}>
      <form class="form" id="add-policy" onSubmit=${save}>
        <${Field} label="Virtual host"><select value=${f.vhost} onChange=${set('vhost')}>${vhosts.map((v) => html`<option>${v}</option>`)}</select><//>
        <${Field} label="Name"><input required value=${f.name} onInput=${set('name')} /><//>
        <${Field} label="Pattern" hint="regular expression matched against names"><input required value=${f.pattern} onInput=${set('pattern')} /><//>
        <${Field} label="Apply to"><select value=${f.applyTo} onChange=${set('applyTo')}>
          <option value="all">Exchanges and queues</option><option value="exchanges">Exchanges</option><option value="queues">Queues</option></select><//>
        <${Field} label="Priority"><input type="number" value=${f.priority} onInput=${set('priority')} /><//>
        <${Field} label="Definition"><${ArgsEditor} rows=${rows} setRows=${setRows} hints=${POLICY_HINTS} name="definition" /><//>
        <div class="actions"><button class="primary" type="submit" disabled=${st.busy}>Add / update policy</button><${Notice} text=${st.ok} /><${ErrorLine} error=${st.error} /></div>
      </form>
    <//>`;
}
