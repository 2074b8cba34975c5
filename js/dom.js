// Building the page safely: elements with text (always textContent, never HTML), SVG elements, buttons and
// menus, and model subscriptions that come with the function removing them.

/** document.createElement with a class and optional text (always textContent, never HTML). */
export function h(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (set with setAttribute). */
export function s(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A <button type="button"> with classes `al-btn <cls>`, its text and an aria-label. */
export function button(text, cls, aria) {
  const b = h('button', `al-btn ${cls}`, text);
  b.type = 'button';
  if (aria) b.setAttribute('aria-label', aria);
  return b;
}

/** A <select> with one option per value: `text(value)` shown, String(value) as its value. */
export function selectOf(cls, aria, values, text) {
  const sel = h('select', `al-select ${cls}`);
  sel.setAttribute('aria-label', aria);
  for (const v of values) {
    const o = h('option', null, text(v));
    o.value = String(v);
    sel.appendChild(o);
  }
  return sel;
}

/** `fn` whose exceptions go to `report(message)` (the status line) instead of vanishing in the console. */
export function guard(fn, report, where = '') {
  return (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      report(`${where}${err && err.message ? err.message : err}`);
      return undefined;
    }
  };
}

/**
 * Subscribe to model events; returns a function that removes them all. With `report`, a handler's exception
 * goes to report(message) (see guard).
 */
export function listen(model, handlers, report = null, where = '') {
  const bound = Object.entries(handlers).map(([name, fn]) => [name, report ? guard(fn, report, where) : fn]);
  for (const [name, fn] of bound) model.on(name, fn);
  return () => { for (const [name, fn] of bound) model.off(name, fn); };
}

/** Add DOM listeners [target, type, fn, options?]; returns a function that removes them all. */
export function on(...bindings) {
  for (const [target, type, fn, opts] of bindings) target.addEventListener(type, fn, opts);
  return () => { for (const [target, type, fn, opts] of bindings) target.removeEventListener(type, fn, opts); };
}
