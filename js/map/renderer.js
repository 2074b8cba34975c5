// The map's renderer: every point drawn by WebGL (regl-scatterplot), or on a 2-D canvas when WebGL is
// unavailable. It knows positions, colours and the camera; what the points mean (pool items, the batch, the
// selection) stays with the caller, which hears back through the `on*` callbacks.
import createScatterplot from 'regl-scatterplot';
import { ACCENT } from '../constants.js';
import { on } from '../dom.js';
import { colourOf } from '../palette.js';
import { createLayouts } from './layout.js';
import { pointSize } from './points.js';

const MANY = 200000;   // above this many points: squares without alpha blending (keeps 1M points pannable)

/**
 * A renderer on `canvas`. `size()` gives the box [w, h]; `batchPoints()` the point numbers to ring in the 2-D
 * fallback; callbacks: onSelect({points}), onDeselect(), onOver(p), onOut(), onView() (the camera moved),
 * onError(message).
 */
export function createRenderer(model, canvas, { size, batchPoints, onSelect, onDeselect, onOver, onOut, onView, onError }) {
  let scatter = null;
  let pts = { n: 0, x: new Float32Array(0), y: new Float32Array(0), z: new Float32Array(0) };
  const layouts = createLayouts();   // the spatial index (hover and click hit-testing) of the current positions
  let destroyed = false;
  let userView = false;      // the user zoomed or panned: a resize keeps their view instead of fitting the map
  let overlayStale = false;  // the next frame tells onView (after a resize)
  let ignoreSelect = 0;
  let drawing = false;       // regl-scatterplot refuses a draw while one is in flight: queue one more instead
  let drawAgain = false;
  let drawSeq = 0;
  let onDrawn = () => {};
  const offs = [];

  function paintCanvas() {
    const g = canvas.getContext('2d');
    const [w, hgt] = [canvas.width, canvas.height];
    g.clearRect(0, 0, w, hgt);
    const palette = model.get('palette');
    const { n, x, y, z } = pts;
    const r = Math.max(1, pointSize(n) / 2);
    const half = Math.min(w, hgt) / 2;
    const px = (i) => w / 2 + x[i] * half;
    const py = (i) => hgt / 2 - y[i] * half;
    for (let i = 0; i < n; i++) {
      g.fillStyle = colourOf(palette, z[i]);
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

  function sizeCanvas() {
    const [w, hgt] = size();
    if (canvas.width === w && canvas.height === hgt) return false;
    canvas.width = w;
    canvas.height = hgt;
    return true;
  }

  // the 2-D fallback's click: the nearest point within 8 pixels
  function onCanvasClick(ev) {
    const rect = canvas.getBoundingClientRect();
    const half = Math.min(canvas.width, canvas.height) / 2;
    const cx = ((ev.clientX - rect.left) - canvas.width / 2) / half;
    const cy = -((ev.clientY - rect.top) - canvas.height / 2) / half;
    let best = -1;
    let bestD = (8 / half) ** 2;
    for (let i = 0; i < pts.n; i++) {
      const d = (pts.x[i] - cx) ** 2 + (pts.y[i] - cy) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best >= 0) onSelect({ points: [best] });
  }

  function createWebGL() {
    const [w, hgt] = size();
    const many = model.get('n_points') > MANY;
    const sp = createScatterplot({
      canvas,
      performanceMode: many,
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
      actionKeyMap: {},          // the lasso is ours (selection.js); no rotation on alt
      lassoOnLongPress: false,
    });
    sp.subscribe('select', (ev) => { if (!ignoreSelect) onSelect(ev); });
    sp.subscribe('deselect', () => { if (!ignoreSelect) onDeselect(); });
    sp.subscribe('pointOver', onOver);
    sp.subscribe('pointOut', onOut);
    sp.subscribe('view', onView);
    sp.subscribe('draw', () => { if (overlayStale) { overlayStale = false; onView(); } });
    return sp;
  }

  // The whole map in view: the coordinates lie in [-1, 1] on both axes, and the renderer's default camera shows
  // [-1, 1] vertically only, so a box narrower than tall (a narrow window, a sidebar open) cut the points off left
  // and right. Fit the square instead, until the user zooms or pans.
  function fitView() {
    if (!scatter || userView) return;
    scatter.zoomToArea({ x: -1, y: -1, width: 2, height: 2 }, { transition: false });
  }

  function draw() {
    if (destroyed) return;
    if (scatter && drawing) { drawAgain = true; return; }
    const seq = ++drawSeq;
    if (!scatter) {
      paintCanvas();
      onDrawn();
      return;
    }
    drawing = true;
    // recolouring keeps the positions: reuse the spatial index of this layout instead of rebuilding it
    const layout = layouts.current();
    const opts = { zDataType: 'categorical', preventFilterReset: true };
    const tree = layouts.reuse(layout);
    if (tree) opts.spatialIndex = tree;
    const { x, y, z } = pts;
    scatter
      .draw({ x, y, z }, opts)
      .then(() => {
        if (destroyed) return;
        layouts.keep(layout, scatter.get('spatialIndex'));
        if (seq === drawSeq) onDrawn();
      })
      .catch((err) => onError(`map: ${err.message || err}`))
      .finally(() => {
        drawing = false;
        if (drawAgain) { drawAgain = false; draw(); }   // the latest positions and colours
      });
  }

  return {
    /** 'webgl' or 'canvas' (after start). */
    get kind() { return scatter ? 'webgl' : 'canvas'; },

    /** Paint `points` on the 2-D canvas at once (before the WebGL renderer is up). */
    preview(points) {
      pts = points;
      sizeCanvas();
      paintCanvas();
    },

    /** Start WebGL on the canvas; without WebGL, stay on the 2-D canvas (and say why on the console). */
    start() {
      try {
        scatter = createWebGL();
      } catch (err) {
        scatter = null;
        sizeCanvas();
        offs.push(on([canvas, 'click', onCanvasClick]));
        // a slower map, not a failure: the page works on; the console says why
        console.warn(`activelens: map: WebGL unavailable (${err.message || err}); drawing on a 2-D canvas`);
        return;
      }
      fitView();
    },

    /** Draw `points` ({n, x, y, z}); `drawn()` runs once they are on screen. New positions: newPositions() first. */
    draw(points, drawn) {
      pts = points;
      onDrawn = drawn;
      draw();
    },

    /** The positions changed: the spatial index of the old ones is no use. */
    newPositions() { layouts.next(); },

    /** Highlight the points `idx` (the batch) in the renderer (2-D fallback: repaint with rings). */
    highlight(idx) {
      if (scatter) {
        ignoreSelect++;
        try {
          scatter.select(idx, { preventEvent: true });
        } finally {
          ignoreSelect--;
        }
      } else if (pts.n) {
        paintCanvas();
      }
    },

    /** New palette colours (draw() again to show them). */
    setPalette(palette) { if (scatter) scatter.set({ pointColor: palette }); },

    /** Where point p is on the screen relative to the map's box; null while the points are being (re)drawn. */
    screenPos(p) {
      if (scatter) return scatter.get('isPointsDrawn') ? (scatter.getScreenPosition(p) || null) : null;
      const half = Math.min(canvas.width, canvas.height) / 2;
      return [canvas.width / 2 + pts.x[p] * half, canvas.height / 2 - pts.y[p] * half];
    },

    /** A screen-from-data map for every point at once {sx, tx, sy, ty}: the camera only scales and moves. */
    screenTransform() {
      const { n, x, y } = pts;
      if (!n) return null;
      let a = 0; let b = 0; let c = 0; let d = 0;
      for (let i = 1; i < n; i++) {
        if (x[i] < x[a]) a = i;
        if (x[i] > x[b]) b = i;
        if (y[i] < y[c]) c = i;
        if (y[i] > y[d]) d = i;
      }
      const [pa, pb, pc, pd] = [a, b, c, d].map((p) => this.screenPos(p));
      if (!pa || !pb || !pc || !pd || x[b] === x[a] || y[d] === y[c]) return null;
      const sx = (pb[0] - pa[0]) / (x[b] - x[a]);
      const sy = (pd[1] - pc[1]) / (y[d] - y[c]);
      return { sx, tx: pa[0] - sx * x[a], sy, ty: pc[1] - sy * y[c] };
    },

    /** The user zoomed or panned: resizes keep their view from now on. */
    userMoved() { userView = true; },

    /** Take the map box's new size [w, h]; onView follows once the renderer has drawn at that size. */
    resize(w, hgt) {
      if (scatter) {
        overlayStale = true;
        // the renderer takes the new aspect ratio on its next frame: fit the view once it has
        Promise.resolve(scatter.set({ width: w, height: hgt })).then(() => {
          if (destroyed) return;
          overlayStale = true;
          fitView();
        }).catch((err) => onError(`map: resize: ${err.message || err}`));
      } else if (sizeCanvas()) {
        paintCanvas();
      }
    },

    destroy() {
      destroyed = true;
      for (const off of offs) off();
      if (scatter) scatter.destroy();
    },
  };
}
