"""The widgets' background runner: one worker at a time, in order; wait(); exceptions handed to on_error."""
from __future__ import annotations

import threading

import pytest

from activelens.widgets.runner import Runner, describe


def test_idle_until_started_and_after_work():
    r = Runner("test-runner")
    assert r.idle and r.wait(0)
    gate = threading.Event()
    r.start(gate.wait, 30)
    assert not r.idle and not r.wait(0.01)
    gate.set()
    assert r.wait(30) and r.idle


def test_work_runs_in_order_and_wait_waits_for_the_latest():
    r = Runner("test-runner")
    first_gate, order = threading.Event(), []

    def first():
        assert first_gate.wait(30)
        order.append("first")

    r.start(first)
    r.start(order.append, "second")     # chained: starts after the first has finished
    assert not r.wait(0.05) and order == []
    first_gate.set()
    assert r.wait(30)
    assert order == ["first", "second"]


def test_an_escaping_exception_goes_to_on_error():
    r = Runner("test-runner")
    seen = []

    def boom():
        raise RuntimeError("no luck")

    r.start(boom, on_error=seen.append)
    assert r.wait(30)
    assert len(seen) == 1 and describe(seen[0]) == "RuntimeError: no luck"
    assert threading.current_thread().name != "test-runner"


@pytest.mark.parametrize("exc, text", [(ValueError("bad"), "ValueError: bad"), (KeyError("k"), "KeyError: 'k'")])
def test_describe(exc, text):
    assert describe(exc) == text
