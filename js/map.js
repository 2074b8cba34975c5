// The pool map: every item a point (WebGL via regl-scatterplot, 2-D canvas fallback), coloured from a uint8
// buffer through a small palette, the batch highlighted (selection ring, drawn on top).
// A pool drawn as a sample: `point_index` gives the pool position of each point (sorted), and everything that
// leaves this file (commands, card focus) speaks pool positions, never point numbers.
// The map draws the `batch` trait; a caller that wants the batch out of sight for a while calls
// setBatchShown(false), and the map needs to know no more than that.
import createScatterplot from 'regl-scatterplot';
import { toFloat32, toUint32, toUint8 } from './binary.js';
import { ACCENT } from './constants.js';
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

  // --- toolbar: colour switch, lasso toggle, projection status
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
  const lassoBtn = button('Lasso', 'al-lasso', 'Lasso: draw around points to add them to the batch (or shift+drag)');
  lassoBtn.setAttribute('aria-pressed', 'false');
  const projection = h('span', 'al-projection');
  bar.append(colourLabel, lassoBtn, projection);

  const wrap = h('div', 'al-canvas-wrap');
  const canvas = h('canvas', 'al-canvas');
  canvas.setAttribute('aria-label', 'Map of the pool');
  const tooltip = h('div', 'al-tooltip');
  tooltip.hidden = true;
  const rings = s('svg', { class: 'al-rings', 'aria-hidden': 'true' });
  wrap.append(canvas, rings, tooltip);
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
      });
      scatter.subscribe('select', onSelect);
      scatter.subscribe('deselect', () => { if (!ignoreSelect) highlight(); });
      scatter.subscribe('pointOver', onOver);
      scatter.subscribe('pointOut', onOut);
      scatter.subscribe('view', drawRings);
    } catch (err) {
      scatter = null;
      renderer = 'canvas';
      canvas.width = w;
      canvas.height = hgt;
      cleanups.push(on([canvas, 'click', onCanvasClick]));
    }
    ctx.root.setAttribute('data-renderer', renderer);
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
    drawRings();
    ctx.root.setAttribute('data-highlighted', String(idx.length));
  }

  // the batch ring: an SVG overlay on top of the points, moved with the camera
  function drawRings() {
    rings.replaceChildren();
    if (!scatter || !n) return;
    const [w, hgt] = size();
    rings.setAttribute('width', String(w));
    rings.setAttribute('height', String(hgt));
    const r = pointSize(n) / 2 + 5;
    for (const i of batchPoints()) {
      let p;
      try { p = scatter.getScreenPosition(i); } catch (err) { return; }
      if (!p || p[0] < -r || p[1] < -r || p[0] > w + r || p[1] > hgt + r) continue;
      rings.appendChild(s('circle', { cx: p[0], cy: p[1], r, class: 'al-ring' }));
    }
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
    const fresh = items.filter((i) => !inBatch.has(i));
    if (items.length === 1 && !fresh.length) {
      ctx.focusCard(items[0]);
      highlight();
      return;
    }
    if (fresh.length) ctx.send({ type: 'add', indices: fresh.slice(0, model.get('max_hand_picked')) });
    highlight();
  }

  function onOver(p) {
    const ringed = batchUnderMouse();   // inside a batch ring: that item, as a click there would pick
    hovered = ringed >= 0 ? ringed : toPool(p);
    ctx.send({ type: 'peek', index: hovered });
  }

  function onOut() {
    hovered = -1;
    tooltip.hidden = true;
  }

  function onMouseMove(ev) {
    const rect = wrap.getBoundingClientRect();
    mouse = [ev.clientX - rect.left, ev.clientY - rect.top];
  }
  // capture phase: the position is known before the renderer's own handlers ask for it
  cleanups.push(on([wrap, 'mousemove', onMouseMove, true]));

  function onCustom(msg) {
    if (!msg || msg.type !== 'peek' || msg.index !== hovered) return;
    tooltip.replaceChildren();
    tooltip.appendChild(h('div', 'al-tip-title', `#${msg.index}`));
    tooltip.appendChild(h('div', 'al-tip-text', msg.preview));
    if (msg.label !== undefined) tooltip.appendChild(h('div', 'al-tip-row', `label: ${msg.label}`));
    if (msg.predicted !== undefined) {
      tooltip.appendChild(h('div', 'al-tip-row', `predicted: ${msg.predicted} (${Math.round(msg.p * 100)}%)`));
      tooltip.appendChild(h('div', 'al-tip-row', `entropy: ${msg.entropy.toFixed(3)}`));
    }
    const [w] = size();
    tooltip.style.left = `${Math.min(mouse[0] + 12, w - 180)}px`;
    tooltip.style.top = `${mouse[1] + 12}px`;
    tooltip.hidden = false;
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
    for (const c of lg.classes || []) {
      const item = h('span', 'al-legend-class');
      const sw = h('span', 'al-swatch');
      sw.style.background = c.color;
      item.append(sw, document.createTextNode(c.name));
      legend.appendChild(item);
    }
    select.value = model.get('color_by');
  }

  function renderProjection() {
    projection.textContent = `map: ${model.get('projection_status') || model.get('projection')}`;
    ctx.root.setAttribute('data-projection', model.get('projection'));
  }

  // --- wire up
  const onSelectChange = () => ctx.send({ type: 'color_by', value: select.value });
  const onLasso = () => {
    const lasso = lassoBtn.getAttribute('aria-pressed') !== 'true';
    lassoBtn.setAttribute('aria-pressed', String(lasso));
    if (scatter) scatter.set({ mouseMode: lasso ? 'lasso' : 'panZoom' });
  };
  cleanups.push(on([select, 'change', onSelectChange], [lassoBtn, 'click', onLasso]));

  const resize = () => {
    if (destroyed) return;
    const [w, hgt] = size();
    if (scatter) scatter.set({ width: w, height: hgt });
    else if (canvas.width !== w || canvas.height !== hgt) {
      canvas.width = w;
      canvas.height = hgt;
      drawCanvas();
    }
  };
  const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(resize) : null;
  if (ro) ro.observe(wrap);

  cleanups.push(listen(model, {
    'change:coords': () => { spatialIndex = null; readCoords(); readColours(); draw(); },
    'change:color_values': () => { readColours(); draw(); },
    'change:palette': () => { if (scatter) scatter.set({ pointColor: model.get('palette') }); draw(); },
    'change:batch': highlight,
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
