"""Commands from the page: each widget keeps one table ``{command type: handler}`` and dispatches through it.

The page sends ``model.send({"type": ..., ...})``; the handler receives the whole message. A handler refuses bad
input with ValueError or TypeError, whose text becomes the widget's ``error`` trait; an unknown type does the same.
"""
from __future__ import annotations

from typing import Callable, Mapping

Handler = Callable[[dict], None]


def dispatch(widget, handlers: Mapping[str, Handler], content) -> None:
    """Run the handler of ``content["type"]``; a refusal (ValueError, TypeError) is shown as ``widget.error``.

    Parameters
    ----------
    widget : anywidget.AnyWidget
        Has an ``error`` trait.
    handlers : mapping of str to callable (dict) -> None
        The widget's command table.
    content : object
        The message as received; anything but a dict is ignored.
    """
    if not isinstance(content, dict):
        return
    kind = content.get("type")
    try:
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise ValueError(f"unknown command {kind!r}")
        handler(content)
    except (ValueError, TypeError) as exc:
        widget.error = str(exc)
