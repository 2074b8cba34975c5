// The learning curve: score vs labels after every retrain (SVG drawn here), the random baseline with the spread
// of its draws when there is a holdout, the last batch's gain, a hint when the learner trails random, and the
// stopping criteria's state. The caption names only what is drawn.
import { h, listen, s } from './dom.js';
import { band, polyline, scoreAxes } from './plot.js';

const W = 360;
const H = 180;
const PAD = { l: 48, r: 14, t: 10, b: 36 };

export function createCurve(model, el, ctx) {
  el.classList.add('al-curve');
  const title = h('div', 'al-curve-title', 'Learning curve');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Learning curve' });
  svg.classList.add('al-curve-svg');
  const summary = h('div', 'al-curve-summary');
  const caption = h('div', 'al-curve-caption');
  const hint = h('div', 'al-curve-hint');
  hint.setAttribute('role', 'note');
  const stopping = h('ul', 'al-stopping');
  el.append(title, svg, summary, caption, hint, stopping);

  function draw() {
    const c = model.get('curve') || {};
    const xs = c.n_labels || [];
    const ys = c.scores || [];
    const bx = c.baseline_n || [];
    const by = c.baseline_scores || [];
    const lo = c.baseline_lo || [];
    const hi = c.baseline_hi || [];
    const hasBand = lo.length === bx.length && hi.length === bx.length && bx.length > 0;
    svg.replaceChildren();
    const x1 = Math.max(10, ...xs.concat(bx));
    const metric = c.metric || 'score';
    // a source with a note ("labeled-cv (biased: ...)"): the axis gets its name, the summary line its note
    const source = c.source || '';
    const cut = source.indexOf(' (');
    const sourceName = cut > 0 ? source.slice(0, cut) : source;
    const sourceNote = cut > 0 ? source.slice(cut + 2).replace(/\)$/, '') : '';
    const yTitle = sourceName ? `${metric} (${sourceName})` : metric;
    const all = ys.concat(by, hasBand ? lo.concat(hi) : []);
    const { px, py } = scoreAxes(svg, all, x1, { W, H, PAD }, { xTitle: 'labels', yTitle });
    if (hasBand && bx.length > 1) svg.appendChild(band(bx, lo, hi, px, py, { class: 'al-band-baseline' }));
    if (bx.length > 1) svg.appendChild(polyline(bx, by, px, py, { class: 'al-line-baseline' }));
    bx.forEach((v, i) => svg.appendChild(s('circle', { cx: px(v), cy: py(by[i]), r: 2, class: 'al-dot-baseline' })));
    if (xs.length > 1) svg.appendChild(polyline(xs, ys, px, py, { class: 'al-line' }));
    xs.forEach((v, i) => {
      const dot = s('circle', { cx: px(v), cy: py(ys[i]), r: 3, class: 'al-dot' });
      const tip = s('title');
      tip.textContent = `${v} labels: ${ys[i].toFixed(3)}`;
      dot.appendChild(tip);
      svg.appendChild(dot);
    });
    if (!xs.length) {
      const t = s('text', { x: (PAD.l + W - PAD.r) / 2, y: (PAD.t + H - PAD.b) / 2, 'text-anchor': 'middle', class: 'al-empty' });
      t.textContent = 'a point appears after each retrain';
      svg.appendChild(t);
    }
    const parts = [];
    if (ys.length) parts.push(`${metric} ${ys[ys.length - 1].toFixed(3)} at ${xs[xs.length - 1]} labels`);
    if (c.gain !== null && c.gain !== undefined) parts.push(`last batch ${c.gain >= 0 ? '+' : ''}${c.gain.toFixed(3)}`);
    if (ys.length && sourceNote) parts.push(`${sourceName}: ${sourceNote}`);
    summary.textContent = parts.join(' · ');
    // the caption: only what is drawn
    const cap = [];
    if (xs.length) cap.push(`blue ${xs.length > 1 ? 'line' : 'dot'}: your labels`);
    if (bx.length) {
      const drawn = bx.length > 1 ? `grey dashed line${hasBand ? ' and band' : ''}` : 'grey dot';
      const spread = bx.length > 1 && hasBand ? `; the band spans the lowest to highest of the ${c.baseline_draws || ''} draws` : '';
      cap.push(`${drawn}: ${c.baseline_note || 'random baseline'}${spread}`);
    }
    caption.textContent = cap.join(' · ');
    hint.textContent = c.hint || '';
    hint.hidden = !c.hint;
    stopping.replaceChildren();
    for (const line of c.stopping || []) stopping.appendChild(h('li', null, line));
    if (c.stop) stopping.appendChild(h('li', 'al-stop', `stop: ${c.stop}`));
    ctx.mark(ctx.root, 'data-curve-points', xs.length);
    ctx.mark(ctx.root, 'data-baseline-points', bx.length);
  }

  const off = listen(model, { 'change:curve': draw }, ctx.reportError, 'curve: ');
  draw();
  return { destroy() { off(); } };
}
