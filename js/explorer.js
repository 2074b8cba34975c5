// activelens Explorer: the map, the batch cards, the learning curve, the annotation-quality panel, the status line
// and (teaching mode only) the teaching bar. Each panel is its own module; this one lays them out, hands them a
// small context (root, send, mark, focusCard, reportError, showBatch) and owns the keyboard. Every command goes
// through messages.js (checked against messages.json); the test-only data-* attributes through debug.js.
import { createCards } from './cards.js';
import { createCurve } from './curve.js';
import { createMarker } from './debug.js';
import { h, on } from './dom.js';
import { createMap } from './map/index.js';
import { commandSender } from './messages.js';
import { createMonitor } from './monitor.js';
import { createStatus } from './status.js';
import { createTeach } from './teach.js';

export function renderExplorer({ model, el }) {
  const root = h('div', 'activelens');
  root.tabIndex = 0;
  root.setAttribute('role', 'application');
  root.setAttribute('aria-label', "activelens explorer: label the batch with each label's key, Esc to leave");
  // JupyterLab and Notebook 7 (both Lumino) skip their shortcuts inside this element; the handler below also
  // stops the keys it takes, so a front end without the attribute does not see them either
  root.setAttribute('data-lm-suppress-shortcuts', 'true');
  const mark = createMarker();
  mark(root, 'data-ready', 'false');
  const top = h('div', 'al-top');
  const mapEl = h('div');
  const cardsEl = h('div');
  const bottom = h('div', 'al-bottom');
  const curveEl = h('div');
  const monitorEl = h('div');
  const statusEl = h('div', 'al-status');
  const teachEl = h('div');
  const teaching = !!(model.get('teaching') || {}).enabled;
  if (teaching) root.append(teachEl);
  root.append(top, bottom);
  el.appendChild(root);

  const status = createStatus(model, root, { mark, counts: { 'data-labeled': 'n_labeled' } });
  statusEl.append(status.progress, status.text, status.savedTo, status.error);
  top.append(mapEl, cardsEl);
  bottom.append(curveEl, monitorEl, statusEl);

  let cards = null;
  let map = null;
  const sendCommand = commandSender(model, 'explorer');
  const ctx = {
    root,
    mark,
    /** Send the explorer command `type` (messages.json); a failure shows on the status line. */
    send: (type, fields) => {
      try {
        sendCommand(type, fields);
      } catch (err) {
        status.showError(`${err.message || err}`);
      }
    },
    focusCard: (index) => { if (cards) cards.focusIndex(index); root.focus({ preventScroll: true }); },
    hasFocus: () => root.contains(document.activeElement),
    reportError: (text) => status.showError(text),
    showBatch: (shown) => { if (map) map.setBatchShown(shown); },
  };
  map = createMap(model, mapEl, ctx);
  cards = createCards(model, cardsEl, ctx);
  const curve = createCurve(model, curveEl, ctx);
  const teach = teaching ? createTeach(model, teachEl, ctx) : null;
  const monitor = createMonitor(model, monitorEl, ctx);

  // keyboard: the widget keeps its keys to itself (no notebook shortcuts) and lets go on Esc
  function onKey(ev) {
    const tag = ev.target && ev.target.tagName;
    if (tag === 'SELECT' || tag === 'INPUT' || tag === 'TEXTAREA') { ev.stopPropagation(); return; }
    if (ev.key === 'Escape') {
      ev.stopPropagation();
      ev.preventDefault();
      root.blur();
      return;
    }
    if (cards.handleKey(ev)) ev.preventDefault();
    ev.stopPropagation();
  }
  // a click anywhere in the widget (not in a menu or field) gives it the keys, whatever the notebook does with focus
  function onPointerDown(ev) {
    const tag = ev.target && ev.target.tagName;
    if (tag === 'SELECT' || tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'OPTION') return;
    requestAnimationFrame(() => { if (!root.contains(document.activeElement)) root.focus({ preventScroll: true }); });
  }
  // capture phase: the widget sees its keys before anything inside it, and stops them there
  const offKeys = on([root, 'keydown', onKey, true], [root, 'pointerdown', onPointerDown]);

  return () => {
    offKeys();
    status.destroy();
    map.destroy();
    cards.destroy();
    curve.destroy();
    monitor.destroy();
    if (teach) teach.destroy();
    root.remove();
  };
}
