// Constants shared by the panels. Limits that Python enforces are not copied here: they arrive as traits
// (e.g. `max_hand_picked`).

/** Rounds offered by the "Run N rounds" menus (teaching mode and the race), and the one selected at first. */
export const ROUNDS = [1, 3, 5, 10, 20];
export const DEFAULT_ROUNDS = 5;

/** The accent colour of the batch: selection ring, lasso, the race's latest picks (CSS: --al-accent). */
export const ACCENT = '#ff3d00';

/** The colour of the map's selection (points chosen by click or lasso, not yet on the batch). */
export const SELECTION = '#1976d2';
