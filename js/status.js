// The status line and the error line every widget shows: the python-written `status` and `error` traits as text,
// and as data-* attributes on the widget's root (what the browser tests and benchmarks wait on).
import { h, listen } from './dom.js';

/**
 * The status text, a busy spinner and the error line of a widget rooted at `root`. `counts` maps data
 * attributes to status fields (e.g. {'data-labeled': 'n_labeled'}); `onChange(status)` runs after each update.
 * The caller places the elements; `showError(text)` reports a page-side failure; `destroy()` unsubscribes.
 */
export function createStatus(model, root, { counts = {}, onChange = null } = {}) {
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
    root.setAttribute('data-state', st.state || 'idle');
    root.setAttribute('data-busy', String(!!st.busy));
    root.setAttribute('data-round', String(st.round ?? 0));
    for (const [attr, key] of Object.entries(counts)) root.setAttribute(attr, String(st[key] ?? 0));
    progress.hidden = !st.busy;
    if (onChange) onChange(st);
  }
  function renderError() {
    error.textContent = model.get('error') || '';
    root.setAttribute('data-error', model.get('error') ? 'true' : 'false');
  }

  const off = listen(model, { 'change:status': renderStatus, 'change:error': renderError });
  renderStatus();
  renderError();
  return {
    text,
    savedTo,
    progress,
    error,
    showError(message) { error.textContent = message; },
    destroy() { off(); },
  };
}
