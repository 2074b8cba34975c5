import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toFloat32, toUint32, toUint8, view32 } from '../binary.js';

test('toUint8 reads every form a bytes trait arrives in', () => {
  const bytes = Uint8Array.from([1, 2, 3, 250]);
  assert.deepEqual(Array.from(toUint8(bytes)), [1, 2, 3, 250]);
  assert.deepEqual(Array.from(toUint8(new DataView(bytes.buffer, 1, 2))), [2, 3]);
  assert.deepEqual(Array.from(toUint8(bytes.buffer)), [1, 2, 3, 250]);
  assert.deepEqual(Array.from(toUint8([7, 8])), [7, 8]);
  assert.equal(toUint8(null).length, 0);
  assert.equal(toUint8(undefined).length, 0);
});

test('toFloat32 decodes little-endian float32 values, as a view when aligned', () => {
  const src = Float32Array.from([0.5, -1, 3.25]);
  const view = new DataView(src.buffer);
  const out = toFloat32(view);
  assert.deepEqual(Array.from(out), [0.5, -1, 3.25]);
  assert.equal(out.buffer, src.buffer);   // no copy
});

test('toUint32 copies a buffer whose offset is not a multiple of 4, and keeps the values', () => {
  const backing = new Uint8Array(9);
  const values = new Uint8Array(Uint32Array.from([7, 4000000000]).buffer);
  backing.set(values, 1);
  const out = toUint32(new DataView(backing.buffer, 1, 8));
  assert.deepEqual(Array.from(out), [7, 4000000000]);
  assert.notEqual(out.buffer, backing.buffer);
});

test('view32 refuses a length that is not a whole number of 4-byte values', () => {
  const odd = new Uint8Array(10);
  assert.throws(() => toFloat32(odd), { name: 'RangeError', message: /10 bytes .*\(2 byte\(s\) left over/ });
  assert.throws(() => toUint32(new DataView(odd.buffer, 0, 5)), /Uint32Array: 5 bytes/);
  assert.throws(() => view32(Float32Array, [1, 2, 3]), RangeError);
});

test('an empty trait is an empty array, not an error', () => {
  assert.equal(toFloat32(new Uint8Array(0)).length, 0);
  assert.equal(toUint32(null).length, 0);
});
