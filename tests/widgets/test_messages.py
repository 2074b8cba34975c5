"""The shared message schema (``messages.json``), Python side: every command type in it has a handler in the
widget's command table, and no handler is outside it (``messages.check_table``, run when a widget is built). The
JS side of the same check (every type has a sender) lives with the JS tests."""
from __future__ import annotations

import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, Explorer, Race
from activelens.widgets import messages


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=160, n_features=5, n_informative=3, n_redundant=0, random_state=3)
    return X[:120], y[:120], X[120:], y[120:]


def send_every_type(w, schema):
    """Send each schema type with its fields (as None); return the types answered with "unknown command"."""
    unknown = []
    for kind, fields in schema.items():
        w.error = ""
        w._handle_custom_msg({"type": kind, **{f: None for f in fields}}, [])
        w.wait(60)
        if "unknown command" in w.error:
            unknown.append(kind)
    return unknown


def test_schema_names_the_fields_of_every_command():
    assert set(messages.EXPLORER) >= {"label", "skip", "undo", "submit", "color_by", "select", "add", "peek",
                                      "oracle", "run", "strategy", "noise", "step"}
    assert set(messages.RACE) == {"run", "target"}
    assert messages.EXPLORER["label"] == ("index", "label") and messages.RACE["target"] == ("value",)


def test_every_explorer_command_has_a_handler(data):
    Xp, yp, _, _ = data
    w = Explorer(ActiveLearner(LogisticRegression(), Xp, batch_size=5, random_state=0), projection="pca", oracle=yp)
    assert send_every_type(w, messages.EXPLORER) == []
    w._handle_custom_msg({"type": "not-in-the-schema"}, [])
    assert w.error == "unknown command 'not-in-the-schema'"


def test_every_race_command_has_a_handler(data):
    Xp, yp, Xt, yt = data
    r = Race(LogisticRegression(), Xp, yp, X_test=Xt, y_test=yt, strategies=["margin"], initial=10, batch_size=5)
    assert send_every_type(r, messages.RACE) == []


@pytest.mark.parametrize("widget, schema", [("explorer", messages.EXPLORER), ("race", messages.RACE)])
def test_a_table_that_differs_from_the_schema_is_refused(widget, schema):
    table = {kind: print for kind in schema}
    messages.check_table(widget, table)                        # the same types: fine
    missing = dict(table)
    gone = missing.pop(next(iter(schema)))
    assert gone is print
    with pytest.raises(ValueError, match=r"missing \['" + next(iter(schema))):
        messages.check_table(widget, missing)
    with pytest.raises(ValueError, match=r"not in the schema \['extra'\]"):
        messages.check_table(widget, {**table, "extra": print})


def test_the_widgets_check_their_tables_when_built(data, monkeypatch):
    Xp, _, _, _ = data
    monkeypatch.setitem(messages.EXPLORER, "rename", ())     # the schema gained a type the Explorer lacks
    with pytest.raises(ValueError, match=r"explorer command table and messages.json differ: missing \['rename'\]"):
        Explorer(ActiveLearner(LogisticRegression(), Xp, classes=[0, 1], random_state=0), projection="pca")
