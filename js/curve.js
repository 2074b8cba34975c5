// The learning curve: score vs labels after every retrain (SVG drawn here), the random baseline when there is
// one, the last batch's gain and the stopping criteria's state.
import { h, listen, s } from './dom.js';
import { polyline, scoreAxes } from './plot.js';

const W = 340;
const H = 150;
const PAD = { l: 36, r: 10, t: 10, b: 24 };

export function createCurve(model, el, ctx) {
  el.classList.add('al-curve');
  const title = h('div', 'al-curve-title', 'Learning curve');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Learning curve' });
  svg.classList.add('al-curve-svg');
  const summary = h('div', 'al-curve-summary');
  const stopping = h('ul', 'al-stopping');
  el.append(title, svg, summary, stopping);

  function draw() {
    const c = model.get('curve') || {};
    const xs = c.n_labels || [];
    const ys = c.scores || [];
    const bx = c.baseline_n || [];
    const by = c.baseline_scores || [];
    svg.replaceChildren();
    const x1 = Math.max(10, ...xs.concat(bx));
    const { px, py } = scoreAxes(svg, ys.concat(by), x1, { W, H, PAD });
    const axisLabel = s('text', { x: W - PAD.r, y: H - PAD.b - 4, 'text-anchor': 'end', class: 'al-tick' });
    axisLabel.textContent = 'labels';
    svg.appendChild(axisLabel);
    const line = (X, Y, cls) => {
      if (!X.length) return;
      svg.appendChild(polyline(X, Y, px, py, { class: cls }));
    };
    line(bx, by, 'al-line-baseline');
    line(xs, ys, 'al-line');
    xs.forEach((v, i) => {
      const dot = s('circle', { cx: px(v), cy: py(ys[i]), r: 3, class: 'al-dot' });
      const tip = s('title');
      tip.textContent = `${v} labels: ${ys[i].toFixed(3)}`;
      dot.appendChild(tip);
      svg.appendChild(dot);
    });
    if (!xs.length) {
      const t = s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'al-empty' });
      t.textContent = 'a point appears after each retrain';
      svg.appendChild(t);
    }
    // summary text
    const parts = [];
    if (ys.length) parts.push(`${c.metric || 'score'} ${ys[ys.length - 1].toFixed(3)} at ${xs[xs.length - 1]} labels`);
    if (c.gain !== null && c.gain !== undefined) parts.push(`last batch ${c.gain >= 0 ? '+' : ''}${c.gain.toFixed(3)}`);
    if (c.source) parts.push(c.source);
    if (bx.length) parts.push('dashed: random sampling');
    summary.textContent = parts.join(' · ');
    stopping.replaceChildren();
    for (const line of c.stopping || []) stopping.appendChild(h('li', null, line));
    if (c.stop) stopping.appendChild(h('li', 'al-stop', `stop: ${c.stop}`));
    ctx.root.setAttribute('data-curve-points', String(xs.length));
  }

  const off = listen(model, { 'change:curve': draw });
  draw();
  return { destroy() { off(); } };
}
