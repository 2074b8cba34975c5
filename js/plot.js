// Score-vs-labels charts (the learning curve, the race): axes and lines drawn as SVG.
import { s } from './dom.js';

/**
 * Axes of a score-vs-labels chart drawn into `svg`: x from 0 to x1, y over the scores padded to a span of at
 * least 0.05 (0..1 with no scores), three ticks on each axis. Returns the scales and the y range used.
 */
export function scoreAxes(svg, scores, x1, { W, H, PAD }) {
  let y0 = scores.length ? Math.min(1, ...scores) : 0;
  let y1 = scores.length ? Math.max(0, ...scores) : 1;
  if (y1 - y0 < 0.05) { y0 = Math.max(0, y0 - 0.05); y1 = Math.min(1, y1 + 0.05); if (y1 <= y0) y1 = y0 + 0.1; }
  const px = (v) => PAD.l + (v / x1) * (W - PAD.l - PAD.r);
  const py = (v) => H - PAD.b - ((v - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  svg.appendChild(s('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: 'al-axis' }));
  svg.appendChild(s('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, class: 'al-axis' }));
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    const t = s('text', { x: PAD.l - 4, y: py(v) + 3, 'text-anchor': 'end', class: 'al-tick' });
    t.textContent = v.toFixed(2);
    svg.appendChild(t);
  }
  for (const v of [0, Math.round(x1 / 2), x1]) {
    const t = s('text', { x: px(v), y: H - 8, 'text-anchor': 'middle', class: 'al-tick' });
    t.textContent = String(v);
    svg.appendChild(t);
  }
  return { px, py, y0, y1 };
}

/** An SVG polyline through (xs[i], ys[i]) on the scales `px`, `py`, with extra attributes. */
export function polyline(xs, ys, px, py, attrs = {}) {
  return s('polyline', { points: xs.map((v, i) => `${px(v)},${py(ys[i])}`).join(' '), ...attrs });
}
