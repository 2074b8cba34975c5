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

/**
 * A 4-byte typed array (`Type`) over a bytes trait: a view when its offset is aligned, a copy when not. A length
 * that is not a multiple of 4 bytes is refused: it means the bytes are not what the trait says they are.
 */
export function view32(Type, value) {
  const u8 = toUint8(value);
  if (u8.byteLength % 4 !== 0) {
    throw new RangeError(`${Type.name}: ${u8.byteLength} bytes is not a whole number of 4-byte values `
      + `(${u8.byteLength % 4} byte(s) left over); send a ${Type.name.replace('Array', '').toLowerCase()} buffer`);
  }
  if (u8.byteOffset % 4 === 0) return new Type(u8.buffer, u8.byteOffset, u8.byteLength / 4);
  return new Type(u8.slice().buffer);
}

/** A Float32Array view (or copy when misaligned) of a bytes trait. */
export function toFloat32(value) { return view32(Float32Array, value); }

/** A Uint32Array view (or copy when misaligned) of a bytes trait. */
export function toUint32(value) { return view32(Uint32Array, value); }
