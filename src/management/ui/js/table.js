// The sortable, filterable table every list page uses. Columns: {key, label, value(row) for sorting and the
// default cell, cell(row) for a custom cell, num for right-aligned numbers}. The filter matches the row's
// `name` (or filterText(row)) as a case-insensitive substring, or as a regular expression when "Regex" is on.
import { html, useState } from './lib.js';

/** Rows drawn at most: a page with tens of thousands of queues stays responsive; the filter narrows it. */
const MAX_ROWS = 500;

export function DataTable({ columns, rows, rowKey, filterText = (r) => r.name ?? '', empty = 'Nothing here yet.', id, initialSort }) {
  const [sort, setSort] = useState(initialSort ?? { key: columns[0].key, desc: false });
  const [filter, setFilter] = useState('');
  const [regex, setRegex] = useState(false);
  let match = () => true, bad = false;
  if (filter) {
    if (regex) {
      try { const re = new RegExp(filter, 'i'); match = (r) => re.test(filterText(r)); } catch { bad = true; }
    } else {
      const f = filter.toLowerCase();
      match = (r) => filterText(r).toLowerCase().includes(f);
    }
  }
  const all = rows ?? [];
  const shown = all.filter(match);
  const col = columns.find((c) => c.key === sort.key) ?? columns[0];
  const val = col.value ?? ((r) => r[col.key]);
  shown.sort((a, b) => {
    const x = val(a), y = val(b);
    const c = typeof x === 'number' || typeof y === 'number' ? (x ?? -1) - (y ?? -1) : String(x ?? '').localeCompare(String(y ?? ''));
    return sort.desc ? -c : c;
  });
  const clip = shown.length > MAX_ROWS;
  const onSort = (c) => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : !!c.num }));
  return html`
    <div class="table-wrap" id=${id}>
      <div class="table-tools">
        <input class="filter" type="search" placeholder="Filter" value=${filter} onInput=${(e) => setFilter(e.currentTarget.value)}
          aria-invalid=${bad} />
        <label class="check"><input type="checkbox" checked=${regex} onChange=${(e) => setRegex(e.currentTarget.checked)} /> Regex</label>
        <span class="count">${rows === undefined ? 'loading…' : `${shown.length === all.length ? all.length : `${shown.length} of ${all.length}`} item${all.length === 1 ? '' : 's'}`}${clip ? `, first ${MAX_ROWS} shown` : ''}</span>
      </div>
      <table class="data">
        <thead><tr>${columns.map((c) => html`
          <th class=${`${c.num ? 'num' : ''} ${c.sortable === false ? '' : 'sortable'} ${sort.key === c.key ? (sort.desc ? 'desc' : 'asc') : ''}`}
            onClick=${c.sortable === false ? undefined : () => onSort(c)} title=${c.title}>${c.label}</th>`)}</tr></thead>
        <tbody>
          ${shown.slice(0, MAX_ROWS).map((r) => html`<tr key=${rowKey(r)}>${columns.map((c) => html`
            <td class=${c.num ? 'num' : ''}>${c.cell ? c.cell(r) : c.value ? c.value(r) : r[c.key]}</td>`)}</tr>`)}
          ${rows !== undefined && shown.length === 0 && html`<tr class="empty"><td colspan=${columns.length}>${filter ? 'No match.' : empty}</td></tr>`}
        </tbody>
      </table>
    </div>`;
}
