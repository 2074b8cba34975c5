// Colours on the page: the map's palette (a list of hex colours from Python, indexed by a uint8 per point), the
// legend's ramp, and the grey of anything the palette does not cover.

/** The colour of a value the palette does not hold (an index past its end). */
export const MISSING = '#999';

/** The palette's colour at `index`, or MISSING. */
export function colourOf(palette, index) {
  return (palette && palette[index]) || MISSING;
}

/** A CSS gradient left to right through the colours of `ramp` (the legend of a continuous colouring). */
export function rampGradient(ramp) {
  return `linear-gradient(to right, ${(ramp || []).join(', ')})`;
}
