// The pool map: every item a point (WebGL via regl-scatterplot, 2-D canvas fallback), coloured from a uint8
// buffer through a small palette. Over the points, kept on them through pans, zooms and resizes (ResizeObserver:
// canvas and overlays resized together): the labeled points (larger, outlined, on top), the selection, and the
// batch rings. A selection (click a point; lasso: shift+drag or the Lasso button; box: alt+drag or the Box button;
// both by pointer events with pointer capture) is `selected` in Python; "Add to batch" makes it labeling work.
// A pool drawn as a sample: `point_index` gives the pool position of each point (sorted), and everything that
// leaves this file (commands, card focus) speaks pool positions, never point numbers.
// The map draws the `batch` trait; a caller that wants the batch out of sight for a while calls
// setBatchShown(false), and the map needs to know no more than that.
import createScatterplot from 'regl-scatterplot';
import { toFloat32, toUint32, toUint8 } from './binary.js';
import { renderItem } from './cards.js';
import { ACCENT, SELECTION } from './constants.js';
import { button, h, listen, on, s } from './dom.js';

const MODES = [['entropy', 'entropy'], ['margin', 'margin'], ['predicted', 'predicted class'], ['label', 'label']];

const PREVIEW_MAX = 200000;   // points the 2-D canvas paints before the WebGL renderer is up

function pointSize(n) {
  if (n <= 2000) return 6;
  if (n <= 20000) return 4;
  if (n <= 200000) return 2.5;
  return 1.5;
}

export function createMap(model, el, ctx) {
  const cleanups = [];
  el.classList.add('al-map');

  // --- toolbar: colour switch, lasso and box toggles, projection status
  const bar = h('div', 'al-map-bar');
  const colourLabel = h('label', 'al-field', 'Colour ');
  const select = h('select', 'al-select');
  select.setAttribute('aria-label', 'Colour the map by');
  for (const [value, text] of MODES) {
    const o = h('option', null, text);
    o.value = value;
    select.appendChild(o);
  }
  colourLabel.appendChild(select);
  const lassoBtn = button('Lasso', 'al-lasso', 'Lasso: draw around points to select them (or shift+drag)');
  lassoBtn.setAttribute('aria-pressed', 'false');
  const boxBtn = button('Box', 'al-box', 'Box: drag a rectangle to select the points in it (or alt+drag)');
  boxBtn.setAttribute('aria-pressed', 'false');
  const selBox = h('span', 'al-selection');
  const selCount = h('span', 'al-sel-count');
  const addBtn = button('Add to batch', 'al-add', 'Add the selected points to the batch as cards');
  const clearBtn = button('Clear', 'al-clear', 'Clear the selection');
  selBox.append(selCount, addBtn, clearBtn);
  const projection = h('span', 'al-projection');
  bar.append(colourLabel, lassoBtn, boxBtn, selBox, projection);

  const wrap = h('div', 'al-canvas-wrap');
  const canvas = h('canvas', 'al-canvas');
  canvas.setAttribute('aria-label', 'Map of the pool');
  const marks = h('canvas', 'al-marks');
  marks.setAttribute('aria-hidden', 'true');
  const tooltip = h('div', 'al-tooltip');
  tooltip.hidden = true;
  const rings = s('svg', { class: 'al-rings', 'aria-hidden': 'true' });
  wrap.append(canvas, marks, rings, tooltip);
  const legend = h('div', 'al-legend');
  el.append(bar, wrap, legend);

  // --- state
  let n = 0;
  let x = new Float32Array(0);
  let y = new Float32Array(0);
  let z = new Float32Array(0);
  let scatter = null;
  let renderer = 'webgl';
  let destroyed = false;
  let ignoreSelect = 0;
  let hovered = -1;
  let mouse = [0, 0];
  let drawSeq = 0;
  let spatialIndex = null;   // kd-tree of the current positions, kept across recolours
  let pointIndex = null;     // Uint32Array: pool position of each point (sorted), or null: point i is item i
  let batchShown = true;     // false: the batch is hidden (no rings, no selection) until shown again
  let labeledPts = new Uint32Array(0);   // point numbers of the labeled items
  let selectedPts = [];      // point numbers of the selection
  let tool = null;           // 'lasso' or 'box' while its button is pressed: a plain drag draws one
  let lasso = null;          // {id, kind: 'lasso' | 'box', pts: [[x, y], ...]} while a lasso or a box is drawn
  let overlayStale = false;  // the renderer's next frame redraws the overlays (after a resize)
  let userView = false;      // the user zoomed or panned: a resize keeps their view instead of fitting the map

  const toPool = (p) => (pointIndex ? pointIndex[p] : p);
  function toPoint(item) {   // the point drawing pool item `item`, or -1 when it is not on the map
    if (!pointIndex) return item >= 0 && item < n ? item : -1;
    let lo = 0;
    let hi = pointIndex.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = pointIndex[mid];
      if (v === item) return mid;
      if (v < item) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  const size = () => {
    const w = Math.max(200, Math.floor(wrap.clientWidth || 480));
    const hgt = Math.max(200, Math.floor(wrap.clientHeight || 400));
    return [w, hgt];
  };

  function batchIndices() {   // pool positions
    if (!batchShown) return [];
    return (model.get('batch') || []).map((c) => c.index);
  }

  function batchPoints() {   // the points drawing the batch
    return batchIndices().map(toPoint).filter((p) => p >= 0);
  }

  function readCoords() {
    const xy = toFloat32(model.get('coords'));
    n = Math.floor(xy.length / 2);
    const pi = toUint32(model.get('point_index'));
    pointIndex = pi.length === n && n > 0 ? Uint32Array.from(pi) : null;
    x = new Float32Array(n);
    y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = xy[2 * i];
      y[i] = xy[2 * i + 1];
    }
  }

  function readColours() {
    const c = toUint8(model.get('color_values'));
    z = new Float32Array(n);
    for (let i = 0; i < n && i < c.length; i++) z[i] = c[i];
    labeledPts = Uint32Array.from(toUint32(model.get('labeled_points')));
  }

  function readSelection() {
    selectedPts = (model.get('selected') || []).map(toPoint).filter((p) => p >= 0);
    const k = (model.get('selected') || []).length;
    const room = Math.max(0, model.get('max_hand_picked') - (model.get('batch') || []).length);
    selBox.hidden = k === 0;
    selCount.textContent = `${k} selected`;
    addBtn.textContent = k > room ? `Add ${room} of ${k} to batch (a batch holds ${model.get('max_hand_picked')})` : `Add ${k} to batch`;
    addBtn.disabled = room === 0;
    ctx.root.setAttribute('data-selected', String(k));
  }

  // --- WebGL renderer, with a 2-D canvas fallback when WebGL is unavailable
  function initRenderer() {
    const [w, hgt] = size();
    try {
      const many = model.get('n_points') > 200000;
      scatter = createScatterplot({
        canvas,
        performanceMode: many,   // squares without alpha blending: keeps 1M points pannable
        width: w,
        height: hgt,
        backgroundColor: [0, 0, 0, 0],
        pointSize: pointSize(model.get('n_points')),
        pointSizeSelected: 4,
        pointOutlineWidth: 2,
        pointColor: model.get('palette'),
        pointColorActive: ACCENT,
        pointColorHover: '#000000',
        colorBy: 'valueA',
        opacity: many ? 1 : 0.9,
        lassoColor: ACCENT,
        deselectOnDblClick: false,
        deselectOnEscape: false,
        actionKeyMap: {},          // the lasso is ours (pointer events, below); no rotation on alt
        lassoOnLongPress: false,
      });
      fitView();
      scatter.subscribe('select', onSelect);
      scatter.subscribe('deselect', () => { if (!ignoreSelect) highlight(); });
      scatter.subscribe('pointOver', onOver);
      scatter.subscribe('pointOut', onOut);
      scatter.subscribe('view', drawOverlay);
      scatter.subscribe('draw', () => { if (overlayStale) { overlayStale = false; drawOverlay(); } });
    } catch (err) {
      scatter = null;
      renderer = 'canvas';
      canvas.width = w;
      canvas.height = hgt;
      cleanups.push(on([canvas, 'click', onCanvasClick]));
    }
    ctx.root.setAttribute('data-renderer', renderer);
  }

  // The whole map in view: the coordinates lie in [-1, 1] on both axes, and the renderer's default camera shows
  // [-1, 1] vertically only, so a box narrower than tall (a narrow window, a sidebar open) cut the points off left
  // and right. Fit the square instead, until the user zooms or pans.
  function fitView() {
    if (!scatter || userView) return;
    try {
      scatter.zoomToArea({ x: -1, y: -1, width: 2, height: 2 }, { transition: false });
    } catch (err) { /* an older renderer: its default view */ }
  }

  // where point p is on the screen, relative to the map's box
  function screenPos(p) {
    if (scatter) {
      try { return scatter.getScreenPosition(p); } catch (err) { return null; }
    }
    const half = Math.min(canvas.width, canvas.height) / 2;
    return [canvas.width / 2 + x[p] * half, canvas.height / 2 - y[p] * half];
  }

  // a screen-from-data map for every point at once: the camera only scales and moves (rotation is off)
  function screenTransform() {
    if (!n) return null;
    let a = 0; let b = 0; let c = 0; let d = 0;
    for (let i = 1; i < n; i++) {
      if (x[i] < x[a]) a = i;
      if (x[i] > x[b]) b = i;
      if (y[i] < y[c]) c = i;
      if (y[i] > y[d]) d = i;
    }
    const pa = screenPos(a); const pb = screenPos(b); const pc = screenPos(c); const pd = screenPos(d);
    if (!pa || !pb || !pc || !pd || x[b] === x[a] || y[d] === y[c]) return null;
    const sx = (pb[0] - pa[0]) / (x[b] - x[a]);
    const sy = (pd[1] - pc[1]) / (y[d] - y[c]);
    return { sx, tx: pa[0] - sx * x[a], sy, ty: pc[1] - sy * y[c] };
  }

  function drawCanvas() {
    const g = canvas.getContext('2d');
    const [w, hgt] = [canvas.width, canvas.height];
    g.clearRect(0, 0, w, hgt);
    const palette = model.get('palette');
    const r = Math.max(1, pointSize(n) / 2);
    const half = Math.min(w, hgt) / 2;
    const px = (i) => w / 2 + x[i] * half;
    const py = (i) => hgt / 2 - y[i] * half;
    for (let i = 0; i < n; i++) {
      g.fillStyle = palette[z[i]] || '#999';
      g.fillRect(px(i) - r, py(i) - r, 2 * r, 2 * r);
    }
    g.strokeStyle = ACCENT;
    g.lineWidth = 2;
    for (const i of batchPoints()) {
      g.beginPath();
      g.arc(px(i), py(i), r + 4, 0, 2 * Math.PI);
      g.stroke();
    }
  }

  function onCanvasClick(ev) {
    const rect = canvas.getBoundingClientRect();
    const half = Math.min(canvas.width, canvas.height) / 2;
    const cx = ((ev.clientX - rect.left) - canvas.width / 2) / half;
    const cy = -((ev.clientY - rect.top) - canvas.height / 2) / half;
    let best = -1;
    let bestD = (8 / half) ** 2;
    for (let i = 0; i < n; i++) {
      const d = (x[i] - cx) ** 2 + (y[i] - cy) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best >= 0) onSelect({ points: [best] });
  }

  const t0 = performance.now();
  function markDrawn() {
    if (!ctx.root.hasAttribute('data-paint-ms')) {
      ctx.root.setAttribute('data-paint-ms', String(Math.round(performance.now() - t0)));
    }
    ctx.root.setAttribute('data-points', String(n));
    ctx.root.setAttribute('data-ready', 'true');
    highlight();
  }

  let drawing = false;   // regl-scatterplot refuses a draw while one is in flight: queue one more instead
  let drawAgain = false;
  function draw() {
    if (destroyed) return;
    if (scatter && drawing) { drawAgain = true; return; }
    const seq = ++drawSeq;
    if (!scatter) {
      drawCanvas();
      markDrawn();
      return;
    }
    drawing = true;
    // recolouring keeps the positions: reuse the spatial index instead of rebuilding it (matters at 1M points)
    const opts = { zDataType: 'categorical', preventFilterReset: true };
    if (spatialIndex) opts.spatialIndex = spatialIndex;
    scatter
      .draw({ x, y, z }, opts)
      .then(() => {
        if (destroyed || seq !== drawSeq) return;
        if (!spatialIndex) spatialIndex = scatter.get('spatialIndex');
        markDrawn();
      })
      .catch((err) => ctx.reportError(`map: ${err}`))
      .finally(() => {
        drawing = false;
        if (drawAgain) { drawAgain = false; draw(); }   // the latest positions and colours
      });
  }

  function highlight() {
    if (destroyed) return;
    const idx = batchPoints();
    if (scatter) {
      ignoreSelect++;
      try {
        scatter.select(idx, { preventEvent: true });
      } finally {
        ignoreSelect--;
      }
    } else if (n) {
      drawCanvas();
    }
    drawOverlay();
    ctx.root.setAttribute('data-highlighted', String(idx.length));
  }

  // the batch rings and the lasso: an SVG overlay on top of the points, moved with the camera
  function drawRings() {
    rings.replaceChildren();
    const [w, hgt] = size();
    rings.setAttribute('width', String(w));
    rings.setAttribute('height', String(hgt));
    if (lasso && lasso.kind === 'box' && lasso.pts.length > 1) {
      const [[ax, ay], [bx, by]] = [lasso.pts[0], lasso.pts[lasso.pts.length - 1]];
      rings.appendChild(s('rect', { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax),
        height: Math.abs(by - ay), class: 'al-lasso-path al-box-path' }));
    } else if (lasso && lasso.pts.length > 1) {
      rings.appendChild(s('polygon', { points: lasso.pts.map((q) => q.join(',')).join(' '), class: 'al-lasso-path' }));
    }
    if (!scatter || !n) return;
    const r = pointSize(n) / 2 + 5;
    for (const i of batchPoints()) {
      const p = screenPos(i);
      if (!p || p[0] < -r || p[1] < -r || p[0] > w + r || p[1] > hgt + r) continue;
      rings.appendChild(s('circle', { cx: p[0], cy: p[1], r, class: 'al-ring' }));
    }
  }

  // labeled points (their class colour, larger, outlined, drawn on top) and the selection, on a 2-D overlay
  const MAX_MARKS = 20000;
  function drawMarks() {
    const [w, hgt] = size();
    if (marks.width !== w || marks.height !== hgt) { marks.width = w; marks.height = hgt; }
    const g = marks.getContext('2d');
    g.clearRect(0, 0, w, hgt);
    if (!n) return;
    const palette = model.get('palette') || [];
    const r = Math.max(3, pointSize(n) / 2 + 1.5);
    const outline = getComputedStyle(ctx.root).getPropertyValue('--al-mark-outline').trim() || '#222';
    g.lineWidth = 1.25;
    g.strokeStyle = outline;
    const count = Math.min(labeledPts.length, MAX_MARKS);
    for (let k = 0; k < count; k++) {
      const p = labeledPts[k];
      if (p >= n) continue;
      const q = screenPos(p);
      if (!q || q[0] < -r || q[1] < -r || q[0] > w + r || q[1] > hgt + r) continue;
      g.beginPath();
      g.arc(q[0], q[1], r, 0, 2 * Math.PI);
      g.fillStyle = palette[z[p]] || '#999';
      g.fill();
      g.stroke();
    }
    g.strokeStyle = SELECTION;
    g.lineWidth = 2;
    for (const p of selectedPts.slice(0, MAX_MARKS)) {
      const q = screenPos(p);
      if (!q) continue;
      g.strokeRect(q[0] - r - 2, q[1] - r - 2, 2 * r + 4, 2 * r + 4);
    }
    ctx.root.setAttribute('data-labeled-marks', String(count));
  }

  function drawOverlay() {
    drawMarks();
    drawRings();
  }

  // the batch item whose ring holds the mouse: a click there means that item, even where a denser neighbour is
  // the point under the cursor
  function batchUnderMouse() {
    if (!scatter) return -1;
    const r = pointSize(n) / 2 + 5;
    let best = -1;
    let bestD = r * r;
    for (const item of batchIndices()) {
      const p = toPoint(item);
      if (p < 0) continue;
      let q;
      try { q = scatter.getScreenPosition(p); } catch (err) { return -1; }
      if (!q) continue;
      const d = (q[0] - mouse[0]) ** 2 + (q[1] - mouse[1]) ** 2;
      if (d <= bestD) { bestD = d; best = item; }
    }
    return best;
  }

  function onSelect({ points }) {
    if (ignoreSelect || !points) return;
    const ringed = points.length === 1 ? batchUnderMouse() : -1;
    if (ringed >= 0) {
      ctx.focusCard(ringed);
      highlight();
      return;
    }
    const items = Array.from(points, toPool);
    const inBatch = new Set(batchIndices());
    if (items.length === 1 && inBatch.has(items[0])) {
      ctx.focusCard(items[0]);
      highlight();
      return;
    }
    // a click selects that point; labeling work only comes from "Add to batch"
    ctx.send({ type: 'select', indices: items });
    highlight();
  }

  // --- the lasso and the box: pointer events with pointer capture, so the drag stays ours wherever the pointer goes
  function rel(ev) {
    const rect = wrap.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  }

  function onPointerDown(ev) {
    hideTip();
    const kind = ev.shiftKey ? 'lasso' : (ev.altKey ? 'box' : tool);
    if (ev.button !== 0 || !kind || !n) return;
    ev.preventDefault();          // no mouse events follow: the renderer does not pan, the notebook does not drag
    ev.stopPropagation();
    wrap.setPointerCapture(ev.pointerId);
    lasso = { id: ev.pointerId, kind, pts: [rel(ev)] };
    ctx.root.setAttribute(`data-${kind}`, 'drawing');
    drawRings();
  }

  function onPointerMove(ev) {
    mouse = rel(ev);
    if (!lasso && (ev.buttons & 1)) userView = true;   // a drag that is not ours pans the map: keep that view
    if (!lasso || ev.pointerId !== lasso.id) return;
    ev.preventDefault();
    ev.stopPropagation();
    if (lasso.kind === 'box') {   // the start corner and where the pointer is now
      lasso.pts = [lasso.pts[0], mouse];
      drawRings();
      return;
    }
    const last = lasso.pts[lasso.pts.length - 1];
    if ((mouse[0] - last[0]) ** 2 + (mouse[1] - last[1]) ** 2 >= 4) {
      lasso.pts.push(mouse);
      drawRings();
    }
  }

  function inside(px, py, poly) {
    let hit = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i];
      const [xj, yj] = poly[j];
      if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) hit = !hit;
    }
    return hit;
  }

  function onPointerUp(ev) {
    if (!lasso || ev.pointerId !== lasso.id) return;
    ev.preventDefault();
    ev.stopPropagation();
    const { kind } = lasso;
    const poly = kind === 'box' ? [lasso.pts[0], rel(ev)] : lasso.pts;
    lasso = null;
    if (wrap.hasPointerCapture(ev.pointerId)) wrap.releasePointerCapture(ev.pointerId);
    ctx.root.setAttribute(`data-${kind}`, 'done');
    drawRings();
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [px, py] of poly) { x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py); }
    if (kind === 'box' ? (x1 - x0 < 3 || y1 - y0 < 3) : poly.length < 3) return;   // a click, not a drag
    const t = screenTransform();
    const chosen = [];
    for (let i = 0; i < n; i++) {
      let q;
      if (t) q = [t.sx * x[i] + t.tx, t.sy * y[i] + t.ty];
      else q = screenPos(i);
      if (!q || q[0] < x0 || q[0] > x1 || q[1] < y0 || q[1] > y1) continue;
      if (kind === 'box' || inside(q[0], q[1], poly)) chosen.push(toPool(i));
    }
    ctx.send({ type: 'select', indices: chosen });
  }

  function onOver(p) {
    const ringed = batchUnderMouse();   // inside a batch ring: that item, as a click there would pick
    hovered = ringed >= 0 ? ringed : toPool(p);
    ctx.send({ type: 'peek', index: hovered });
  }

  function onOut() { hideTip(); }

  // capture phase: the position is known before the renderer's own handlers ask for it
  cleanups.push(on([wrap, 'pointerdown', onPointerDown, true], [wrap, 'pointermove', onPointerMove, true],
    [wrap, 'pointerup', onPointerUp, true], [wrap, 'pointercancel', onPointerUp, true],
    [wrap, 'pointerleave', () => { if (!lasso) hideTip(); }], [wrap, 'wheel', () => { userView = true; }, true]));

  function hideTip() {
    hovered = -1;
    tooltip.hidden = true;
    ctx.root.setAttribute('data-tooltip', 'hidden');
  }

  // hover: the item itself (image, text excerpt or row), its label, the predicted class and probability, and the
  // normalised entropy on the legend's 0-1 scale
  function onCustom(msg) {
    if (!msg || msg.type !== 'peek' || msg.index !== hovered || lasso) return;
    tooltip.replaceChildren();
    const hasId = msg.id !== undefined && msg.id !== null;
    tooltip.appendChild(h('div', 'al-tip-title', hasId ? String(msg.id) : `#${msg.index}`));
    if (msg.item) tooltip.appendChild(renderItem(msg.item));
    else tooltip.appendChild(h('div', 'al-tip-text', msg.preview));
    if (msg.label !== undefined) tooltip.appendChild(h('div', 'al-tip-row', `label: ${msg.label}`));
    if (msg.predicted !== undefined) {
      tooltip.appendChild(h('div', 'al-tip-row', `predicted: ${msg.predicted} (${Math.round(msg.p * 100)}%)`));
      tooltip.appendChild(h('div', 'al-tip-row', `uncertainty: ${msg.entropy.toFixed(2)} (entropy, 0 sure – 1 unsure)`));
    }
    const [w, hgt] = size();
    tooltip.hidden = false;
    const tw = tooltip.offsetWidth || 200;
    const th = tooltip.offsetHeight || 100;
    tooltip.style.left = `${Math.max(0, Math.min(mouse[0] + 12, w - tw - 4))}px`;
    tooltip.style.top = `${mouse[1] + 12 + th > hgt ? Math.max(0, mouse[1] - th - 8) : mouse[1] + 12}px`;
    ctx.root.setAttribute('data-tooltip', 'shown');
  }

  function renderLegend() {
    const lg = model.get('legend') || {};
    legend.replaceChildren();
    legend.appendChild(h('span', 'al-legend-title', lg.title || ''));
    if (lg.kind === 'continuous') {
      const ramp = h('span', 'al-ramp');
      ramp.style.background = `linear-gradient(to right, ${(lg.ramp || []).join(', ')})`;
      legend.append(h('span', 'al-legend-end', lg.min), ramp, h('span', 'al-legend-end', lg.max));
      legend.appendChild(h('span', 'al-legend-sep', '· labeled:'));
    } else if (lg.note) {
      legend.appendChild(h('span', 'al-legend-note', lg.note));
    }
    const classes = h('span', 'al-legend-classes');
    for (const c of lg.classes || []) {
      const item = h('span', 'al-legend-class');
      const sw = h('span', 'al-swatch');
      sw.style.background = c.color;
      item.append(sw, document.createTextNode(c.name));
      classes.appendChild(item);
    }
    legend.appendChild(classes);
    balanceLegend();
    select.value = model.get('color_by');
  }

  // the class swatches wrap in even rows: never one item alone on a line
  function balanceLegend() {
    const classes = legend.querySelector('.al-legend-classes');
    if (!classes) return;
    const items = classes.children.length;
    classes.style.gridTemplateColumns = '';
    if (!items) return;
    const widest = Math.max(...Array.from(classes.children, (c) => c.scrollWidth)) + 8;
    const avail = Math.max(widest, legend.clientWidth - 8);
    const perRow = Math.max(1, Math.floor(avail / widest));
    const rows = Math.ceil(items / perRow);
    const cols = Math.ceil(items / rows);
    classes.style.gridTemplateColumns = `repeat(${cols}, max-content)`;
    ctx.root.setAttribute('data-legend-rows', String(rows));
  }

  function renderProjection() {
    projection.textContent = `map: ${model.get('projection_status') || model.get('projection')}`;
    ctx.root.setAttribute('data-projection', model.get('projection'));
  }

  // --- wire up
  const onSelectChange = () => ctx.send({ type: 'color_by', value: select.value });
  const setTool = (which) => {   // one drag tool at a time: pressing one releases the other
    tool = tool === which ? null : which;
    lassoBtn.setAttribute('aria-pressed', String(tool === 'lasso'));
    boxBtn.setAttribute('aria-pressed', String(tool === 'box'));
    wrap.classList.toggle('al-lasso-on', tool !== null);
  };
  const onLasso = () => setTool('lasso');
  const onBox = () => setTool('box');
  const onAdd = () => ctx.send({ type: 'add' });
  const onClear = () => ctx.send({ type: 'select', indices: [] });
  cleanups.push(on([select, 'change', onSelectChange], [lassoBtn, 'click', onLasso], [boxBtn, 'click', onBox],
    [addBtn, 'click', onAdd],
    [clearBtn, 'click', onClear]));

  // the canvas and the overlays follow the map's box (a window resize, a sidebar toggled)
  const resize = () => {
    if (destroyed) return;
    const [w, hgt] = size();
    if (scatter) {
      overlayStale = true;
      // the renderer takes the new aspect ratio on its next frame: fit the view once it has
      Promise.resolve(scatter.set({ width: w, height: hgt })).then(() => {
        if (destroyed) return;
        overlayStale = true;
        fitView();
      });
    }
    else if (canvas.width !== w || canvas.height !== hgt) {
      canvas.width = w;
      canvas.height = hgt;
      drawCanvas();
    }
    balanceLegend();
    // the renderer takes the new size on its next frame: the overlays follow once it has drawn
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (destroyed) return;
      drawOverlay();
      ctx.root.setAttribute('data-map-size', `${w}x${hgt}`);
    }));
  };
  const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(resize) : null;
  if (ro) ro.observe(wrap);

  cleanups.push(listen(model, {
    'change:coords': () => { spatialIndex = null; readCoords(); readColours(); readSelection(); draw(); },
    'change:color_values': () => { readColours(); draw(); },
    'change:labeled_points': () => { readColours(); drawMarks(); },
    'change:palette': () => { if (scatter) scatter.set({ pointColor: model.get('palette') }); draw(); },
    'change:batch': () => { readSelection(); highlight(); },
    'change:selected': () => { readSelection(); drawMarks(); },
    'change:legend': renderLegend,
    'change:color_by': renderLegend,
    'change:projection_status': renderProjection,
    'change:projection': renderProjection,
    'msg:custom': onCustom,
  }));

  // first paint once the element is in the page (sizes known)
  // Up to PREVIEW_MAX points the 2-D canvas paints them at once (~10 ms for 10k); the WebGL renderer (shaders,
  // buffers: 0.2-0.4 s in software WebGL) starts a frame later and takes over the same canvas, in the same place.
  requestAnimationFrame(() => {
    if (destroyed) return;
    readCoords();
    readColours();
    if (n && n <= PREVIEW_MAX) {
      const [w, hgt] = size();
      canvas.width = w;
      canvas.height = hgt;
      drawCanvas();
      ctx.root.setAttribute('data-first-paint-ms', String(Math.round(performance.now() - t0)));
    }
    requestAnimationFrame(() => {
      if (destroyed) return;
      const tInit = performance.now();
      initRenderer();
      ctx.root.setAttribute('data-init-ms', String(Math.round(performance.now() - tInit)));
      ctx.root.setAttribute('data-raf-ms', String(Math.round(tInit - t0)));
      if (!ctx.root.hasAttribute('data-first-paint-ms')) ctx.root.setAttribute('data-first-paint-ms', '-1');
      draw();
    });
  });
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
      for (const c of cleanups) c();
      if (scatter) scatter.destroy();
    },
  };
}
