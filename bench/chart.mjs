// SVG charts for the benchmark reports (bench/report.mjs), without dependencies: plain strings, system fonts.
//   ratioBars(): grouped bars of ratios on a log axis around 1 (a bar up = more than the reference broker)
//   lineChart(): one line per broker against N on a log x axis (cost curves), y from 0 so flat reads as flat
//                (log y only when the values span more than 100x)
//   page(): stack charts vertically into one SVG document
// Every chart is {width, height, body}; body is SVG markup drawn in a width x height box at the origin.

const COLORS = { warren: '#1f6fb4', rabbit: '#f07f0e', garagemq: '#2ca02c' };
const EXTRA = ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

export function colorOf(name, i = 0) {
  return COLORS[name.split('+')[0]] ?? EXTRA[i % EXTRA.length];
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1).replace(/\.0$/, '')
  : String(Number(v.toPrecision(2))));
const text = (x, y, s, extra = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT}` +
  `${extra.includes('font-size') ? '' : ' font-size="12"'} ${extra}>${esc(s)}</text>`;

function legend(names, x, y) {
  return names.map((n, i) => `<rect x="${x + i * 130}" y="${y - 10}" width="12" height="12" fill="${colorOf(n, i)}"/>` +
    text(x + i * 130 + 17, y, n)).join('');
}

/** Grouped bars of ratios (log scale, line at 1). groups: labels; series: [{name, values: (number|null)[]}]. */
export function ratioBars({ title, groups, series, yLabel }) {
  const left = 60, right = 20, top = 40, bottom = 70, plotH = 260;
  const groupW = Math.max(60, 24 * series.length + 24);
  const width = left + right + groupW * groups.length, height = top + plotH + bottom;
  const vals = series.flatMap((s) => s.values).filter((v) => v > 0);
  let lo = Math.min(0.5, ...vals) / 1.3, hi = Math.max(2, ...vals) * 1.3;
  const y = (v) => top + plotH * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const out = [text(left, 20, title, 'font-size="14" font-weight="bold"')];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v < lo || v > hi) continue;
      out.push(`<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
        text(left - 6, y(v) + 4, fmt(v), 'text-anchor="end"'));
    }
  }
  out.push(`<line x1="${left}" x2="${width - right}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#333" stroke-width="1.5"/>`);
  const barW = (groupW - 24) / Math.max(1, series.length);
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + 12;
    series.forEach((s, si) => {
      const v = s.values[gi], x = gx + si * barW;
      if (!(v > 0)) {
        out.push(text(x + barW / 2, y(1) - 4, 'n/a', 'text-anchor="middle" font-size="10" fill="#888"'));
        return;
      }
      const y0 = y(1), y1 = y(v);
      out.push(`<rect x="${x.toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${(barW - 2).toFixed(1)}" ` +
        `height="${Math.max(1, Math.abs(y1 - y0)).toFixed(1)}" fill="${colorOf(s.name, si)}"><title>${esc(`${s.name} ${g}: ${fmt(v)}`)}</title></rect>`,
        text(x + barW / 2 - 1, v >= 1 ? y1 - 3 : y1 + 11, fmt(v), 'text-anchor="middle" font-size="9"'));
    });
    out.push(text(gx + (groupW - 24) / 2, top + plotH + 16, g, 'text-anchor="middle"'));
  });
  out.push(text(14, top + plotH / 2, yLabel, `transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle"`));
  out.push(legend(series.map((s) => s.name), left, top + plotH + 48));
  return { width, height, body: out.join('\n') };
}

/** Lines against N on a log x axis; y linear from 0. series: [{name, points: [[n, value], ...]}]. */
export function lineChart({ title, xLabel, yLabel, series, width = 560 }) {
  const left = 70, right = 20, top = 40, bottom = 70, plotH = 240, plotW = width - left - right;
  const height = top + plotH + bottom;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v != null && Number.isFinite(v));
  const xlo = Math.min(...xs), xhi = Math.max(...xs);
  const span = Math.log10(xhi) - Math.log10(xlo) || 1;
  const x = (v) => left + plotW * (xs.length < 2 ? 0.5 : (Math.log10(v) - Math.log10(xlo)) / span);
  // y from 0 so that flat reads as flat; a log axis only when one broker is 100x another (it would squash them)
  const pos = ys.filter((v) => v > 0);
  const logY = pos.length > 1 && Math.max(...pos) / Math.min(...pos) > 100;
  const ymax = logY ? 10 ** Math.ceil(Math.log10(Math.max(...pos))) : niceMax(Math.max(1e-9, ...ys) * 1.1);
  const ymin = logY ? 10 ** Math.floor(Math.log10(Math.min(...pos))) : 0;
  const y = logY
    ? (v) => top + plotH * (1 - (Math.log10(Math.max(v, ymin)) - Math.log10(ymin)) / (Math.log10(ymax) - Math.log10(ymin)))
    : (v) => top + plotH * (1 - v / ymax);
  const out = [text(left, 20, logY ? `${title} (log scale)` : title, 'font-size="14" font-weight="bold"')];
  const ticks = logY
    ? Array.from({ length: Math.round(Math.log10(ymax / ymin)) + 1 }, (_, i) => ymin * 10 ** i)
    : Array.from({ length: 6 }, (_, i) => (ymax * i) / 5);
  for (const v of ticks) {
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      text(left - 6, y(v) + 4, fmt(v), 'text-anchor="end"'));
  }
  for (const v of xs) {
    out.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top}" y2="${top + plotH}" stroke="#eee"/>`,
      text(x(v), top + plotH + 16, fmt(v), 'text-anchor="middle"'));
  }
  series.forEach((s, si) => {
    const pts = s.points.filter((p) => p[1] != null && Number.isFinite(p[1])).sort((a, b) => a[0] - b[0]);
    const c = colorOf(s.name, si);
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of pts) {
      out.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${c}"><title>${esc(`${s.name} N=${p[0]}: ${fmt(p[1])}`)}</title></circle>`);
    }
  });
  out.push(text(left + plotW / 2, top + plotH + 34, xLabel, 'text-anchor="middle"'));
  out.push(text(16, top + plotH / 2, yLabel, `transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle"`));
  out.push(legend(series.map((s) => s.name), left, top + plotH + 58));
  return { width, height, body: out.join('\n') };
}

function niceMax(v) {
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

/** Charts side by side in rows of `perRow`, rows stacked, one SVG document; caption at the bottom. */
export function page(charts, { perRow = 1, caption = '' } = {}) {
  const rows = [];
  for (let i = 0; i < charts.length; i += perRow) rows.push(charts.slice(i, i + perRow));
  const width = Math.max(...rows.map((r) => r.reduce((w, c) => w + c.width, 0)));
  let yOff = 0;
  const parts = [];
  for (const r of rows) {
    let xOff = 0;
    for (const c of r) {
      parts.push(`<g transform="translate(${xOff},${yOff})">${c.body}</g>`);
      xOff += c.width;
    }
    yOff += Math.max(...r.map((c) => c.height));
  }
  if (caption) {
    parts.push(text(10, yOff + 14, caption, 'font-size="11" fill="#555"'));
    yOff += 24;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${yOff}" viewBox="0 0 ${width} ${yOff}">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}
