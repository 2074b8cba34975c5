// The status line and the error line every widget shows: the python-written `status` and `error` traits as text,
// and (debug flag on: debug.js) as data-* attributes on the widget's root, what the browser tests and benchmarks
// wait on.
import { h, listen } from './dom.js';

/**
 * The status text, a busy spinner and the error line of a widget rooted at `root`. `counts` maps data
 * attributes to status fields (e.g. {'data-labeled': 'n_labeled'}); `onChange(status)` runs after each update;
 * `mark(el, name, value)` writes the debug attributes (debug.js). The caller places the elements;
 * `showError(text)` reports a page-side failure (until Python's next error or the next page-side one);
 * `destroy()` unsubscribes.
 */
export function createStatus(model, root, { counts = {}, onChange = null, mark = () => {} } = {}) {
  const text = h('span', 'al-status-text');
  const savedTo = h('div', 'al-saved-to');
  const progress = h('span', 'al-progress');
  const error = h('div', 'al-error');
  error.setAttribute('role', 'alert');

  function renderStatus() {
    const st = model.get('status') || {};
    text.textContent = st.message || '';
    savedTo.textContent = st.saved_to || '';
    savedTo.hidden = !st.saved_to;
    mark(root, 'data-state', st.state || 'idle');
    mark(root, 'data-busy', !!st.busy);
    mark(root, 'data-round', st.round ?? 0);
    for (const [attr, key] of Object.entries(counts)) mark(root, attr, st[key] ?? 0);
    progress.hidden = !st.busy;
    if (onChange) onChange(st);
  }
  function renderError() {
    error.textContent = model.get('error') || '';
    mark(root, 'data-error', model.get('error') ? 'true' : 'false');
  }

  const off = listen(model, { 'change:status': renderStatus, 'change:error': renderError });
  renderStatus();
  renderError();
  return {
    text,
    savedTo,
    progress,
    error,
    showError(message) {
      error.textContent = message;
      mark(root, 'data-error', 'true');
      console.error(`activelens: ${message}`);   // the console keeps the history
    },
    destroy() { off(); },
  };
}
