// What the map draws over the points, kept on them through pans, zooms and resizes: the labeled points (diamonds in
// their class colour, outlined, on top) and the selection (thin rings under them) on a 2-D canvas (`marks`); the batch rings and the
// lasso or box being drawn on an SVG (`rings`).
import { SELECTION } from '../constants.js';
import { h, s } from '../dom.js';
import { colourOf } from '../palette.js';
import { pointSize } from './points.js';

const MAX_MARKS = 20000;   // labeled points and selected points drawn at most

/**
 * The two overlay layers (`marks`, `rings`: place them over the renderer's canvas). `view` gives what to draw:
 * size() -> [w, h], points() -> {n, z, labeled}, selected() -> point numbers, batch() -> point numbers,
 * shape() -> the lasso or box being drawn ({kind, pts}) or null, screenPos(p), webgl() -> true when the
 * renderer is WebGL (the 2-D fallback rings the batch itself), mark(name, value) for the debug attributes.
 */
export function createOverlay(model, root, view) {
  const marks = h('canvas', 'al-marks');
  marks.setAttribute('aria-hidden', 'true');
  const rings = s('svg', { class: 'al-rings', 'aria-hidden': 'true' });

  function offScreen(q, r, w, hgt) {
    return !q || q[0] < -r || q[1] < -r || q[0] > w + r || q[1] > hgt + r;
  }

  function drawShape() {
    const shape = view.shape();
    if (!shape || shape.pts.length < 2) return;
    if (shape.kind === 'box') {
      const [[ax, ay], [bx, by]] = [shape.pts[0], shape.pts[shape.pts.length - 1]];
      rings.appendChild(s('rect', { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax),
        height: Math.abs(by - ay), class: 'al-lasso-path al-box-path' }));
    } else {
      rings.appendChild(s('polygon', { points: shape.pts.map((q) => q.join(',')).join(' '), class: 'al-lasso-path' }));
    }
  }

  function drawRings() {
    rings.replaceChildren();
    const [w, hgt] = view.size();
    rings.setAttribute('width', String(w));
    rings.setAttribute('height', String(hgt));
    drawShape();
    const { n } = view.points();
    if (!view.webgl() || !n) return;
    const r = pointSize(n) / 2 + 5;
    for (const i of view.batch()) {
      const p = view.screenPos(i);
      if (offScreen(p, r, w, hgt)) continue;
      rings.appendChild(s('circle', { cx: p[0], cy: p[1], r, class: 'al-ring' }));
    }
  }

  // a labeled point: a diamond in its class colour with a dark outline on a light halo, so it stands apart from the
  // round unlabeled points by shape and outline, not by colour alone (colour-blind readers, grey maps)
  function drawLabeled(g, r, w, hgt) {
    const { n, z, labeled } = view.points();
    const palette = model.get('palette') || [];
    const outline = getComputedStyle(root).getPropertyValue('--al-mark-outline').trim() || '#222';
    const d = r + 1.5;   // half the diagonal
    const count = Math.min(labeled.length, MAX_MARKS);
    for (let k = 0; k < count; k++) {
      const p = labeled[k];
      if (p >= n) continue;
      const q = view.screenPos(p);
      if (offScreen(q, d, w, hgt)) continue;
      g.beginPath();
      g.moveTo(q[0], q[1] - d);
      g.lineTo(q[0] + d, q[1]);
      g.lineTo(q[0], q[1] + d);
      g.lineTo(q[0] - d, q[1]);
      g.closePath();
      g.fillStyle = colourOf(palette, z[p]);
      g.fill();
      g.lineWidth = 3;
      g.strokeStyle = 'rgba(255, 255, 255, 0.85)';
      g.stroke();
      g.lineWidth = 1.25;
      g.strokeStyle = outline;
      g.stroke();
    }
    return count;
  }

  // a selected point: a thin ring around it, under the labeled marks (an outline hides nothing)
  function drawSelected(g, r, w, hgt) {
    g.strokeStyle = SELECTION;
    g.lineWidth = 1.5;
    for (const p of view.selected().slice(0, MAX_MARKS)) {
      const q = view.screenPos(p);
      if (offScreen(q, r + 2.5, w, hgt)) continue;
      g.beginPath();
      g.arc(q[0], q[1], r + 2.5, 0, 2 * Math.PI);
      g.stroke();
    }
  }

  function drawMarks() {
    const [w, hgt] = view.size();
    if (marks.width !== w || marks.height !== hgt) { marks.width = w; marks.height = hgt; }
    const g = marks.getContext('2d');
    g.clearRect(0, 0, w, hgt);
    const { n } = view.points();
    if (!n) return;
    const r = Math.max(3, pointSize(n) / 2 + 1.5);
    drawSelected(g, r, w, hgt);
    const count = drawLabeled(g, r, w, hgt);
    view.mark('data-labeled-marks', count);
  }

  return {
    marks,
    rings,
    drawMarks,
    drawRings,
    /** Both layers. */
    draw() { drawMarks(); drawRings(); },
  };
}
