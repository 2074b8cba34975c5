// The map's find bar: a search box (text or regex; Python searches and selects), what it found, and the bulk
// label control "Label N selected as [label]" for the unlabeled items of the selection (a lasso, a box, a search),
// with a second click "Confirm labeling N" above the `find` trait's confirm_over. And the round replay under the
// map: a slider over the rounds labels were given in (`replay` trait). They send commands through the map's
// send(type, fields) and show the traits; Python does the work. Every text through textContent.
import { button, h, listen, on } from '../dom.js';

/** The bulk control's words for `n` unlabeled selected items: [before the label menu, the button]; `armed` after a
 * first click that asked for a confirmation. */
export function bulkText(n, armed) {
  return [`Label ${n} selected as`, armed ? `Confirm labeling ${n}` : 'Label'];
}

/** Whether labeling `n` items needs a second click ("Confirm labeling N") when more than `over` ask for one. */
export function needsConfirm(n, over) {
  return Number.isFinite(over) && n > over;
}

/** The find bar (`bar`) and the replay (`replay`) for `model`; send(type, fields), mark(name, value). */
export function createFind(model, { send, mark }, report) {
  const bar = h('form', 'al-find-bar');
  bar.setAttribute('role', 'search');
  const input = h('input', 'al-search');
  input.type = 'search';
  input.placeholder = 'Find text…';
  input.setAttribute('aria-label', 'Find items whose text contains this (case-insensitive)');
  const regexLabel = h('label', 'al-field al-regex', ' regex');
  const regex = h('input');
  regex.type = 'checkbox';
  regex.setAttribute('aria-label', 'Search with a regular expression');
  regexLabel.prepend(regex);
  const findBtn = button('Find', 'al-find', 'Find and select the matching items');
  findBtn.type = 'submit';
  const note = h('span', 'al-find-note');
  const bulk = h('span', 'al-bulk');
  const bulkCount = h('span', 'al-bulk-count');
  const bulkBtn = button('Label', 'al-bulk-label', 'Label every unlabeled selected item with the chosen label');
  const labelSel = h('select', 'al-bulk-choice');
  labelSel.setAttribute('aria-label', 'The label for the selected items');
  bulk.append(bulkCount, labelSel, bulkBtn);
  bar.append(input, regexLabel, findBtn, note, bulk);

  const replay = h('div', 'al-replay');
  const replayLabel = h('label', 'al-field', 'Replay round ');
  const slider = h('input', 'al-round');
  slider.type = 'range';
  slider.min = '0';
  slider.step = '1';
  slider.setAttribute('aria-label', 'Show the items labeled in this round');
  replayLabel.appendChild(slider);
  const replayNote = h('span', 'al-replay-note');
  replay.append(replayLabel, replayNote);

  let armed = false;
  const unlabeled = () => (model.get('find') || {}).unlabeled || 0;

  function showLabels() {
    const keep = labelSel.value;
    labelSel.replaceChildren();
    for (const name of model.get('label_names') || []) {
      const o = h('option', null, name);
      o.value = name;
      labelSel.appendChild(o);
    }
    if ((model.get('label_names') || []).includes(keep)) labelSel.value = keep;
  }

  function showFind() {
    const f = model.get('find') || {};
    const n = f.unlabeled || 0;
    note.textContent = f.note || '';
    note.title = note.textContent;
    // laid out always, invisible with nothing to label: the bar never changes its size
    bulk.classList.toggle('al-none', n === 0);
    bulk.setAttribute('aria-hidden', String(n === 0));
    if (n === 0) armed = false;
    [bulkCount.textContent, bulkBtn.textContent] = bulkText(n, armed);
    bulkBtn.classList.toggle('al-armed', armed);
    bulkBtn.disabled = n === 0;
    mark('data-bulk', n);
    mark('data-found', f.note || '');
  }

  function showReplay() {
    const r = model.get('replay') || {};
    const last = Number.isInteger(r.last) ? r.last : -1;
    replay.classList.toggle('al-none', last < 0);
    slider.max = String(Math.max(0, last));
    slider.disabled = last < 0;
    if (Number.isInteger(r.round) && r.round >= 0) {
      slider.value = String(r.round);
      replayNote.textContent = `round ${r.round}: ${r.n} labeled (selected on the map) · of rounds 0–${last}`;
    } else {
      replayNote.textContent = last >= 0 ? `rounds 0–${last}: move to see where each round's labels went` : '';
    }
    mark('data-replay', Number.isInteger(r.round) ? r.round : -1);
  }

  function onSubmit(ev) {
    ev.preventDefault();
    if (!input.value.trim()) return;
    send('search', { text: input.value, regex: regex.checked });
  }

  function onBulk() {
    const n = unlabeled();
    if (!n) return;
    if (needsConfirm(n, (model.get('find') || {}).confirm_over) && !armed) {
      armed = true;
      showFind();
      return;
    }
    armed = false;
    send('label_selected', { label: labelSel.value });
    showFind();
  }

  const off = on([bar, 'submit', onSubmit], [bulkBtn, 'click', onBulk],
    [labelSel, 'change', () => { armed = false; showFind(); }],
    [slider, 'input', () => send('show_round', { round: Number(slider.value) })]);
  const offModel = listen(model, {
    'change:find': showFind,
    'change:selected': () => { armed = false; },
    'change:label_names': () => { showLabels(); showFind(); },
    'change:replay': showReplay,
  }, report, 'find: ');
  showLabels();
  showFind();
  showReplay();

  return {
    bar,
    replay,
    destroy() { off(); offModel(); },
  };
}
