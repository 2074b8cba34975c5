// The commands a page sends to its widget, checked against the one schema Python reads too
// (src/activelens/widgets/messages.json: widget -> command type -> the fields its message may carry). Every
// model.send goes through `command`, so a type or a field that Python does not know fails here, at the sender.
import SCHEMA from '../src/activelens/widgets/messages.json' with { type: 'json' };

/** widget ("explorer", "race") -> {type: [field, ...]}, as in messages.json. */
export const COMMANDS = Object.freeze(Object.fromEntries(
  Object.entries(SCHEMA).filter(([key]) => !key.startsWith('_')),
));

/**
 * The message `{type, ...fields}` of `widget`'s command `type`, checked against the schema: an unknown widget,
 * an unknown type or a field the schema does not list throws (a field left out is allowed: Python fills it in).
 */
export function command(widget, type, fields = {}) {
  const table = COMMANDS[widget];
  if (!table) throw new Error(`command: unknown widget ${JSON.stringify(widget)}; one of ${Object.keys(COMMANDS).join(', ')}`);
  const allowed = table[type];
  if (!allowed) {
    throw new Error(`command: ${widget} has no command ${JSON.stringify(type)} in messages.json; `
      + `known: ${Object.keys(table).join(', ')}`);
  }
  const extra = Object.keys(fields).filter((f) => !allowed.includes(f));
  if (extra.length) {
    throw new Error(`command: ${widget} "${type}" carries ${allowed.length ? allowed.join(', ') : 'no fields'}, `
      + `not ${extra.join(', ')}`);
  }
  return { type, ...fields };
}

/** A sender for one widget: `send(type, fields)` checks the command and sends it on `model`. */
export function commandSender(model, widget) {
  return (type, fields) => model.send(command(widget, type, fields));
}
