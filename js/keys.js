// Which label a key press picks on a card. Python assigns each label its key (the same on every card); the page
// only looks it up: a card's options are [{label, name, key}, ...].

/**
 * The option whose key is `key`; a letter also matches in the other case when no option has that exact key.
 * Null when no option has the key.
 */
export function optionForKey(options, key) {
  const opts = options || [];
  return opts.find((o) => o.key === key)
    || opts.find((o) => typeof o.key === 'string' && o.key.toLowerCase() === key.toLowerCase())
    || null;
}

/** How the keys work, for the hint under the cards: a label's own key, a key shown on each button, or clicks. */
export function keysHint(options) {
  const keyed = (options || []).filter((o) => o.key !== null && o.key !== undefined);
  if (!keyed.length) return 'click a label';
  return keyed.every((o) => o.key === o.name) ? "a label's own key" : 'the key on each button';
}
