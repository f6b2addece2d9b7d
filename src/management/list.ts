// List endpoints as RabbitMQ's rabbit_mgmt_util:reply_list / augment_resources: sorting on dotted keys in
// Erlang term order (numbers < atoms < maps < lists < strings, a missing key counts as 0), sort_reverse,
// pagination (page, page_size <= 500, name filter with use_regex) and column selection (columns=a,b.c).
import { HttpError, badRequest } from './http.js';

export type Json = Record<string, unknown>;

export interface ListOptions {
  /** Whether page/page_size/name are honoured (queues, exchanges, vhosts, connections, channels). */
  paginate: boolean;
  /** The sort applied when none is asked for, and after the asked one (RabbitMQ: vhost, name). */
  defaultSort?: string[];
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 500;

interface Pagination { page: number; pageSize: number; name: string | undefined; useRegex: boolean }

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw badRequest('Pagination parameters are invalid');
  return Number(v);
}

export function paginationParams(q: URLSearchParams): Pagination | undefined {
  const page = intParam(q, 'page');
  const size = intParam(q, 'page_size');
  if (page === undefined) return undefined;
  const pageSize = size ?? DEFAULT_PAGE_SIZE;
  if (page <= 0 || pageSize <= 0 || pageSize > MAX_PAGE_SIZE) {
    throw new HttpError(400, 'invalid_pagination_parameters',
      `Invalid pagination parameters: page number ${page}, page size ${size ?? 'undefined'}`);
  }
  return { page, pageSize, name: q.get('name') || undefined, useRegex: q.get('use_regex') === 'true' };
}

/** Erlang's term order for JSON values: number < atom (true/false/null) < map < list < binary. */
function rank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'boolean' || v === null || v === undefined) return 1;
  if (typeof v === 'string') return 4;
  return Array.isArray(v) ? 3 : 2;
}

export function compareTerms(a: unknown, b: unknown): number {
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 4) return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
  if (ra === 3) {
    const x = a as unknown[], y = b as unknown[];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = compareTerms(x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  const sa = JSON.stringify(a ?? 'undefined'), sb = JSON.stringify(b ?? 'undefined');
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** rabbit_mgmt_util:get_dotted_value: a missing leaf is 0, a missing branch leads to one. */
function dotted(item: unknown, path: string): unknown {
  let cur: unknown = item;
  const keys = path.split('.').filter(Boolean);
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !(k in (cur as Json))) return 0;
    cur = (cur as Json)[k];
  }
  return cur;
}

export function sortItems<T>(items: T[], sorts: string[], reverse: boolean): T[] {
  const keyed = items.map((it) => ({ it, k: sorts.map((s) => dotted(it, s)) }));
  keyed.sort((x, y) => {
    for (let i = 0; i < sorts.length; i++) {
      const c = compareTerms(x.k[i], y.k[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  const out = keyed.map((x) => x.it);
  return reverse ? out.reverse() : out;
}

type Columns = string[][];

export function columnsParam(q: URLSearchParams): Columns | 'all' {
  const v = q.get('columns');
  if (v === null) return 'all';
  return v.split(',').filter(Boolean).map((c) => c.split('.').filter(Boolean)).filter((c) => c.length > 0);
}

function descend(key: string, cols: Columns): Columns | 'all' {
  const out: Columns = [];
  for (const c of cols) {
    if (c[0] !== key) continue;
    if (c.length === 1) return 'all';
    out.push(c.slice(1));
  }
  return out;
}

/** rabbit_mgmt_util:extract_column_items: keeps the selected keys, descending into objects and lists. */
export function extractColumns(item: unknown, cols: Columns | 'all'): unknown {
  if (cols === 'all') return item;
  if (Array.isArray(item)) return item.map((x) => extractColumns(x, cols));
  if (item === null || typeof item !== 'object') return item;
  const out: Json = {};
  for (const [k, v] of Object.entries(item as Json)) {
    if (!cols.some((c) => c[0] === k)) continue;
    out[k] = extractColumns(v, descend(k, cols));
  }
  return out;
}

function nameFilter(p: Pagination): ((item: Json) => boolean) | undefined {
  if (p.name === undefined) return undefined;
  if (p.useRegex) {
    let re: RegExp;
    try { re = new RegExp(p.name, 'i'); } catch { throw badRequest('Pagination parameters are invalid'); }
    return (it) => typeof it.name === 'string' && re.test(it.name);
  }
  const needle = p.name.toLowerCase();
  return (it) => typeof it.name === 'string' && it.name.toLowerCase().includes(needle);
}

/** The reply of a list endpoint: a sorted (and maybe paged, filtered, column-selected) list. */
export function replyList(q: URLSearchParams, items: Json[], opts: ListOptions): unknown {
  const pagination = opts.paginate ? paginationParams(q) : undefined;
  const defaults = opts.defaultSort ?? ['vhost', 'name'];
  const sortParam = q.get('sort');
  const sorts = sortParam ? [sortParam, ...defaults.filter((d) => d !== sortParam)] : defaults;
  const sorted = sortItems(items, sorts, q.get('sort_reverse') === 'true');
  const cols = columnsParam(q);
  if (!pagination) return sorted.map((it) => extractColumns(it, cols));
  const filter = nameFilter(pagination);
  const filtered = filter ? sorted.filter(filter) : sorted;
  const { page, pageSize } = pagination;
  const offset = (page - 1) * pageSize;
  const pageCount = Math.ceil(filtered.length / pageSize);
  // lists:sublist/3 fails only when the page starts past the end plus one.
  if (offset > filtered.length) {
    throw new HttpError(400, 'page_out_of_range', `Page out of range, page: ${page} page size: ${pageSize}, len: ${filtered.length}`);
  }
  const pageItems = filtered.slice(offset, offset + pageSize);
  return {
    filtered_count: filtered.length, item_count: pageItems.length, items: pageItems.map((it) => extractColumns(it, cols)),
    page, page_count: pageCount, page_size: pageSize, total_count: items.length,
  };
}
