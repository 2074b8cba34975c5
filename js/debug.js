// Attributes that only tests and benchmarks read (data-ready, data-points, data-batch, timings, ...): written
// only when the page asks for them, so the production DOM carries none of them. The flag is read when a view
// is rendered: `globalThis.activelensDebug = true`, or `localStorage.setItem('activelens-debug', '1')` (the e2e
// harness sets the first with Playwright's add_init_script before the page loads). Attributes that serve users,
// accessibility or CSS (aria-*, a card's data-state, data-lm-suppress-shortcuts) are not debug attributes.

/** True when the page asked for the debug attributes. */
export function debugEnabled() {
  if (globalThis.activelensDebug === true) return true;
  try {
    return globalThis.localStorage?.getItem('activelens-debug') === '1';
  } catch (err) {   // storage denied (a sandboxed frame): only the global flag counts
    return false;
  }
}

/** `mark(el, name, value)`: setAttribute(name, String(value)) when `enabled`, nothing otherwise. */
export function createMarker(enabled = debugEnabled()) {
  if (!enabled) return () => {};
  return (el, name, value) => el.setAttribute(name, String(value));
}
