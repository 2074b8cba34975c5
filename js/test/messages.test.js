// The message schema (src/activelens/widgets/messages.json) against the page: every command type in it has a
// sender in js/, every type js/ sends is in it, with the fields the schema lists.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { command, commandSender, COMMANDS } from '../messages.js';

const JS = fileURLToPath(new URL('..', import.meta.url));

function sources(dir = JS) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'test' ? [] : sources(join(dir, e.name));
    return e.name.endsWith('.js') ? [join(dir, e.name)] : [];
  });
}

// every `send('type'` / `send("type"` in the page's code, by widget: race.js speaks for the race, the rest for
// the explorer
function sentTypes() {
  const sent = { explorer: new Map(), race: new Map() };
  for (const file of sources()) {
    const widget = file.endsWith('race.js') ? 'race' : 'explorer';
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bsend\(\s*['"]([a-z_]+)['"]\s*(?:,\s*\{([^}]*)\})?/g)) {
      const body = m[2] || '';   // the fields: `key: value` and shorthand `key`
      const fields = [...body.matchAll(/(?:^|,)\s*([A-Za-z_]\w*)\s*:/g)].map((k) => k[1])
        .concat(body.split(',').map((f) => f.trim()).filter((f) => /^[A-Za-z_]\w*$/.test(f)));
      sent[widget].set(m[1], (sent[widget].get(m[1]) || []).concat([{ file, fields }]));
    }
  }
  return sent;
}

test('every command type in messages.json has a sender in js/', () => {
  const sent = sentTypes();
  for (const [widget, table] of Object.entries(COMMANDS)) {
    const missing = Object.keys(table).filter((t) => !sent[widget].has(t));
    assert.deepEqual(missing, [], `${widget}: schema types no JS sends`);
  }
});

test('every type js/ sends is in messages.json, with only the fields it lists', () => {
  const sent = sentTypes();
  for (const [widget, types] of Object.entries(sent)) {
    for (const [type, calls] of types) {
      assert.ok(COMMANDS[widget][type], `${widget}: "${type}" is sent but not in messages.json`);
      for (const { file, fields } of calls) {
        const extra = fields.filter((f) => !COMMANDS[widget][type].includes(f));
        assert.deepEqual(extra, [], `${file}: "${type}" sends fields the schema does not list`);
      }
    }
  }
});

test('no message goes around the schema: model.send only in messages.js', () => {
  for (const file of sources()) {
    if (file.endsWith('messages.js')) continue;
    assert.doesNotMatch(readFileSync(file, 'utf8'), /model\.send\(/, file);
  }
});

test('command builds the message of a known type', () => {
  assert.deepEqual(command('explorer', 'label', { index: 3, label: 1 }), { type: 'label', index: 3, label: 1 });
  assert.deepEqual(command('explorer', 'submit'), { type: 'submit' });
  assert.deepEqual(command('explorer', 'add'), { type: 'add' });   // a field left out: Python fills it in
  assert.deepEqual(command('race', 'target', { value: null }), { type: 'target', value: null });
});

test('command refuses an unknown widget, type or field', () => {
  assert.throws(() => command('explorer', 'labl', { index: 1 }), /explorer has no command "labl"/);
  assert.throws(() => command('race', 'label', {}), /race has no command "label"/);
  assert.throws(() => command('explorer', 'label', { index: 1, lable: 2 }), /carries index, label, not lable/);
  assert.throws(() => command('explorer', 'undo', { index: 1 }), /carries no fields, not index/);
  assert.throws(() => command('plot', 'run'), /unknown widget "plot"/);
});

test('commandSender sends the checked message on the model, and nothing when refused', () => {
  const got = [];
  const send = commandSender({ send: (m) => got.push(m) }, 'race');
  send('run', { rounds: 3 });
  assert.throws(() => send('step'));
  assert.deepEqual(got, [{ type: 'run', rounds: 3 }]);
});

test('the schema is the file Python reads', () => {
  const file = JSON.parse(readFileSync(join(JS, '..', 'src', 'activelens', 'widgets', 'messages.json'), 'utf8'));
  assert.deepEqual(COMMANDS, { explorer: file.explorer, race: file.race });
});
