// Small helpers shared by the panels: binary traits -> typed arrays, safe element creation.

/** A Float32Array view (or copy when misaligned) of a bytes trait: DataView, ArrayBuffer, typed array. */
export function toFloat32(value) {
  const u8 = toUint8(value);
  if (u8.byteOffset % 4 === 0) return new Float32Array(u8.buffer, u8.byteOffset, Math.floor(u8.byteLength / 4));
  return new Float32Array(u8.slice().buffer);
}

/** A Uint32Array view (or copy when misaligned) of a bytes trait. */
export function toUint32(value) {
  const u8 = toUint8(value);
  if (u8.byteOffset % 4 === 0) return new Uint32Array(u8.buffer, u8.byteOffset, Math.floor(u8.byteLength / 4));
  return new Uint32Array(u8.slice().buffer);
}

/** A Uint8Array view of a bytes trait. */
export function toUint8(value) {
  if (!value) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  if (value instanceof DataView || ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (Array.isArray(value)) return Uint8Array.from(value);
  return new Uint8Array(0);
}

/** document.createElement with a class and optional text (always textContent, never HTML). */
export function h(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Subscribe to model events; returns a function that removes them all. */
export function listen(model, handlers) {
  for (const [name, fn] of Object.entries(handlers)) model.on(name, fn);
  return () => { for (const [name, fn] of Object.entries(handlers)) model.off(name, fn); };
}

export function pct(p) {
  if (p === null || p === undefined) return '';
  const v = p * 100;
  return v >= 10 || v === 0 ? `${Math.round(v)}%` : `${v.toFixed(1)}%`;
}

// Axes of a score-vs-labels chart drawn into `svg`: x from 0 to x1, y over the scores padded to a span of at
// least 0.05 (0..1 with no scores), three ticks on each axis. Returns the scales and the y range used.
export function scoreAxes(svg, scores, x1, { W, H, PAD }) {
  let y0 = scores.length ? Math.min(1, ...scores) : 0;
  let y1 = scores.length ? Math.max(0, ...scores) : 1;
  if (y1 - y0 < 0.05) { y0 = Math.max(0, y0 - 0.05); y1 = Math.min(1, y1 + 0.05); if (y1 <= y0) y1 = y0 + 0.1; }
  const px = (v) => PAD.l + (v / x1) * (W - PAD.l - PAD.r);
  const py = (v) => H - PAD.b - ((v - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  svg.appendChild(s('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: 'al-axis' }));
  svg.appendChild(s('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, class: 'al-axis' }));
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    const t = s('text', { x: PAD.l - 4, y: py(v) + 3, 'text-anchor': 'end', class: 'al-tick' });
    t.textContent = v.toFixed(2);
    svg.appendChild(t);
  }
  for (const v of [0, Math.round(x1 / 2), x1]) {
    const t = s('text', { x: px(v), y: H - 8, 'text-anchor': 'middle', class: 'al-tick' });
    t.textContent = String(v);
    svg.appendChild(t);
  }
  return { px, py, y0, y1 };
}
