// Selecting points on the map: a click (the renderer's pick), a lasso (shift+drag or the Lasso button) and a box
// (alt+drag or the Box button), both by pointer events with pointer capture so the drag stays ours wherever the
// pointer goes. The selection goes to Python as `select` (pool positions); a click on a batch item focuses its
// card instead.
import { on } from '../dom.js';
import { bounds, insidePolygon } from './points.js';

/**
 * The drag tools on `wrap`. `view`: points() -> {n, x, y}, toPool(p), batchItems(), screenPos(p),
 * screenTransform(), rel(ev) -> [x, y] in the box, batchUnderMouse(), focusCard(item), highlight(),
 * redraw() (the lasso or box moved), hideTip(), userMoved(), send(type, fields), mark(name, value).
 */
export function createSelectionTools(wrap, view) {
  let tool = null;    // 'lasso' or 'box' while its button is pressed: a plain drag draws one
  let shape = null;   // {id, kind: 'lasso' | 'box', pts: [[x, y], ...]} while a lasso or a box is drawn
  let focusCount = 0; // clicks that focused a card (data-focus-count)

  /** The renderer picked `points` (a click): focus a batch item's card, or select the point. */
  function pick({ points }) {
    if (!points) return;
    const ringed = points.length === 1 ? view.batchUnderMouse() : -1;
    const items = Array.from(points, view.toPool);
    const inBatch = new Set(view.batchItems());
    const card = ringed >= 0 ? ringed : (items.length === 1 && inBatch.has(items[0]) ? items[0] : -1);
    if (card >= 0) {
      view.focusCard(card);
      view.mark('data-focus-count', ++focusCount);
      view.highlight();
      return;
    }
    // a click selects that point; labeling work only comes from "Add to batch"
    view.send('select', { indices: items });
    view.highlight();
  }

  function onPointerDown(ev) {
    view.hideTip();
    const kind = ev.shiftKey ? 'lasso' : (ev.altKey ? 'box' : tool);
    if (ev.button !== 0 || !kind || !view.points().n) return;
    ev.preventDefault();          // no mouse events follow: the renderer does not pan, the notebook does not drag
    ev.stopPropagation();
    wrap.setPointerCapture(ev.pointerId);
    shape = { id: ev.pointerId, kind, pts: [view.rel(ev)] };
    view.mark(`data-${kind}`, 'drawing');
    view.redraw();
  }

  function onPointerMove(ev) {
    if (!shape && (ev.buttons & 1)) view.userMoved();   // a drag that is not ours pans the map: keep that view
    if (!shape || ev.pointerId !== shape.id) return;
    ev.preventDefault();
    ev.stopPropagation();
    const mouse = view.rel(ev);
    if (shape.kind === 'box') {   // the start corner and where the pointer is now
      shape.pts = [shape.pts[0], mouse];
      view.redraw();
      return;
    }
    const last = shape.pts[shape.pts.length - 1];
    if ((mouse[0] - last[0]) ** 2 + (mouse[1] - last[1]) ** 2 >= 4) {
      shape.pts.push(mouse);
      view.redraw();
    }
  }

  // the pool positions of the points inside `poly` (a lasso) or its bounding box (a box) on screen
  function chosen(kind, poly) {
    const [x0, y0, x1, y1] = bounds(poly);
    const { n, x, y } = view.points();
    const t = view.screenTransform();
    const out = [];
    for (let i = 0; i < n; i++) {
      const q = t ? [t.sx * x[i] + t.tx, t.sy * y[i] + t.ty] : view.screenPos(i);
      if (!q || q[0] < x0 || q[0] > x1 || q[1] < y0 || q[1] > y1) continue;
      if (kind === 'box' || insidePolygon(q[0], q[1], poly)) out.push(view.toPool(i));
    }
    return out;
  }

  function onPointerUp(ev) {
    if (!shape || ev.pointerId !== shape.id) return;
    ev.preventDefault();
    ev.stopPropagation();
    const { kind } = shape;
    const poly = kind === 'box' ? [shape.pts[0], view.rel(ev)] : shape.pts;
    shape = null;
    if (wrap.hasPointerCapture(ev.pointerId)) wrap.releasePointerCapture(ev.pointerId);
    view.mark(`data-${kind}`, 'done');
    view.redraw();
    const [x0, y0, x1, y1] = bounds(poly);
    if (kind === 'box' ? (x1 - x0 < 3 || y1 - y0 < 3) : poly.length < 3) return;   // a click, not a drag
    view.send('select', { indices: chosen(kind, poly) });
  }

  const off = on([wrap, 'pointerdown', onPointerDown, true], [wrap, 'pointermove', onPointerMove, true],
    [wrap, 'pointerup', onPointerUp, true], [wrap, 'pointercancel', onPointerUp, true],
    [wrap, 'wheel', () => view.userMoved(), true]);

  return {
    pick,
    /** The lasso or box being drawn ({kind, pts}), or null. */
    shape: () => shape,
    dragging: () => shape !== null,
    /** Press (or release) a drag tool: one at a time, pressing one releases the other. Returns the tool now on. */
    toggle(which) {
      tool = tool === which ? null : which;
      wrap.classList.toggle('al-lasso-on', tool !== null);
      return tool;
    },
    destroy() { off(); },
  };
}
