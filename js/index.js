// The widgets' render entry (anywidget): activelens.Race and activelens.Explorer share the bundle; `kind` says
// which one a model is. render returns the cleanup function that removes every listener the view added.
import { renderExplorer } from './explorer.js';
import { renderRace } from './race.js';

function render({ model, el }) {
  if (model.get('kind') === 'race') return renderRace({ model, el });
  return renderExplorer({ model, el });
}

export default { render };
