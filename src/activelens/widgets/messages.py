"""The message schema shared by Python and the page: ``messages.json`` beside this module.

Each widget's command table is keyed by these names (``EXPLORER``, ``RACE``); the JS bundle imports the same file,
so a command renamed on one side and not the other fails a test, not a user.
"""
from __future__ import annotations

import json
from importlib import resources

_SCHEMA = json.loads(resources.files(__package__).joinpath("messages.json").read_text(encoding="utf-8"))

#: Explorer command type -> the fields its message carries besides "type"
EXPLORER: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _SCHEMA["explorer"].items()}
#: Race command type -> the fields its message carries besides "type"
RACE: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _SCHEMA["race"].items()}


def check_table(widget: str, handlers) -> None:
    """Raise ValueError if ``handlers`` (a command table) and the schema of ``widget`` differ."""
    schema = {"explorer": EXPLORER, "race": RACE}[widget]
    missing, extra = set(schema) - set(handlers), set(handlers) - set(schema)
    if missing or extra:
        raise ValueError(f"{widget} command table and messages.json differ: missing {sorted(missing)}, "
                         f"not in the schema {sorted(extra)}")
