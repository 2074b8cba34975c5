import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keysHint, optionForKey } from '../keys.js';

// options as Python sends them: label position, name, the key assigned to it
const DIGITS = [{ label: 0, name: 'cat', key: '1' }, { label: 1, name: 'dog', key: '2' }, { label: 2, name: 'owl', key: '3' }];
const OWN = [{ label: 0, name: '0', key: '0' }, { label: 1, name: '1', key: '1' }];
const LETTERS = [{ label: 0, name: 'yes', key: 'y' }, { label: 1, name: 'Yak', key: 'Y' }, { label: 2, name: 'no', key: 'n' }];

test('a key labels the class whose key it is', () => {
  assert.equal(optionForKey(DIGITS, '1').label, 0);
  assert.equal(optionForKey(DIGITS, '3').label, 2);
  assert.equal(optionForKey(OWN, '1').label, 1);
});

test('a key no class has labels nothing', () => {
  assert.equal(optionForKey(DIGITS, '4'), null);
  assert.equal(optionForKey(DIGITS, 'x'), null);
  assert.equal(optionForKey([], '1'), null);
  assert.equal(optionForKey(undefined, '1'), null);
});

test('the exact case wins; the other case matches only when no key is exactly it', () => {
  assert.equal(optionForKey(LETTERS, 'y').label, 0);
  assert.equal(optionForKey(LETTERS, 'Y').label, 1);
  assert.equal(optionForKey(LETTERS, 'N').label, 2);
});

test('options without a key are never matched', () => {
  assert.equal(optionForKey([{ label: 0, name: 'a', key: null }], 'a'), null);
});

test('the hint names how the keys work', () => {
  assert.equal(keysHint(OWN), "a label's own key");
  assert.equal(keysHint(DIGITS), 'the key on each button');
  assert.equal(keysHint([{ label: 0, name: 'a', key: null }]), 'click a label');
  assert.equal(keysHint(undefined), 'click a label');
});
