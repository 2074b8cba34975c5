// The map's legend: the colouring's title, its ramp (continuous) or note, and a swatch per class, wrapped in even
// rows (never one item alone on a line).
import { h } from '../dom.js';
import { rampGradient } from '../palette.js';

/** The grid of `items` swatches, each at most `widest` px, in `avail` px: {rows, cols}, never one alone on a row. */
export function balance(items, widest, avail) {
  const perRow = Math.max(1, Math.floor(Math.max(widest, avail) / widest));
  const rows = Math.ceil(items / perRow);
  return { rows, cols: Math.ceil(items / rows) };
}

/** The legend element (`el`); render(legend) draws the `legend` trait, fit() re-balances the rows. */
export function createLegend(mark) {
  const el = h('div', 'al-legend');
  let classes = null;

  function fit() {
    if (!classes) return;
    const items = classes.children.length;
    classes.style.gridTemplateColumns = '';
    if (!items) return;
    const widest = Math.max(...Array.from(classes.children, (c) => c.scrollWidth)) + 8;
    const { rows, cols } = balance(items, widest, el.clientWidth - 8);
    classes.style.gridTemplateColumns = `repeat(${cols}, max-content)`;
    mark('data-legend-rows', rows);
  }

  function render(lg) {
    el.replaceChildren();
    el.appendChild(h('span', 'al-legend-title', lg.title || ''));
    if (lg.kind === 'continuous') {
      const ramp = h('span', 'al-ramp');
      ramp.style.background = rampGradient(lg.ramp);
      el.append(h('span', 'al-legend-end', lg.min), ramp, h('span', 'al-legend-end', lg.max));
      el.appendChild(h('span', 'al-legend-sep', '· labeled:'));
    } else if (lg.note) {
      el.appendChild(h('span', 'al-legend-note', lg.note));
    }
    classes = h('span', 'al-legend-classes');
    for (const c of lg.classes || []) {
      const item = h('span', 'al-legend-class');
      const sw = h('span', 'al-swatch');
      sw.style.background = c.color;
      item.append(sw, document.createTextNode(c.name));
      classes.appendChild(item);
    }
    el.appendChild(classes);
    // the marks drawn over the points, by shape: labeled points are diamonds, selected ones ringed
    if ((lg.classes || []).length) {
      const key = h('span', 'al-legend-key');
      key.append(h('span', 'al-key-labeled'), document.createTextNode('labeled'), h('span', 'al-key-selected'),
        document.createTextNode('selected'));
      el.appendChild(key);
    }
    fit();
  }

  return { el, render, fit };
}
