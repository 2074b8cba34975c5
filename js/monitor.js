// Annotation quality panel: the `monitor` trait (python-written) as a small table — per annotator labels, gold
// accuracy, kappa with the others, labels per hour — and a line with agreement, cost per accuracy point and the
// queue's counts. Annotator names are user data: every cell is set with textContent, never as HTML.
import { h, listen } from './dom.js';

const COLUMNS = [
  ['name', 'annotator'],
  ['n_labels', 'labels'],
  ['gold_accuracy', 'gold acc.'],
  ['kappa', 'κ with others'],
  ['labels_per_hour', 'labels / h'],
];

function fmt(key, row) {
  const v = row[key];
  if (key === 'name') return v === undefined || v === null ? '' : String(v);
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (key === 'gold_accuracy') return `${Math.round(v * 100)}% (${row.gold_n ?? 0})`;
  if (key === 'kappa') return Number(v).toFixed(2);
  if (key === 'labels_per_hour') return v >= 100 ? String(Math.round(v)) : Number(v).toFixed(1);
  return String(v);
}

function summary(m) {
  const parts = [];
  const a = m.agreement || {};
  if (a.method && a.kappa !== null && a.kappa !== undefined) {
    parts.push(`agreement: ${a.method === 'cohen' ? "Cohen's" : "Fleiss'"} κ ${Number(a.kappa).toFixed(2)} on ${a.n_items} items`);
  } else {
    parts.push('agreement: no items with several annotators yet');
  }
  if (m.cost_per_point !== null && m.cost_per_point !== undefined) {
    parts.push(`cost per accuracy point: ${m.cost_per_point} ${m.cost_unit || 'labels'}`);
  }
  const q = m.queue;
  if (q) parts.push(`queue: ${q.pending} pending · ${q.leased} leased · ${q.done} done`);
  return parts.join(' · ');
}

export function createMonitor(model, el, ctx) {
  el.classList.add('al-monitor');
  const title = h('div', 'al-monitor-title', 'Annotation quality');
  const table = h('table', 'al-monitor-table');
  const head = h('tr');
  for (const [, text] of COLUMNS) head.appendChild(h('th', null, text));
  const thead = h('thead');
  thead.appendChild(head);
  const tbody = h('tbody');
  table.append(thead, tbody);
  const line = h('div', 'al-monitor-summary');
  const err = h('div', 'al-monitor-error');
  el.append(title, table, line, err);

  function render() {
    const m = model.get('monitor') || {};
    // one person labeling alone (a store, no queue, no gold): nothing to compare, so no panel
    const team = Array.isArray(m.annotators) && (m.annotators.length > 1 || !!m.queue || !!m.annotator
      || m.annotators.some((r) => r.gold_n) || !!m.error);
    const on = team;
    el.hidden = !on;
    if (!on) return;
    const me = m.annotator || '';
    title.textContent = me ? 'Annotation quality — you are ' : 'Annotation quality';
    if (me) title.appendChild(h('span', 'al-monitor-me', me));
    tbody.replaceChildren();
    ctx.mark(el, 'data-annotators', m.annotators.length);
    ctx.mark(el, 'data-labels', m.annotators.reduce((t, r) => t + (r.n_labels || 0), 0));
    for (const row of m.annotators) {
      const tr = h('tr');
      if (me && row.name === me) tr.className = 'al-monitor-self';
      for (const [key] of COLUMNS) tr.appendChild(h('td', `al-col-${key}`, fmt(key, row)));
      tbody.appendChild(tr);
    }
    line.textContent = summary(m);
    err.textContent = m.error || '';
  }

  const off = listen(model, { 'change:monitor': render }, ctx.reportError, 'monitor: ');
  render();
  return { destroy() { off(); el.remove(); } };
}
