// Hover and hit-testing on the map: where the mouse is, which batch ring holds it, the `peek` asked of Python for
// the point under it, and the tooltip that shows Python's answer (the item itself, its label, the predicted
// class and probability, and the normalised entropy on the legend's 0-1 scale).
import { renderItem } from '../cards.js';
import { h, on } from '../dom.js';
import { pointSize } from './points.js';

/** The tooltip's lines for a peek answer `msg` (pure: title, item, rows). */
export function tipRows(msg) {
  const rows = [];
  if (msg.label !== undefined) rows.push(`label: ${msg.label}`);
  if (msg.predicted !== undefined) {
    rows.push(`predicted: ${msg.predicted} (${Math.round(msg.p * 100)}%)`);
    rows.push(`uncertainty: ${msg.entropy.toFixed(2)} (entropy, 0 sure – 1 unsure)`);
  }
  return rows;
}

/**
 * The tooltip (`el`, placed in `wrap`). `view`: size() -> [w, h], batchItems() -> pool positions of the batch,
 * toPoint(item), toPool(p), screenPos(p), webgl(), points() -> {n}, dragging() -> a lasso or box is being
 * drawn, send(type, fields), mark(name, value).
 */
export function createTooltip(wrap, view) {
  const el = h('div', 'al-tooltip');
  el.hidden = true;
  let mouse = [0, 0];
  let hovered = -1;

  function rel(ev) {
    const rect = wrap.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  }

  function hide() {
    hovered = -1;
    view.mark('data-hovered', -1);
    el.hidden = true;
    view.mark('data-tooltip', 'hidden');
  }

  // the batch item whose ring holds the mouse: a click there means that item, even where a denser neighbour is
  // the point under the cursor
  function batchUnderMouse() {
    if (!view.webgl()) return -1;
    const r = pointSize(view.points().n) / 2 + 5;
    let best = -1;
    let bestD = r * r;
    for (const item of view.batchItems()) {
      const p = view.toPoint(item);
      if (p < 0) continue;
      const q = view.screenPos(p);
      if (!q) continue;
      const d = (q[0] - mouse[0]) ** 2 + (q[1] - mouse[1]) ** 2;
      if (d <= bestD) { bestD = d; best = item; }
    }
    return best;
  }

  function over(p) {
    const ringed = batchUnderMouse();   // inside a batch ring: that item, as a click there would pick
    hovered = ringed >= 0 ? ringed : view.toPool(p);
    view.mark('data-hovered', hovered);
    view.send('peek', { index: hovered });
  }

  function show(msg) {
    if (!msg || msg.type !== 'peek' || msg.index !== hovered || view.dragging()) return;
    el.replaceChildren();
    const hasId = msg.id !== undefined && msg.id !== null;
    el.appendChild(h('div', 'al-tip-title', hasId ? String(msg.id) : `#${msg.index}`));
    if (msg.item) el.appendChild(renderItem(msg.item));
    else el.appendChild(h('div', 'al-tip-text', msg.preview));
    for (const row of tipRows(msg)) el.appendChild(h('div', 'al-tip-row', row));
    const [w, hgt] = view.size();
    el.hidden = false;
    const tw = el.offsetWidth || 200;
    const th = el.offsetHeight || 100;
    el.style.left = `${Math.max(0, Math.min(mouse[0] + 12, w - tw - 4))}px`;
    el.style.top = `${mouse[1] + 12 + th > hgt ? Math.max(0, mouse[1] - th - 8) : mouse[1] + 12}px`;
    view.mark('data-tooltip', 'shown');
  }

  // capture phase: the position is known before the renderer's own handlers ask for it
  const off = on([wrap, 'pointermove', (ev) => { mouse = rel(ev); }, true],
    [wrap, 'pointerleave', () => { if (!view.dragging()) hide(); }]);

  return {
    el,
    rel,
    hide,
    over,
    /** Python's answer to a peek (the `msg:custom` event). */
    show,
    batchUnderMouse,
    destroy() { off(); },
  };
}
