"""Commands from the page: each widget keeps one table ``{command type: handler}`` and dispatches through it.

The page sends ``model.send({"type": ..., ...})``; the handler receives the whole message. A handler refuses bad
input with ValueError or TypeError, whose text becomes the widget's ``error`` trait; an unknown type does the same.
Any other failure (a store that is locked or read-only, a lost cluster, a bug) reaches the ``error`` trait too, as
"<command> failed: <type>: <message>": a command's failure is never only in the kernel's log.
"""
from __future__ import annotations

from typing import Callable, Mapping

from activelens.widgets.runner import describe

Handler = Callable[[dict], object]


def dispatch(widget, handlers: Mapping[str, Handler], content) -> None:
    """Run the handler of ``content["type"]``; a refusal (ValueError, TypeError) is shown as ``widget.error``, and so
    is any other failure (with its type: ``"submit failed: StoreLockedError: ..."``).

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
    except (ValueError, TypeError) as exc:   # a refusal: its text says what was wrong and what to do
        widget.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - shown on the page, where the user is looking, not in the kernel's log
        widget.error = f"{kind} failed: {describe(exc)}"
