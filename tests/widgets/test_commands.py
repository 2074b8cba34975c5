"""One dispatch for the widgets' command tables: handlers get the message, refusals become the error trait."""
from __future__ import annotations

import pytest

from activelens.widgets.commands import dispatch


class Widget:
    error = ""


def test_handler_gets_the_whole_message():
    got = []
    w = Widget()
    dispatch(w, {"go": got.append}, {"type": "go", "value": 3})
    assert got == [{"type": "go", "value": 3}] and w.error == ""


@pytest.mark.parametrize("content", [{"type": "dance"}, {"type": None}, {"type": ["go"]}, {}])
def test_unknown_command_is_an_error(content):
    w = Widget()
    dispatch(w, {"go": lambda c: None}, content)
    assert w.error == f"unknown command {content.get('type')!r}"


def test_non_dict_messages_are_ignored():
    w = Widget()
    dispatch(w, {"go": lambda c: 1 / 0}, "go")
    assert w.error == ""


@pytest.mark.parametrize("exc", [ValueError("refused"), TypeError("refused")])
def test_refusals_become_the_error(exc):
    def handler(content):
        raise exc

    w = Widget()
    dispatch(w, {"go": handler}, {"type": "go"})
    assert w.error == "refused"


def test_other_failures_reach_the_error_line_with_their_type():
    """A locked store, a lost cluster or a bug is shown on the page, not only in the kernel's log (issue 14)."""
    def handler(content):
        raise RuntimeError("bug")

    w = Widget()
    dispatch(w, {"go": handler}, {"type": "go"})
    assert w.error == "go failed: RuntimeError: bug"
