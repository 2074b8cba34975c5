// Binary traits (Python bytes: DataView, ArrayBuffer or typed array) as typed arrays, without copying when aligned.

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

function view32(Type, value) {
  const u8 = toUint8(value);
  if (u8.byteOffset % 4 === 0) return new Type(u8.buffer, u8.byteOffset, Math.floor(u8.byteLength / 4));
  return new Type(u8.slice().buffer);
}

/** A Float32Array view (or copy when misaligned) of a bytes trait. */
export function toFloat32(value) { return view32(Float32Array, value); }

/** A Uint32Array view (or copy when misaligned) of a bytes trait. */
export function toUint32(value) { return view32(Uint32Array, value); }
