// The map's pure parts: points and pool positions, hit-testing geometry, the legend's rows, the toolbar's text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLayouts } from '../map/layout.js';
import { balance } from '../map/legend.js';
import { bounds, insidePolygon, pointSize, readColours, readPoints, toPoint, toPool } from '../map/points.js';
import { addShort, addText } from '../map/toolbar.js';
import { tipRows } from '../map/tooltip.js';

const f32 = (...v) => new DataView(Float32Array.from(v).buffer);
const u32 = (...v) => new DataView(Uint32Array.from(v).buffer);

test('readPoints splits interleaved x, y', () => {
  const p = readPoints(f32(0.5, -0.5, 1, 0), null);
  assert.equal(p.n, 2);
  assert.deepEqual(Array.from(p.x), [0.5, 1]);
  assert.deepEqual(Array.from(p.y), [-0.5, 0]);
  assert.equal(p.pointIndex, null);
});

test('a sample: points map to pool positions and back; items off the map are -1', () => {
  const p = readPoints(f32(0, 0, 1, 1, 2, 2), u32(4, 10, 99));
  assert.deepEqual([0, 1, 2].map((i) => toPool(p, i)), [4, 10, 99]);
  assert.deepEqual([4, 10, 99, 5, 0, 100].map((item) => toPoint(p, item)), [0, 1, 2, -1, -1, -1]);
});

test('no sample: point i is item i', () => {
  const p = readPoints(f32(0, 0, 1, 1), u32(7));   // a point index of the wrong length is ignored
  assert.equal(p.pointIndex, null);
  assert.equal(toPool(p, 1), 1);
  assert.deepEqual([0, 1, 2, -1].map((item) => toPoint(p, item)), [0, 1, -1, -1]);
});

test('readColours: a colour index per point (missing ones 0) and the labeled points', () => {
  const c = readColours(Uint8Array.from([3, 65]), u32(1), 3);
  assert.deepEqual(Array.from(c.z), [3, 65, 0]);
  assert.deepEqual(Array.from(c.labeled), [1]);
});

test('pointSize shrinks with the number of points', () => {
  assert.deepEqual([100, 5000, 100000, 1000000].map(pointSize), [6, 4, 2.5, 1.5]);
});

test('insidePolygon and bounds', () => {
  const tri = [[0, 0], [10, 0], [0, 10]];
  assert.equal(insidePolygon(2, 2, tri), true);
  assert.equal(insidePolygon(8, 8, tri), false);
  assert.deepEqual(bounds(tri), [0, 0, 10, 10]);
});

test('the legend never leaves one swatch alone on a row', () => {
  assert.deepEqual(balance(5, 100, 400), { rows: 2, cols: 3 });   // 4 fit a row: 3 + 2, not 4 + 1
  assert.deepEqual(balance(3, 100, 400), { rows: 1, cols: 3 });
  assert.deepEqual(balance(3, 100, 50), { rows: 3, cols: 1 });    // narrower than one swatch: one per row
});

test('"Add to batch" says how many fit', () => {
  assert.equal(addText(3, 10, 50), 'Add 3 to batch');
  assert.equal(addText(30, 10, 50), 'Add 10 of 30 to batch (a batch holds 50)');
});

test('the tooltip rows: label, prediction and entropy when Python sends them', () => {
  assert.deepEqual(tipRows({ index: 1 }), []);
  assert.deepEqual(tipRows({ label: 'cat', predicted: 'dog', p: 0.614, entropy: 0.5 }),
    ['label: cat', 'predicted: dog (61%)', 'uncertainty: 0.50 (entropy, 0 sure – 1 unsure)']);
});

test('a recolour reuses the spatial index of its layout', () => {
  const l = createLayouts();
  const first = l.current();
  assert.equal(l.reuse(first), null);            // the first draw builds it
  l.keep(first, 'pca-tree');
  assert.equal(l.reuse(l.current()), 'pca-tree');
});

test('a draw in flight when new positions come does not keep the old tree for them', () => {
  const l = createLayouts();
  const pca = l.current();
  l.keep(pca, 'pca-tree');
  const recolour = l.current();                  // a recolour of the PCA map starts ...
  l.next();                                      // ... UMAP positions arrive while it is in flight
  l.keep(recolour, 'pca-tree');                  // the PCA draw finishes
  const umap = l.current();
  assert.equal(l.reuse(umap), null);             // the UMAP draw builds its own tree
  l.keep(umap, 'umap-tree');
  assert.equal(l.reuse(l.current()), 'umap-tree');
  l.keep(pca, 'pca-tree');                       // a late answer of an older draw changes nothing
  assert.equal(l.reuse(l.current()), 'umap-tree');
});

test('the add button is short, its tooltip says the rest', () => {
  assert.equal(addShort(3, 10), 'Add 3');
  assert.equal(addShort(30, 10), 'Add 10');
});

test('the bulk control states the count, and asks for a second click only above the threshold', async () => {
  const { bulkText, needsConfirm } = await import('../map/find.js');
  assert.deepEqual(bulkText(12, false), ['Label 12 selected as', 'Label']);
  assert.deepEqual(bulkText(80, true), ['Label 80 selected as', 'Confirm labeling 80']);
  assert.equal(needsConfirm(50, 50), false);
  assert.equal(needsConfirm(51, 50), true);
  assert.equal(needsConfirm(51, undefined), false);
});
