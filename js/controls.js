// Controls more than one panel offers.
import { DEFAULT_ROUNDS, ROUNDS } from './constants.js';
import { selectOf } from './dom.js';

/** The "rounds to run" menu: 1, 3, 5, 10 or 20 rounds, 5 selected. */
export function roundsSelect(cls) {
  const sel = selectOf(cls, 'Rounds to run', ROUNDS, (v) => `${v} round${v === 1 ? '' : 's'}`);
  sel.value = String(DEFAULT_ROUNDS);
  return sel;
}
