// Line charts drawn as SVG from a client-side history of polled values (the API reports the current rate and
// length, not sample series): each poll appends one point per series. Histories live in a module-level map keyed
// by what they chart, so leaving a page and coming back keeps the line. The plot stretches to its box
// (preserveAspectRatio=none, strokes kept at 1.5 px); labels are HTML so they are never distorted.
import { html } from './lib.js';
import { num, rate } from './format.js';

/** Points kept per history: ten minutes at a 5 s refresh. */
const MAX_POINTS = 120;
/** The narrowest time window drawn, so the first few points do not fill the whole width. */
const MIN_WINDOW_MS = 60_000;
const W = 600, H = 150;

const histories = new Map();

/** Appends {t, values} to the named history, at most once per `t` (re-renders must not add points). */
export function record(key, t, values) {
  let h = histories.get(key);
  if (!h) { h = []; histories.set(key, h); }
  if (h.length && h[h.length - 1].t === t) return h;
  h.push({ t, values });
  if (h.length > MAX_POINTS) h.splice(0, h.length - MAX_POINTS);
  return h;
}

export function history(key) { return histories.get(key) ?? []; }

/** A "nice" axis maximum at or above v: 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * series: [{key, label, color}], the first drawn on top; points: the history; kind: 'rate' or 'count' (for labels). The SVG carries
 * data-points (how many samples), data-max (largest plotted value) and data-last (latest values as JSON).
 */
export function Chart({ title, series, points, kind = 'rate', id }) {
  const fmt = kind === 'rate' ? rate : num;
  const last = points.length ? points[points.length - 1] : undefined;
  let max = 0;
  for (const p of points) for (const s of series) max = Math.max(max, p.values[s.key] ?? 0);
  const top = niceMax(max);
  const tEnd = last?.t ?? Date.now();
  const span = Math.max(MIN_WINDOW_MS, points.length ? tEnd - points[0].t : 0);
  const x = (t) => ((t - (tEnd - span)) / span) * W;
  const y = (v) => H - (v / top) * (H - 4);
  const lines = series.map((s) => points.map((p) => `${x(p.t).toFixed(1)},${y(p.values[s.key] ?? 0).toFixed(1)}`).join(' '));
  const lastValues = {};
  for (const s of series) lastValues[s.key] = last?.values[s.key] ?? 0;
  return html`
    <div class="chart" id=${id}>
      <div class="chart-head"><span class="chart-title">${title}</span><span class="chart-window">last ${Math.round(span / 60000)} min</span></div>
      <div class="chart-body">
        <div class="chart-axis"><span>${fmt(top)}</span><span>${fmt(top / 2)}</span><span>0</span></div>
        <svg class="chart-plot" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label=${title}
          data-points=${points.length} data-max=${max} data-last=${JSON.stringify(lastValues)}>
          <line x1="0" x2=${W} y1=${H / 2} y2=${H / 2} class="grid" vector-effect="non-scaling-stroke" />
          <line x1="0" x2=${W} y1=${H - 0.5} y2=${H - 0.5} class="grid" vector-effect="non-scaling-stroke" />
          ${points.length > 1 && series.map((s, i) => html`
            <polygon points=${`${x(points[0].t).toFixed(1)},${H} ${lines[i]} ${x(tEnd).toFixed(1)},${H}`} fill=${s.color} class="area" />
            <polyline points=${lines[i]} stroke=${s.color} class="line" data-series=${s.key} vector-effect="non-scaling-stroke" />`).reverse()}
        </svg>
      </div>
      <ul class="legend">
        ${series.map((s) => html`<li><i style=${`background:${s.color}`}></i>${s.label}<b>${fmt(lastValues[s.key])}</b></li>`)}
      </ul>
    </div>`;
}

/** The palette of the charts, in series order (RabbitMQ's UI colours, a little deeper). */
export const COLORS = ['#e6a23c', '#7a5cc7', '#d9534f', '#3a9c5d', '#2f7fc1', '#9e9e9e', '#c2185b', '#00897b'];
