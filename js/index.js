// activelens Explorer: render({ model, el }) builds the map, the batch cards and the learning curve, and
// returns a cleanup function that removes every listener it added.
import { createCards } from './cards.js';
import { createCurve } from './curve.js';
import { createMap } from './map.js';
import { createMonitor } from './monitor.js';
import { renderRace } from './race.js';
import { createTeach } from './teach.js';
import { h, listen } from './util.js';

function render({ model, el }) {
  if (model.get('kind') === 'race') return renderRace({ model, el });   // activelens.Race shares the bundle
  const root = h('div', 'activelens');
  root.tabIndex = 0;
  root.setAttribute('role', 'application');
  root.setAttribute('aria-label', 'activelens explorer: label the batch with 1–9/0, Esc to leave');
  root.setAttribute('data-lm-suppress-shortcuts', 'true');
  root.setAttribute('data-ready', 'false');
  const top = h('div', 'al-top');
  const mapEl = h('div');
  const cardsEl = h('div');
  const bottom = h('div', 'al-bottom');
  const curveEl = h('div');
  const statusEl = h('div', 'al-status');
  const statusText = h('span', 'al-status-text');
  const progress = h('span', 'al-progress');
  const errorText = h('div', 'al-error');
  errorText.setAttribute('role', 'alert');
  statusEl.append(progress, statusText, errorText);
  top.append(mapEl, cardsEl);
  const monitorEl = h('div');
  bottom.append(curveEl, monitorEl, statusEl);
  const teachEl = h('div');
  const teaching = !!(model.get('teaching') || {}).enabled;
  if (teaching) root.append(teachEl);
  root.append(top, bottom);
  el.appendChild(root);

  let cards = null;
  const ctx = {
    root,
    send: (msg) => model.send(msg),
    focusCard: (index) => { if (cards) cards.focusIndex(index); root.focus({ preventScroll: true }); },
    reportError: (text) => { errorText.textContent = text; },
  };
  const map = createMap(model, mapEl, ctx);
  cards = createCards(model, cardsEl, ctx);
  const curve = createCurve(model, curveEl, ctx);
  const teach = teaching ? createTeach(model, teachEl, ctx) : null;
  const monitor = createMonitor(model, monitorEl);

  function renderStatus() {
    const st = model.get('status') || {};
    statusText.textContent = st.message || '';
    root.setAttribute('data-state', st.state || 'idle');
    root.setAttribute('data-busy', String(!!st.busy));
    root.setAttribute('data-round', String(st.round ?? 0));
    root.setAttribute('data-labeled', String(st.n_labeled ?? 0));
    progress.hidden = !st.busy;
  }
  function renderError() {
    errorText.textContent = model.get('error') || '';
    root.setAttribute('data-error', model.get('error') ? 'true' : 'false');
  }

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
  root.addEventListener('keydown', onKey);

  const off = listen(model, { 'change:status': renderStatus, 'change:error': renderError });
  renderStatus();
  renderError();

  return () => {
    off();
    root.removeEventListener('keydown', onKey);
    map.destroy();
    cards.destroy();
    curve.destroy();
    monitor.destroy();
    if (teach) teach.destroy();
    root.remove();
  };
}

export default { render };
