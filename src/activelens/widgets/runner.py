"""The widgets' background worker: long work (retrain, rescore, a teaching run, a race) off the kernel's thread.

One ``Runner`` per widget. ``start(work)`` runs ``work`` in a daemon thread after the previous work has finished
(one worker at a time, in order); ``wait(timeout)`` blocks until the latest work is done; an exception that escapes
``work`` is handed to ``on_error`` (which shows it on the page) instead of being lost in the thread.
"""
from __future__ import annotations

import threading
from typing import Callable

from activelens.core.validation import check_scalar


def describe(exc: BaseException | None) -> str:
    """``"TypeName: message"``: how a failure is shown on the page."""
    return f"{type(exc).__name__}: {exc}"


def check_rounds(rounds, limit: int) -> int:
    """``rounds`` as an int from 1 to ``limit`` (a bool is not a count), or one error naming the argument: the one
    check of a run's length (teaching mode's "Run N rounds" and the Race)."""
    return check_scalar(rounds, "rounds", int, low=1, high=limit, what="rounds to run")


class Runner:
    """A worker thread with an idle event.

    Parameters
    ----------
    name : str
        The threads' name (seen in debuggers and thread dumps).
    """

    def __init__(self, name: str):
        self.name = name
        self._idle = threading.Event()     # set when no work is running or waiting
        self._idle.set()
        self._worker: threading.Thread | None = None

    @property
    def idle(self) -> bool:
        """True when no work is running."""
        return self._idle.is_set()

    def start(self, work: Callable, *args, on_error: Callable[[Exception], None] | None = None) -> None:
        """Run ``work(*args)`` in a new daemon thread, after the work started before it has finished.

        ``on_error(exc)`` is called (in the thread) with an exception that escapes ``work``. The runner is idle
        again when the latest work has finished: earlier work ending keeps ``wait()`` waiting."""
        previous = self._worker
        self._idle.clear()
        self._worker = threading.Thread(target=self._run, args=(previous, work, args, on_error), name=self.name,
                                        daemon=True)
        self._worker.start()

    def _run(self, previous, work, args, on_error):
        if previous is not None:   # the last round's tail (e.g. the baseline) may still run: one worker at a time
            previous.join()
        try:
            work(*args)
        except Exception as exc:  # noqa: BLE001 - shown on the page by on_error
            if on_error is None:
                raise
            on_error(exc)
        finally:
            if self._worker is threading.current_thread():   # a newer worker keeps wait() waiting
                self._idle.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the latest work is done (at most ``timeout`` seconds). True if idle."""
        return self._idle.wait(timeout)
