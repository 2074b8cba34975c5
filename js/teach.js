// Teaching mode's bar (only when the explorer has an oracle): "Label batch with oracle", "Run N rounds", the live
// strategy selector, the noisy-annotator share and the step view (scores → selection → labels → retrain).
// Step 1 (scores) comes before the batch is chosen: the bar asks the map to hide the batch (ctx.showBatch).
import { roundsSelect } from './controls.js';
import { button, h, listen, on, selectOf } from './dom.js';

const NOISE = [0, 0.05, 0.1, 0.2, 0.3, 0.5];

export function createTeach(model, el, ctx) {
  el.classList.add('al-teach');
  const oracleBtn = button('Label batch with oracle', 'al-oracle', 'Label the batch with the oracle and retrain');
  const runBtn = button('Run', 'al-run', 'Run N rounds with the oracle');
  const rounds = roundsSelect('al-rounds');
  const stepBtn = button('Step ▸', 'al-step', 'Show the next step of one round on the map');
  const stratLabel = h('label', 'al-field', 'Strategy ');
  const strategy = h('select', 'al-select al-strategy');
  strategy.setAttribute('aria-label', 'Query strategy (switches live)');
  stratLabel.appendChild(strategy);
  const noiseLabel = h('label', 'al-field', 'Noisy annotator ');
  const noise = selectOf('al-noise', 'Share of oracle answers flipped', NOISE, (v) => `${Math.round(v * 100)}% flipped`);
  noiseLabel.appendChild(noise);
  const counts = h('span', 'al-teach-counts');
  const steps = h('ol', 'al-steps');
  const stepText = h('div', 'al-step-text');
  stepText.setAttribute('aria-live', 'polite');
  const row1 = h('div', 'al-teach-row');
  row1.append(oracleBtn, rounds, runBtn, stepBtn, stratLabel, noiseLabel, counts);
  el.append(row1, steps, stepText);

  let strategiesShown = '';
  function render() {
    const t = model.get('teaching') || {};
    const st = model.get('status') || {};
    const busy = !!st.busy || !!t.running;
    for (const b of [oracleBtn, runBtn, stepBtn, strategy]) b.disabled = busy;
    const names = (t.strategies || []).join('\n');
    if (names !== strategiesShown) {
      strategy.replaceChildren();
      for (const name of t.strategies || []) {
        const o = h('option', null, name);
        o.value = name;
        strategy.appendChild(o);
      }
      strategiesShown = names;
    }
    if (document.activeElement !== strategy) strategy.value = t.strategy || '';
    const nv = String(t.noise ?? 0);
    if (![...noise.options].some((o) => o.value === nv)) {
      const o = h('option', null, `${Math.round((t.noise || 0) * 100)}% flipped`);
      o.value = nv;
      noise.appendChild(o);
    }
    noise.value = nv;
    counts.textContent = `oracle: ${t.answered || 0} answers, ${t.flipped || 0} flipped · ${t.rounds_run || 0} rounds run`;
    steps.replaceChildren();
    (t.steps || []).forEach((name, i) => {
      const li = h('li', 'al-step-item', name);
      if (t.step === i + 1) li.classList.add('al-step-now');
      steps.appendChild(li);
    });
    stepText.textContent = t.step_text || 'Step ▸ walks through one round on the map: scores → selection → labels → retrain';
    const mark = (name, value) => ctx.mark(ctx.root, name, value);
    mark('data-teaching', 'true');
    mark('data-step', t.step || 0);
    mark('data-strategy', t.strategy || '');
    mark('data-answered', t.answered || 0);
    mark('data-flipped', t.flipped || 0);
    mark('data-rounds-run', t.rounds_run || 0);
    mark('data-running', !!t.running);
    ctx.showBatch(t.step !== 1);
  }

  const onOracle = () => ctx.send('oracle');
  const onRun = () => ctx.send('run', { rounds: Number(rounds.value) });
  const onStep = () => ctx.send('step');
  const onStrategy = () => ctx.send('strategy', { value: strategy.value });
  const onNoise = () => ctx.send('noise', { value: Number(noise.value) });
  const offDom = on([oracleBtn, 'click', onOracle], [runBtn, 'click', onRun], [stepBtn, 'click', onStep],
    [strategy, 'change', onStrategy], [noise, 'change', onNoise]);
  const off = listen(model, { 'change:teaching': render, 'change:status': render }, ctx.reportError, 'teaching: ');
  render();
  return {
    destroy() {
      off();
      offDom();
    },
  };
}
