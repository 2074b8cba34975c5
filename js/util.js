// Small helpers shared by the panels: binary traits -> typed arrays, safe element creation.

/** A Float32Array view (or copy when misaligned) of a bytes trait: DataView, ArrayBuffer, typed array. */
export function toFloat32(value) {
  const u8 = toUint8(value);
  if (u8.byteOffset % 4 === 0) return new Float32Array(u8.buffer, u8.byteOffset, Math.floor(u8.byteLength / 4));
  return new Float32Array(u8.slice().buffer);
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
