// The pool map: every item a point, coloured from a uint8 buffer through a small palette, with the labeled points,
// the selection and the batch rings drawn over them. This module wires the parts, each its own module:
//   renderer.js  WebGL (regl-scatterplot) or the 2-D canvas fallback     toolbar.js  colour, Lasso/Box, Add, Clear
//   selection.js click, lasso and box                                    tooltip.js  hover, hit-testing, tooltip
//   find.js      the search box, bulk labels, the round replay
//   overlay.js   labeled diamonds, selection rings, batch rings, lasso    legend.js   the colouring's legend
//   points.js    positions, colours and pool positions (pure)             layout.js   whose spatial index (pure)
//   resize and visibility: here (a ResizeObserver and an IntersectionObserver)
// A pool drawn as a sample: `point_index` gives the pool position of each point (sorted), and everything that
// leaves the map (commands, card focus) speaks pool positions, never point numbers. The map draws the `batch`
// trait; a caller that wants the batch out of sight for a while calls setBatchShown(false).
import { guard as guarded, h, listen } from '../dom.js';
import { createFind } from './find.js';
import { createLegend } from './legend.js';
import { createOverlay } from './overlay.js';
import { readColours, readPoints, toPoint, toPool } from './points.js';
import { createRenderer } from './renderer.js';
import { createSelectionTools } from './selection.js';
import { createToolbar } from './toolbar.js';
import { createTooltip } from './tooltip.js';

const PREVIEW_MAX = 200000;   // points the 2-D canvas paints before the WebGL renderer is up

/** The map in `el`; ctx: root, send(type, fields), focusCard(item), reportError(text), mark(el, name, value). */
export function createMap(model, el, ctx) {
  el.classList.add('al-map');
  const mark = (name, value) => ctx.mark(ctx.root, name, value);
  const t0 = performance.now();
  let destroyed = false;
  let batchShown = true;     // false: the batch is hidden (no rings, no selection) until shown again
  let pts = readPoints(null, null);
  let colours = readColours(null, null, 0);
  let selectedPts = [];      // point numbers of the selection
  let painted = false;       // the first draw is on screen (data-paint-ms)

  const wrap = h('div', 'al-canvas-wrap');
  const canvas = h('canvas', 'al-canvas');
  canvas.setAttribute('aria-label', 'Map of the pool');
  const size = () => [Math.max(200, Math.floor(wrap.clientWidth || 480)), Math.max(200, Math.floor(wrap.clientHeight || 400))];
  const batchItems = () => (batchShown ? (model.get('batch') || []).map((c) => c.index) : []);
  const batchPoints = () => batchItems().map((item) => toPoint(pts, item)).filter((p) => p >= 0);
  const allPoints = () => ({ ...pts, ...colours });

  const renderer = createRenderer(model, canvas, {
    size,
    batchPoints,
    onSelect: (ev) => tools.pick(ev),
    onDeselect: () => highlight(),
    onOver: (p) => tip.over(p),
    onOut: () => tip.hide(),
    onView: () => overlay.draw(),
    onError: ctx.reportError,
  });
  const shared = {
    size,
    mark,
    batchItems,
    points: allPoints,
    toPoint: (item) => toPoint(pts, item),
    toPool: (p) => toPool(pts, p),
    screenPos: (p) => renderer.screenPos(p),
    webgl: () => renderer.kind === 'webgl',
    send: ctx.send,
  };
  const tip = createTooltip(wrap, { ...shared, dragging: () => tools.dragging() });
  const tools = createSelectionTools(wrap, {
    ...shared,
    rel: tip.rel,
    batchUnderMouse: () => tip.batchUnderMouse(),
    focusCard: ctx.focusCard,
    highlight: () => highlight(),
    redraw: () => overlay.drawRings(),
    hideTip: () => tip.hide(),
    userMoved: () => renderer.userMoved(),
    screenTransform: () => renderer.screenTransform(),
  });
  const overlay = createOverlay(model, ctx.root, {
    ...shared, selected: () => selectedPts, batch: batchPoints, shape: () => tools.shape(),
  });
  const toolbar = createToolbar({
    onColour: (value) => ctx.send('color_by', { value }),
    onTool: (which) => toolbar.showTool(tools.toggle(which)),
    onAdd: () => ctx.send('add'),
    onClear: () => ctx.send('select', { indices: [] }),
  });
  const legend = createLegend(mark);
  const find = createFind(model, { send: ctx.send, mark }, ctx.reportError);
  wrap.append(canvas, overlay.marks, overlay.rings, tip.el);
  el.append(toolbar.bar, find.bar, wrap, legend.el, find.replay);

  function readSelection() {
    const selected = model.get('selected') || [];
    selectedPts = selected.map((item) => toPoint(pts, item)).filter((p) => p >= 0);
    const max = model.get('max_hand_picked');
    toolbar.showSelection(selected.length, Math.max(0, max - (model.get('batch') || []).length), max);
    mark('data-selected', selected.length);
  }

  function highlight() {
    if (destroyed) return;
    const idx = batchPoints();
    renderer.highlight(idx);
    overlay.draw();
    mark('data-highlighted', idx.length);
  }

  function drawn() {
    if (!painted) mark('data-paint-ms', Math.round(performance.now() - t0));
    painted = true;
    mark('data-points', pts.n);
    mark('data-ready', 'true');
    highlight();
  }

  const draw = () => renderer.draw(allPoints(), drawn);
  const readCoords = () => { pts = readPoints(model.get('coords'), model.get('point_index')); };
  const readColourTraits = () => { colours = readColours(model.get('color_values'), model.get('labeled_points'), pts.n); };
  const renderLegend = () => { legend.render(model.get('legend') || {}); toolbar.showColourBy(model.get('color_by')); };
  const renderProjection = () => {
    toolbar.showProjection(model.get('projection_status') || model.get('projection'));
    mark('data-projection', model.get('projection'));
  };
  // an error in a handler reaches the status line instead of vanishing in the console
  const guard = (fn) => guarded(fn, ctx.reportError, 'map: ');

  // The canvas, the renderer's hit-testing and the overlays follow the map's box (a window resize, a sidebar
  // toggled) and come back up to date when the map is shown again (scrolled back into view, a notebook's
  // windowing putting the cell back, a tab shown): a box of no size (hidden, detached) is not a size to take.
  let applied = '';   // the size the renderer last took
  const resize = guard(() => {
    if (destroyed || !wrap.clientWidth || !wrap.clientHeight) return;
    const [w, hgt] = size();
    applied = `${w}x${hgt}`;
    renderer.resize(w, hgt);
    legend.fit();
    // the renderer takes the new size on its next frame: the overlays follow once it has drawn
    requestAnimationFrame(() => requestAnimationFrame(guard(() => {
      if (destroyed) return;
      overlay.draw();
      mark('data-map-size', `${w}x${hgt}`);
    })));
  });
  const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(resize) : null;
  if (ro) ro.observe(wrap);
  let inView = false;
  const io = typeof IntersectionObserver !== 'undefined' ? new IntersectionObserver((entries) => {
    const now = entries.some((e) => e.isIntersecting);
    // back in view: a size missed while hidden is taken now; the same size only redraws the overlays (a resize
    // clears the canvas until the renderer's next frame)
    if (now && !inView && wrap.clientWidth && wrap.clientHeight) {
      if (size().join('x') !== applied) resize();
      else overlay.draw();
    }
    inView = now;
  }) : null;
  if (io) io.observe(wrap);

  const off = listen(model, {
    'change:coords': () => { renderer.newPositions(); readCoords(); readColourTraits(); readSelection(); draw(); },
    'change:color_values': () => { readColourTraits(); draw(); },
    'change:labeled_points': () => { readColourTraits(); overlay.drawMarks(); },
    'change:palette': () => { renderer.setPalette(model.get('palette')); draw(); },
    'change:batch': () => { readSelection(); highlight(); },
    'change:selected': () => { readSelection(); overlay.drawMarks(); },
    'change:legend': renderLegend,
    'change:color_by': renderLegend,
    'change:projection_status': renderProjection,
    'change:projection': renderProjection,
    'msg:custom': (msg) => tip.show(msg),
  }, ctx.reportError, 'map: ');

  // first paint once the element is in the page (sizes known)
  // Up to PREVIEW_MAX points the 2-D canvas paints them at once (~10 ms for 10k); the WebGL renderer (shaders,
  // buffers: 0.2-0.4 s in software WebGL) starts a frame later and takes over the same canvas, in the same place.
  requestAnimationFrame(guard(() => {
    if (destroyed) return;
    readCoords();
    readColourTraits();
    if (pts.n && pts.n <= PREVIEW_MAX) {
      renderer.preview(allPoints());
      mark('data-first-paint-ms', Math.round(performance.now() - t0));
    }
    requestAnimationFrame(guard(() => {
      if (destroyed) return;
      const tInit = performance.now();
      renderer.start();
      mark('data-renderer', renderer.kind);
      mark('data-init-ms', Math.round(performance.now() - tInit));
      mark('data-raf-ms', Math.round(tInit - t0));
      if (!(pts.n && pts.n <= PREVIEW_MAX)) mark('data-first-paint-ms', -1);
      draw();
    }));
  }));
  renderLegend();
  renderProjection();
  readSelection();

  return {
    /** Show or hide the batch (rings and selection); the batch trait is unchanged. */
    setBatchShown(shown) {
      if (batchShown === !!shown) return;
      batchShown = !!shown;
      highlight();
    },
    destroy() {
      destroyed = true;
      if (ro) ro.disconnect();
      if (io) io.disconnect();
      off();
      tip.destroy();
      tools.destroy();
      toolbar.destroy();
      find.destroy();
      renderer.destroy();
    },
  };
}
