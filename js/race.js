// activelens Race: strategies racing from the same seed set. One panel of overlaid curves (from the float32
// `curves` buffer), one small map per racer (2-D canvas, from `coords` and the uint8 `selections` buffer), and
// "labels needed to reach X" per racer. render() returns a cleanup function that removes every listener.
import { toFloat32, toUint8 } from './binary.js';
import { ACCENT } from './constants.js';
import { roundsSelect } from './controls.js';
import { createMarker } from './debug.js';
import { button, guard, h, listen, on, s } from './dom.js';
import { commandSender } from './messages.js';
import { polyline, scoreAxes } from './plot.js';
import { createStatus } from './status.js';

const W = 420;
const H = 220;
const PAD = { l: 48, r: 14, t: 10, b: 36 };
const MAP = 150;

export function renderRace({ model, el }) {
  const root = h('div', 'activelens al-race');
  const mark = createMarker();
  mark(root, 'data-ready', 'false');
  const bar = h('div', 'al-race-bar');
  const rounds = roundsSelect('al-race-rounds');
  const runBtn = button('Run', 'al-race-run', 'Run N rounds for every strategy');
  const targetLabel = h('label', 'al-field', 'Target score ');
  const target = h('input', 'al-race-target');
  target.type = 'number';
  target.step = '0.01';
  target.min = '0';
  target.max = '1';
  target.setAttribute('aria-label', 'Target score for labels needed');
  targetLabel.appendChild(target);
  const status = createStatus(model, root, {
    mark,
    counts: { 'data-labels': 'n_labels' },
    onChange: (st) => { runBtn.disabled = !!st.busy; },
  });
  bar.append(rounds, runBtn, targetLabel, status.text);
  const body = h('div', 'al-race-body');
  const curveBox = h('div', 'al-race-curves');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Race: score vs labels' });
  svg.classList.add('al-curve-svg');
  const table = h('table', 'al-table al-race-reach');
  curveBox.append(svg, table);
  const maps = h('div', 'al-race-maps');
  const mapKey = h('div', 'al-race-key', '◇ seed set (shared) · ■ picked · ○ latest round');
  const mapBox = h('div', 'al-race-mapbox');
  mapBox.append(maps, mapKey);
  body.append(curveBox, mapBox);
  root.append(bar, body, status.error);
  el.appendChild(root);

  let canvases = [];
  let namesShown = '';

  function names() { return model.get('strategies') || []; }
  function colours() { return model.get('colors') || []; }

  function buildMaps() {
    const key = names().join('\n');
    if (key === namesShown) return;
    namesShown = key;
    maps.replaceChildren();
    canvases = names().map((name, i) => {
      const fig = h('figure', 'al-race-map');
      const c = h('canvas');
      c.width = MAP;
      c.height = MAP;
      c.setAttribute('aria-label', `Selections of ${name}`);
      const cap = h('figcaption', null, name);
      cap.style.color = colours()[i] || '';
      fig.append(c, cap);
      maps.appendChild(fig);
      return c;
    });
  }

  function drawMaps() {
    buildMaps();
    const xy = toFloat32(model.get('coords'));
    const n = model.get('n_points') || Math.floor(xy.length / 2);
    const sel = toUint8(model.get('selections'));
    const cols = colours();
    canvases.forEach((c, k) => {
      const g = c.getContext('2d');
      g.clearRect(0, 0, MAP, MAP);
      const px = (v) => (v + 1) / 2 * (MAP - 8) + 4;
      const py = (v) => (1 - (v + 1) / 2) * (MAP - 8) + 4;
      const row = sel.subarray(k * n, (k + 1) * n);
      let chosen = 0;
      g.fillStyle = '#dcdcdc';
      for (let i = 0; i < n; i++) if (!row[i]) g.fillRect(px(xy[2 * i]) - 1, py(xy[2 * i + 1]) - 1, 2, 2);
      // picks: filled squares in the racer's colour; the latest round ringed in the accent colour
      for (const level of [2, 3]) {
        g.fillStyle = cols[k] || '#1f77b4';
        for (let i = 0; i < n; i++) {
          if (row[i] !== level) continue;
          chosen++;
          g.fillRect(px(xy[2 * i]) - 2, py(xy[2 * i + 1]) - 2, 4, 4);
          if (level === 3) {
            g.strokeStyle = ACCENT;
            g.lineWidth = 1.5;
            g.beginPath();
            g.arc(px(xy[2 * i]), py(xy[2 * i + 1]), 4.5, 0, 2 * Math.PI);
            g.stroke();
          }
        }
      }
      // the seed set every racer shares: open black diamonds on top, unlike any racer's picks
      g.strokeStyle = '#000';
      g.lineWidth = 1.2;
      for (let i = 0; i < n; i++) {
        if (row[i] !== 1) continue;
        const cx = px(xy[2 * i]);
        const cy = py(xy[2 * i + 1]);
        g.beginPath();
        g.moveTo(cx, cy - 3.5); g.lineTo(cx + 3.5, cy); g.lineTo(cx, cy + 3.5); g.lineTo(cx - 3.5, cy); g.closePath();
        g.stroke();
      }
      mark(c, 'data-chosen', chosen);
    });
  }

  function drawCurves() {
    const pts = toFloat32(model.get('curves'));
    const m = Math.floor(pts.length / 3);
    const racers = names().map(() => ({ x: [], y: [] }));
    let x1 = 10;
    const ys = [];
    for (let j = 0; j < m; j++) {
      const k = pts[3 * j]; const x = pts[3 * j + 1]; const y = pts[3 * j + 2];
      if (!racers[k] || !Number.isFinite(y)) continue;
      racers[k].x.push(x); racers[k].y.push(y);
      x1 = Math.max(x1, x); ys.push(y);
    }
    svg.replaceChildren();
    const { px, py, y0, y1 } = scoreAxes(svg, ys, x1, { W, H, PAD }, { xTitle: 'labels', yTitle: 'holdout score' });
    const reach = model.get('reach') || {};
    if (Number.isFinite(reach.target) && reach.target >= y0 && reach.target <= y1) {
      svg.appendChild(s('line', { x1: PAD.l, x2: W - PAD.r, y1: py(reach.target), y2: py(reach.target), class: 'al-race-target-line' }));
    }
    const cols = colours();
    racers.forEach((r, k) => {
      if (!r.x.length) return;
      const attrs = { fill: 'none', stroke: cols[k] || '#1f77b4', 'stroke-width': 2 };
      if (names()[k] === 'random') attrs['stroke-dasharray'] = '5 3';
      const line = polyline(r.x, r.y, px, py, attrs);
      mark(line, 'data-strategy', names()[k]);
      mark(line, 'data-points', r.x.length);
      svg.appendChild(line);
    });
    mark(root, 'data-curve-points', m);
    drawReach();
  }

  function drawReach() {
    const reach = model.get('reach') || {};
    const cols = colours();
    table.replaceChildren();
    const head = h('tr');
    const tgt = Number.isFinite(reach.target) ? reach.target.toFixed(3) : '–';
    head.append(h('th', null, 'strategy'), h('th', null, `labels to reach ${tgt}`));
    table.appendChild(head);
    names().forEach((name, k) => {
      const tr = h('tr');
      const td = h('td', null, name);
      td.style.color = cols[k] || '';
      const v = (reach.labels || [])[k];
      tr.append(td, h('td', null, v === null || v === undefined ? 'not yet' : String(v)));
      mark(tr, 'data-strategy', name);
      table.appendChild(tr);
    });
    const cap = h('caption', null, `target: ${reach.target_source || ''}`);
    table.prepend(cap);
    if (document.activeElement !== target && Number.isFinite(reach.target)) target.value = reach.target.toFixed(3);
  }

  const sendCommand = commandSender(model, 'race');
  const send = (type, fields) => {   // a command the schema refuses shows on the error line
    try { sendCommand(type, fields); } catch (err) { status.showError(`${err.message || err}`); }
  };
  const onRun = () => send('run', { rounds: Number(rounds.value) });
  const onTarget = () => {
    const v = target.value === '' ? null : Number(target.value);
    send('target', { value: Number.isFinite(v) ? v : null });
  };
  const onKey = (ev) => ev.stopPropagation();   // keep typing in the target field away from notebook shortcuts
  const offDom = on([runBtn, 'click', onRun], [target, 'change', onTarget], [root, 'keydown', onKey]);
  const off = listen(model, {
    'change:curves': drawCurves,
    'change:reach': drawCurves,
    'change:selections': drawMaps,
    'change:coords': drawMaps,
    'change:strategies': () => { drawMaps(); drawCurves(); },
  }, status.showError, 'race: ');
  guard(() => { drawMaps(); drawCurves(); }, status.showError, 'race: ')();
  mark(root, 'data-racers', names().length);
  mark(root, 'data-ready', 'true');

  return () => {
    off();
    offDom();
    status.destroy();
    root.remove();
  };
}
