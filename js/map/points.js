// The map's points as typed arrays (pure: no DOM): positions from the `coords` float32 buffer, the pool position
// of each point from `point_index` (a sample of the pool) and the colour index of each from `color_values`.
// Everything that leaves the map speaks pool positions; inside it a point is its number in these arrays.
import { toFloat32, toUint32, toUint8 } from '../binary.js';

/** The renderer's point size for `n` points (pixels). */
export function pointSize(n) {
  if (n <= 2000) return 6;
  if (n <= 20000) return 4;
  if (n <= 200000) return 2.5;
  return 1.5;
}

/**
 * Points from the bytes traits: {n, x, y, pointIndex}; pointIndex is null when point i is pool item i (no
 * sample, or a point index of the wrong length).
 */
export function readPoints(coords, pointIndex) {
  const xy = toFloat32(coords);
  const n = Math.floor(xy.length / 2);
  const pi = toUint32(pointIndex);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = xy[2 * i];
    y[i] = xy[2 * i + 1];
  }
  return { n, x, y, pointIndex: pi.length === n && n > 0 ? Uint32Array.from(pi) : null };
}

/** The colour index of each of `n` points (as the renderer wants it: floats) and the labeled points' numbers. */
export function readColours(colorValues, labeledPoints, n) {
  const c = toUint8(colorValues);
  const z = new Float32Array(n);
  for (let i = 0; i < n && i < c.length; i++) z[i] = c[i];
  return { z, labeled: Uint32Array.from(toUint32(labeledPoints)) };
}

/** The pool position of point `p`. */
export function toPool(points, p) {
  return points.pointIndex ? points.pointIndex[p] : p;
}

/** The point drawing pool item `item`, or -1 when it is not on the map (binary search in the sorted index). */
export function toPoint(points, item) {
  const { pointIndex, n } = points;
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

/** True when (px, py) is inside the polygon [[x, y], ...] (even-odd rule). */
export function insidePolygon(px, py, poly) {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

/** The bounding box [x0, y0, x1, y1] of [[x, y], ...]. */
export function bounds(pts) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [px, py] of pts) { x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py); }
  return [x0, y0, x1, y1];
}
