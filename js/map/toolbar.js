// The map's toolbar: the colour switch, the Lasso and Box toggles, the selection's count with "Add to batch" and
// "Clear", and the projection's status. It shows state it is given and calls back; it sends nothing itself.
import { button, h, on } from '../dom.js';

const MODES = [['entropy', 'entropy'], ['margin', 'margin'], ['predicted', 'predicted class'], ['label', 'label'],
  ['round', 'round labeled']];

/** The "Add to batch" text for `k` selected points with `room` places left in a batch of `max`. */
export function addText(k, room, max) {
  return k > room ? `Add ${room} of ${k} to batch (a batch holds ${max})` : `Add ${k} to batch`;
}

/** The "Add to batch" button's short text: how many it adds (its tooltip, addText, says the rest). */
export function addShort(k, room) {
  return `Add ${Math.min(k, room)}`;
}

/** The toolbar element (`bar`); callbacks onColour(value), onTool('lasso' | 'box'), onAdd(), onClear(). */
export function createToolbar({ onColour, onTool, onAdd, onClear }) {
  const bar = h('div', 'al-map-bar');
  const colourLabel = h('label', 'al-field', 'Colour ');
  const select = h('select', 'al-select');
  select.setAttribute('aria-label', 'Colour the map by');
  for (const [value, text] of MODES) {
    const o = h('option', null, text);
    o.value = value;
    select.appendChild(o);
  }
  colourLabel.appendChild(select);
  const lassoBtn = button('Lasso', 'al-lasso', 'Lasso: draw around points to select them (or shift+drag)');
  lassoBtn.setAttribute('aria-pressed', 'false');
  const boxBtn = button('Box', 'al-box', 'Box: drag a rectangle to select the points in it (or alt+drag)');
  boxBtn.setAttribute('aria-pressed', 'false');
  const selBox = h('span', 'al-selection');
  const selCount = h('span', 'al-sel-count');
  const addBtn = button('Add to batch', 'al-add', 'Add the selected points to the batch as cards');
  const clearBtn = button('Clear', 'al-clear', 'Clear the selection');
  selBox.append(selCount, addBtn, clearBtn);
  const projection = h('span', 'al-projection');
  bar.append(colourLabel, lassoBtn, boxBtn, selBox, projection);

  const off = on([select, 'change', () => onColour(select.value)], [lassoBtn, 'click', () => onTool('lasso')],
    [boxBtn, 'click', () => onTool('box')], [addBtn, 'click', () => onAdd()], [clearBtn, 'click', () => onClear()]);

  return {
    bar,
    /** The drag tool now on: 'lasso', 'box' or null. */
    showTool(tool) {
      lassoBtn.setAttribute('aria-pressed', String(tool === 'lasso'));
      boxBtn.setAttribute('aria-pressed', String(tool === 'box'));
    },
    /** `k` points selected, `room` places left in a batch of `max`. */
    showSelection(k, room, max) {
      // the selection's controls keep their place when nothing is selected (hidden, not removed): the bar
      // never changes height, so the map below it never moves
      selBox.classList.toggle('al-none', k === 0);
      selBox.setAttribute('aria-hidden', String(k === 0));
      selCount.textContent = `${k} selected`;
      addBtn.textContent = addShort(k, room);
      addBtn.title = addText(k, room, max);
      addBtn.disabled = room === 0 || k === 0;
      clearBtn.disabled = k === 0;
    },
    showColourBy(value) { select.value = value; },
    showProjection(text) {
      projection.textContent = `map: ${text}`;
      projection.title = projection.textContent;
    },
    destroy() { off(); },
  };
}
