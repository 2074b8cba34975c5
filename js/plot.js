// Score-vs-labels charts (the learning curve, the race): axes with rounded ticks that include every point, an
// axis title on each axis, lines and bands drawn as SVG.
import { s } from './dom.js';

/**
 * Rounded ticks from at or below `lo` to at or above `hi`: [start, end, step, ticks]. Of 3 to 6 ticks, the set
 * whose range wastes the least room around the data.
 */
export function niceTicks(lo, hi, count = 4, integer = false) {
  let best = null;
  for (const c of [count - 1, count, count + 1]) {
    const t = ticksFor(lo, hi, c, integer);
    if (!best || (t[1] - t[0]) < (best[1] - best[0]) - 1e-12) best = t;
  }
  return best;
}

function ticksFor(lo, hi, count, integer) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  let step = steps.map((m) => m * mag).find((v) => v >= raw) || 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toFixed(10)));
  return [start, end, step, ticks];
}

function tickText(v, step) {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(3, digits + (step / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0)));
}

/**
 * Axes of a score-vs-labels chart drawn into `svg`: x from 0 to at least x1, y over the scores; rounded ticks
 * on both axes that include every point, and the axis titles `xTitle` (under the x ticks, right-aligned, clear of
 * the plot) and `yTitle` (rotated, left of the y ticks). Returns the scales and the ranges used.
 */
export function scoreAxes(svg, scores, x1, { W, H, PAD }, { xTitle = 'labels', yTitle = 'score' } = {}) {
  let lo = scores.length ? Math.min(...scores) : 0;
  let hi = scores.length ? Math.max(...scores) : 1;
  if (hi - lo < 0.04) { const mid = (lo + hi) / 2; lo = mid - 0.02; hi = mid + 0.02; }
  const [y0, y1, ystep, yticks] = niceTicks(lo, hi, 4);
  const [, xEnd, xstep, xticks] = niceTicks(0, Math.max(1, x1), 4, true);   // label counts: whole numbers
  const px = (v) => PAD.l + (v / xEnd) * (W - PAD.l - PAD.r);
  const py = (v) => H - PAD.b - ((v - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  svg.appendChild(s('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: 'al-axis' }));
  svg.appendChild(s('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, class: 'al-axis' }));
  for (const v of yticks) {
    svg.appendChild(s('line', { x1: PAD.l - 3, x2: PAD.l, y1: py(v), y2: py(v), class: 'al-axis' }));
    const t = s('text', { x: PAD.l - 5, y: py(v) + 3, 'text-anchor': 'end', class: 'al-tick' });
    t.textContent = tickText(v, ystep);
    svg.appendChild(t);
  }
  xticks.forEach((v, k) => {
    svg.appendChild(s('line', { x1: px(v), x2: px(v), y1: H - PAD.b, y2: H - PAD.b + 3, class: 'al-axis' }));
    const last = k === xticks.length - 1;
    // the last tick ends at the plot's right edge: anchored at its end so it is never clipped
    const t = s('text', { x: px(v), y: H - PAD.b + 13, 'text-anchor': last ? 'end' : k === 0 ? 'start' : 'middle', class: 'al-tick' });
    t.textContent = String(Math.round(v / xstep) * xstep);
    svg.appendChild(t);
  });
  const xt = s('text', { x: (PAD.l + W - PAD.r) / 2, y: H - 3, 'text-anchor': 'middle', class: 'al-axis-title' });
  xt.textContent = xTitle;
  const yt = s('text', { x: 0, y: 0, 'text-anchor': 'middle', class: 'al-axis-title',
    transform: `translate(11 ${(PAD.t + H - PAD.b) / 2}) rotate(-90)` });
  yt.textContent = yTitle;
  svg.append(xt, yt);
  return { px, py, y0, y1, x1: xEnd };
}

/** An SVG polyline through (xs[i], ys[i]) on the scales `px`, `py`, with extra attributes. */
export function polyline(xs, ys, px, py, attrs = {}) {
  return s('polyline', { points: xs.map((v, i) => `${px(v)},${py(ys[i])}`).join(' '), ...attrs });
}

/** A closed band between `lo` and `hi` over xs (e.g. the spread of random draws). */
export function band(xs, lo, hi, px, py, attrs = {}) {
  const top = xs.map((v, i) => `${px(v)},${py(hi[i])}`);
  const bottom = xs.map((v, i) => `${px(v)},${py(lo[i])}`).reverse();
  return s('polygon', { points: top.concat(bottom).join(' '), ...attrs });
}
