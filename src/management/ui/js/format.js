// Number, rate, byte and duration formatting as operators read them (thousands separators, one decimal for rates).
const nf = new Intl.NumberFormat('en-US');

export function num(v) { return v === undefined || v === null ? '' : nf.format(v); }

export function rate(v) {
  if (v === undefined || v === null) return '';
  const r = Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10;
  return `${nf.format(r)}/s`;
}

/** message_stats.<key>_details.rate, undefined when the object has no statistics yet. */
export function rateOf(stats, key) { return stats?.[`${key}_details`]?.rate; }

export function bytes(v) {
  if (v === undefined || v === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0, x = v;
  while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${i === 0 ? x : x.toFixed(x >= 100 ? 0 : 1)} ${units[i]}`;
}

export function duration(ms) {
  if (ms === undefined || ms === null) return '';
  const s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** The default exchange's display name, as RabbitMQ's UI shows it. */
export const exchangeLabel = (name) => (name === '' ? '(AMQP default)' : name);
/** The default exchange in API paths. */
export const exchangePath = (name) => (name === '' ? 'amq.default' : name);
