// The batch: one card per item with its label buttons inline, in the same place on every card (the order of
// labels=, or by probability with button_order="probability"), each with its key, the model's probability as a
// small bar and a %, the suggested one marked. A label's key is the same on every card (Python assigns it). Picks go
// to Python as messages; a card shows "saved" only when Python says the learner has its label (the `saved` trait).
// One click listener on the list serves every card.
import { button, h, listen, on } from './dom.js';
import { keysHint, optionForKey } from './keys.js';
import { balance } from './map/legend.js';

const BUTTON_GAP = 4;   // px between label buttons (style.css: .al-buttons gap)

function pct(p) {
  if (p === null || p === undefined) return '';
  const v = p * 100;
  return v >= 10 || v === 0 ? `${Math.round(v)}%` : `${v.toFixed(1)}%`;
}

function whyText(why) {
  if (!why) return '';
  const parts = [];
  if (why.strategy) parts.push(why.strategy);
  if (why.uncertainty !== undefined && why.uncertainty !== null) parts.push(`uncertainty ${why.uncertainty.toFixed(3)}`);
  if (why.diversity !== undefined && why.diversity !== null) parts.push(`diversity ${why.diversity.toFixed(3)}`);
  if (!parts.length && why.score !== undefined && why.score !== null) parts.push(`score ${why.score.toFixed(3)}`);
  return parts.join(' · ');
}

// a text longer than this (or with more lines) shows its first lines and a "more" control
const SHORT_TEXT = 280;
const SHORT_LINES = 4;
// a word as scikit-learn's vectorisers see one: letters, digits and underscores
const WORD = /[\p{L}\p{N}_]+/gu;

/** The text as text nodes, with the words in `terms` (lower case) wrapped in highlight spans (textContent only). */
export function highlighted(text, terms) {
  const box = h('div', 'al-text');
  const wanted = new Set((terms || []).filter((t) => !/\s/.test(t)).map((t) => t.toLowerCase()));
  if (!wanted.size) {
    box.textContent = text;
    return box;
  }
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    if (!wanted.has(m[0].toLowerCase())) continue;
    if (m.index > last) box.appendChild(document.createTextNode(text.slice(last, m.index)));
    const mark = h('span', 'al-term', m[0]);
    mark.setAttribute('title', 'weighs for the suggested label');
    box.appendChild(mark);
    last = m.index + m[0].length;
  }
  if (last < text.length) box.appendChild(document.createTextNode(text.slice(last)));
  return box;
}

/** A text item: its first lines, and a "more" button that opens the rest in a box of bounded height. */
function renderText(item, expandable) {
  const text = String(item.text ?? '');
  const body = highlighted(text, item.terms);
  if (!expandable) return [body];
  const long = text.length > SHORT_TEXT || text.split('\n').length > SHORT_LINES;
  if (!long) return [body];
  body.classList.add('al-clamped');
  const more = h('button', 'al-more', 'more');
  more.type = 'button';
  more.setAttribute('aria-expanded', 'false');
  more.setAttribute('aria-label', 'Show the whole text');
  return [body, more];
}

/** Open or close a card's text ("more" / "less"). */
export function toggleText(more) {
  const body = more.previousElementSibling;
  const open = more.getAttribute('aria-expanded') !== 'true';
  body.classList.toggle('al-clamped', !open);
  body.classList.toggle('al-open', open);
  more.textContent = open ? 'less' : 'more';
  more.setAttribute('aria-expanded', String(open));
  more.setAttribute('aria-label', open ? 'Show the first lines only' : 'Show the whole text');
}

export function renderItem(item, { expandable = false } = {}) {
  const box = h('div', 'al-item');
  if (!item) return box;
  if (item.kind === 'image') {
    const img = h('img', 'al-img');
    img.setAttribute('alt', 'item image');
    img.setAttribute('src', `data:image/png;base64,${item.png}`);
    const scale = Math.max(1, Math.floor(96 / Math.max(item.width, item.height)));
    img.setAttribute('width', String(item.width * scale));
    img.setAttribute('height', String(item.height * scale));
    box.appendChild(img);
  } else if (item.kind === 'table') {
    const table = h('table', 'al-table');
    const tbody = h('tbody');
    (item.columns || []).forEach((c, j) => {
      const tr = h('tr');
      tr.append(h('th', null, c), h('td', null, (item.values || [])[j]));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    box.appendChild(table);
  } else {
    box.append(...renderText(item, expandable));
  }
  return box;
}

export function createCards(model, el, ctx) {
  el.classList.add('al-cards');
  const head = h('div', 'al-cards-head');
  const title = h('span', 'al-cards-title', 'Batch');
  const counts = h('span', 'al-counts');
  head.append(title, counts);
  const list = h('div', 'al-card-list');
  list.setAttribute('role', 'list');
  const foot = h('div', 'al-cards-foot');
  const undo = button('Undo', 'al-undo', 'Undo the last pick; with none, take back the last submit (Backspace)');
  const submit = button('Submit batch', 'al-submit', 'Submit the picked labels and retrain (Enter)');
  const hint = h('span', 'al-hint', '');
  foot.append(undo, submit, hint);
  el.append(head, list, foot);

  let cards = [];         // the batch trait
  let cardEls = [];       // elements, same order
  let focused = 0;

  function state(index) {
    if ((model.get('saved') || []).includes(index)) return 'saved';
    const p = (model.get('pending') || {})[String(index)];
    if (p === undefined) return 'open';
    return p < 0 ? 'skipped' : 'picked';
  }

  function build() {
    const before = cards.map((c) => c.index);
    cards = model.get('batch') || [];
    // cards added by hand (map click / lasso) extend the batch: keep going, focus the first new card
    const extended = before.length > 0 && cards.length > before.length && before.every((i, k) => cards[k].index === i);
    list.replaceChildren();
    cardEls = cards.map((card, pos) => {
      const c = h('div', 'al-card');
      c.setAttribute('role', 'listitem');
      ctx.mark(c, 'data-index', card.index);
      c.setAttribute('data-pos', String(pos));
      const hasId = card.id !== undefined && card.id !== null;
      c.setAttribute('aria-label', hasId ? `Item ${card.id}` : `Item ${card.index}`);
      if (hasId) ctx.mark(c, 'data-id', card.id);
      c.tabIndex = -1;
      const top = h('div', 'al-card-head');
      const idEl = h('span', 'al-card-id', hasId ? String(card.id) : `#${card.index}`);
      if (hasId) idEl.setAttribute('title', `id ${card.id} · pool position ${card.index}`);
      const why = h('span', 'al-why', whyText(card.why));
      why.setAttribute('title', [whyText(card.why), card.why && card.why.reason].filter(Boolean).join(' — '));
      top.append(idEl, why, h('span', 'al-card-state'));
      if (card.source === 'hand') c.classList.add('al-hand');
      // a labeled card: its current label marked; a pick changes (or confirms) it, Space takes it back
      const labeled = card.source === 'labeled';
      if (labeled) c.classList.add('al-labeled');
      const buttons = h('div', 'al-buttons');
      for (const opt of card.options || []) {
        const b = h('button', 'al-label');
        b.type = 'button';
        b.setAttribute('data-label', String(opt.label));
        ctx.mark(b, 'data-name', opt.name);
        const key = opt.key === null || opt.key === undefined ? '' : ` (key ${opt.key})`;
        const prob = opt.p === null || opt.p === undefined ? '' : ` (${pct(opt.p)})`;
        const sug = card.suggested === opt.label;
        const cur = labeled && card.current === opt.label;
        b.setAttribute('aria-label', `Label item ${card.index} as ${opt.name}${prob}${sug ? ', suggested' : ''}${cur ? ', its current label' : ''}${key}`);
        if (cur) {
          b.classList.add('al-current');
          b.setAttribute('title', 'its current label: pick it to confirm, another to change it');
        }
        b.setAttribute('aria-pressed', 'false');
        if (key) ctx.mark(b, 'data-key', opt.key);
        if (sug) b.classList.add('al-suggested');
        // a card with a suggestion keeps a star's place on every button: its buttons keep their width
        if (card.suggested !== undefined && card.suggested !== null) {
          const star = h('span', sug ? 'al-star' : 'al-star al-star-off', '★');
          if (!sug) star.setAttribute('aria-hidden', 'true');
          b.appendChild(star);
        }
        // the key badge only when it differs from the name ("2" on the button "2" says it already)
        if (key && opt.key !== opt.name) b.appendChild(h('span', 'al-key', String(opt.key)));
        b.appendChild(h('span', 'al-name', opt.name));
        if (prob) {
          b.appendChild(h('span', 'al-pct', pct(opt.p)));
          const bar = h('span', 'al-pbar');
          bar.style.width = `${Math.round(Math.max(0, Math.min(1, opt.p)) * 100)}%`;
          b.appendChild(bar);
        }
        buttons.appendChild(b);
      }
      const skip = h('button', 'al-skip', labeled ? 'Take back' : 'Skip');
      skip.type = 'button';
      skip.setAttribute('aria-label', labeled ? `Take back the label of item ${card.index} (Space)` : `Skip item ${card.index} (Space)`);
      buttons.appendChild(skip);
      c.append(top, renderItem(card.item, { expandable: true }), buttons);
      list.appendChild(c);
      return c;
    });
    updateStates();
    renderHint();
    fitButtons();
    if (extended) setFocus(before.length);
    else {
      // a new batch opens at its first card, scrolled into view and focused (the keys go to it)
      list.scrollTop = 0;
      setFocus(0, false);
      if (ctx.hasFocus()) ctx.root.focus({ preventScroll: true });
    }
    ctx.mark(ctx.root, 'data-batch', cards.length);
    ctx.mark(ctx.root, 'data-batch-id', model.get('batch_id'));
  }

  // Every card's buttons in one grid of equal cells, the same number of columns on every card: a label sits in
  // the same place on every card, at every width, and no button (Skip) is left alone on a row. The cells are as
  // wide as the widest button's content, measured with the grid off.
  let buttonsWidth = -1;
  function fitButtons() {
    const rows = list.querySelectorAll('.al-buttons');
    if (!rows.length || !rows[0].clientWidth) return;
    list.classList.add('al-measuring');
    const widest = (sel) => Math.max(1, ...Array.from(list.querySelectorAll(sel), (b) => Math.ceil(b.getBoundingClientRect().width)));
    const cell = widest('.al-buttons > .al-label') + BUTTON_GAP;
    const skip = widest('.al-buttons > .al-skip') + BUTTON_GAP;
    list.classList.remove('al-measuring');
    buttonsWidth = rows[0].clientWidth;
    // Skip takes as many cells as its text needs (the digits' cells are narrower than "Skip")
    const span = Math.max(1, Math.ceil(skip / cell));
    const labels = rows[0].querySelectorAll('.al-label').length;
    const { cols } = balance(labels + span, cell, buttonsWidth + BUTTON_GAP);
    list.style.setProperty('--al-cols', String(Math.max(cols, span)));
    list.style.setProperty('--al-skip-span', String(Math.min(span, cols)));
    ctx.mark(ctx.root, 'data-button-cols', cols);
  }
  const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => {
    const row = list.querySelector('.al-buttons');
    if (row && row.clientWidth !== buttonsWidth) fitButtons();
  }) : null;
  if (ro) ro.observe(list);

  function renderHint() {
    const keys = keysHint(cards[0] && cards[0].options);
    hint.textContent = `${keys} · Space skip · ⌫ undo · ↑↓ move · Enter submit · Esc leave`;
  }

  function updateStates() {
    const pending = model.get('pending') || {};
    let picked = 0;
    let saved = 0;
    cards.forEach((card, pos) => {
      const st = state(card.index);
      if (st === 'picked' || st === 'skipped') picked++;
      if (st === 'saved') saved++;
      const c = cardEls[pos];
      if (!c) return;
      c.setAttribute('data-state', st);
      const skipped = card.source === 'labeled' ? 'to take back' : 'skipped';
      c.querySelector('.al-card-state').textContent = { open: '', picked: 'picked', skipped, saved: 'saved ✓' }[st];
      const chosen = pending[String(card.index)];
      for (const b of c.querySelectorAll('.al-label')) {
        b.setAttribute('aria-pressed', String(Number(b.getAttribute('data-label')) === chosen));
        b.disabled = st === 'saved';
      }
    });
    counts.textContent = `${cards.length} items · ${picked} picked · ${saved} saved`;
    ctx.mark(ctx.root, 'data-picked', picked);
    ctx.mark(ctx.root, 'data-saved', saved);
    const busy = !!(model.get('status') || {}).busy;
    submit.disabled = busy || cards.length === 0;
    undo.disabled = busy;
  }

  function setFocus(pos, scroll = true) {
    if (!cards.length) return;
    focused = Math.max(0, Math.min(cards.length - 1, pos));
    cardEls.forEach((c, i) => c.classList.toggle('al-focused', i === focused));
    ctx.mark(ctx.root, 'data-focused', cards[focused].index);
    if (scroll && cardEls[focused] && cardEls[focused].scrollIntoView) {
      cardEls[focused].scrollIntoView({ block: 'nearest' });
    }
  }

  // a label (its position in label_names), or -1: skip the card
  function pick(pos, label) {
    const card = cards[pos];
    if (!card || state(card.index) === 'saved' || (model.get('status') || {}).busy) return;
    if (label < 0) ctx.send('skip', { index: card.index });
    else ctx.send('label', { index: card.index, label });
    setFocus(pos + 1);
    ctx.root.focus({ preventScroll: true });
  }

  function doSubmit() {
    if (submit.disabled) return;
    ctx.send('submit');
  }

  function doUndo() {
    if (undo.disabled) return;
    ctx.send('undo');
    if (focused > 0) setFocus(focused - 1);
  }

  // a label or skip button picks for its card; a click elsewhere on a card focuses it
  function onListClick(ev) {
    const c = ev.target.closest('.al-card');
    if (!c || !list.contains(c)) return;
    const pos = Number(c.getAttribute('data-pos'));
    const more = ev.target.closest('.al-more');
    if (more && c.contains(more)) {
      ev.stopPropagation();
      toggleText(more);
      setFocus(pos, false);
      return;
    }
    const b = ev.target.closest('.al-label, .al-skip');
    if (b && c.contains(b)) {
      ev.stopPropagation();
      pick(pos, b.classList.contains('al-skip') ? -1 : Number(b.getAttribute('data-label')));
      return;
    }
    setFocus(pos);
  }

  const onSubmit = (ev) => { ev.stopPropagation(); doSubmit(); };
  const onUndo = (ev) => { ev.stopPropagation(); doUndo(); };
  const offClicks = on([list, 'click', onListClick], [submit, 'click', onSubmit], [undo, 'click', onUndo]);

  const off = listen(model, {
    'change:batch': build,
    'change:pending': updateStates,
    'change:saved': updateStates,
    'change:status': updateStates,
  }, ctx.reportError, 'cards: ');
  build();

  return {
    /** Handle a key for the whole widget; true when it was ours. */
    handleKey(ev) {
      const k = ev.key;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return false;
      const card = cards[focused];
      if (k.length === 1 && k !== ' ' && card) {
        const opt = optionForKey(card.options, k);
        if (opt) { pick(focused, opt.label); return true; }
        if (/^[0-9]$/.test(k)) return true;   // a digit with no label: still ours, never the notebook's
      }
      switch (k) {
        case ' ': case 'Spacebar': pick(focused, -1); return true;
        case 'Backspace': doUndo(); return true;
        case 'ArrowDown': case 'ArrowRight': setFocus(focused + 1); return true;
        case 'ArrowUp': case 'ArrowLeft': setFocus(focused - 1); return true;
        case 'Enter': doSubmit(); return true;
        default: return false;
      }
    },
    focusIndex(index) {
      const pos = cards.findIndex((c) => c.index === index);
      if (pos >= 0) setFocus(pos);
    },
    destroy() {
      if (ro) ro.disconnect();
      off();
      offClicks();
      list.replaceChildren();
    },
  };
}
