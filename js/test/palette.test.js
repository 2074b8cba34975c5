import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourOf, MISSING, rampGradient } from '../palette.js';

test('colourOf is the palette entry at the index', () => {
  const palette = ['#000000', '#111111', '#222222'];
  assert.equal(colourOf(palette, 0), '#000000');
  assert.equal(colourOf(palette, 2), '#222222');
});

test('colourOf is the missing grey past the palette or without one', () => {
  assert.equal(colourOf(['#000000'], 5), MISSING);
  assert.equal(colourOf(null, 0), MISSING);
  assert.equal(colourOf([], 0), MISSING);
});

test('rampGradient runs left to right through the ramp', () => {
  assert.equal(rampGradient(['#440154', '#fde725']), 'linear-gradient(to right, #440154, #fde725)');
  assert.equal(rampGradient(undefined), 'linear-gradient(to right, )');
});
