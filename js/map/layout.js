// Which layout the renderer's spatial index (the kd-tree regl-scatterplot hit-tests hover and click with) belongs
// to (pure: no DOM). A recolour keeps the positions, so it reuses the tree (rebuilding it costs ~1 s at 1M points);
// new positions start a new layout, and only a draw of the current layout may keep the tree it built: a draw
// still in flight when new positions came built a tree of the old ones, and handing that to the next draw left
// hover and click answering only where an old point happened to lie near a new one.

/** The layout bookkeeping: next() on new positions; a draw takes `current()`, asks reuse(), then keep()s its tree. */
export function createLayouts() {
  let layout = 0;
  let tree = null;
  let treeOf = -1;
  return {
    /** New positions: a new layout, no tree for it yet. */
    next() { layout++; tree = null; treeOf = -1; },
    /** The layout a draw starting now shows. */
    current() { return layout; },
    /** The tree a draw of layout `l` may reuse (null: let the renderer build one). */
    reuse(l) { return l === treeOf ? tree : null; },
    /** A draw of layout `l` finished with `t`: kept only when `l` is still the current layout. */
    keep(l, t) {
      if (l !== layout || treeOf === l || !t) return;
      tree = t;
      treeOf = l;
    },
  };
}
