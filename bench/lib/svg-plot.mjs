// A line chart as a standalone SVG string, written by hand (no plotting dependency): one or more
// panels side by side, each with a linear x axis, a logarithmic y axis and one line per series.

const COLORS = ['#1b7837', '#d6604d', '#2166ac', '#8c510a', '#762a83', '#35978f'];
// Each panel: the plot, and its legend in the right margin.
const PANEL = { width: 660, height: 340, left: 62, right: 250, top: 44, bottom: 52 };

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceLogTicks(min, max) {
  const ticks = [];
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max * 1.0001; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = decade * step;
      if (value >= min * 0.9999 && value <= max * 1.0001) ticks.push(value);
    }
  }
  return ticks;
}

function niceLinearTicks(min, max, count = 5) {
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) ticks.push(+value.toFixed(10));
  return ticks;
}

const label = (value) => (value >= 1 ? String(+value.toPrecision(3)) : String(+value.toPrecision(2)));

function panel({ title, xLabel, yLabel, series }, offsetX) {
  const points = series.flatMap((s) => s.points).filter(([, y]) => y > 0 && Number.isFinite(y));
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const xMin = 0;
  const xMax = Math.max(...xs) * 1.05;
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const plotW = PANEL.width - PANEL.left - PANEL.right;
  const plotH = PANEL.height - PANEL.top - PANEL.bottom;
  const px = (x) => offsetX + PANEL.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y) => PANEL.top + plotH - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;
  const out = [];
  out.push(`<text x="${offsetX + PANEL.left + plotW / 2}" y="22" text-anchor="middle" font-weight="bold">${escape(title)}</text>`);
  for (const tick of niceLogTicks(yMin, yMax)) {
    const y = py(tick).toFixed(1);
    out.push(`<line x1="${px(xMin)}" x2="${px(xMax)}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${offsetX + PANEL.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(tick)}</text>`);
  }
  for (const tick of niceLinearTicks(xMin, xMax)) {
    const x = px(tick).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${PANEL.top}" y2="${PANEL.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${PANEL.top + plotH + 16}" text-anchor="middle">${label(tick)}</text>`);
  }
  out.push(`<rect x="${px(xMin)}" y="${PANEL.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#666"/>`);
  out.push(`<text x="${offsetX + PANEL.left + plotW / 2}" y="${PANEL.height - 12}" text-anchor="middle">${escape(xLabel)}</text>`);
  const yMid = PANEL.top + plotH / 2;
  out.push(`<text x="${offsetX + 16}" y="${yMid}" text-anchor="middle" transform="rotate(-90 ${offsetX + 16} ${yMid})">${escape(yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const valid = s.points.filter(([, y]) => y > 0 && Number.isFinite(y));
    if (valid.length === 0) return;
    const path = valid.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of valid) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = PANEL.top + 12 + i * 18;
    const lx = offsetX + PANEL.width - PANEL.right + 14;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escape(s.name)}</text>`);
  });
  return out.join('\n');
}

/**
 * An SVG chart.
 *
 * @param {{ panels: { title: string, xLabel: string, yLabel: string,
 *   series: { name: string, points: [number, number][] }[] }[], caption?: string }} chart
 * @returns {string} The SVG document.
 */
export function lineChartSvg({ panels, caption }) {
  const width = PANEL.width * panels.length;
  const height = PANEL.height + (caption ? 18 : 0);
  const body = panels.map((p, i) => panel(p, i * PANEL.width)).join('\n');
  const footer = caption
    ? `<text x="${width / 2}" y="${PANEL.height + 8}" text-anchor="middle" fill="#555" font-size="10">${escape(caption)}</text>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n${footer}\n</svg>\n`
  );
}
