import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from activelens import compare, simulate, summarize
from activelens.loop.simulate import area_under_budget_curve, labels_to_reach


def test_aubc_and_labels_to_reach_on_known_curves():
    assert area_under_budget_curve([0, 10], [0.0, 1.0]) == pytest.approx(0.5)
    assert area_under_budget_curve([10, 20, 30], [0.8, 0.8, 0.8]) == pytest.approx(0.8)
    assert labels_to_reach([10, 20, 30], [0.5, 0.9, 0.95], 0.9) == 20
    assert labels_to_reach([10, 20], [0.5, 0.6], 0.9) is None


def test_simulate_runs_to_the_budget_and_reports_a_curve():
    X, y = load_iris(return_X_y=True)
    r = simulate(LogisticRegression(max_iter=500), X, y, "margin", initial=6, batch_size=6, budget=42, random_state=1)
    assert r.n_labels.tolist() == [6, 12, 18, 24, 30, 36, 42]
    assert r.scores.shape == (7,) and np.all((r.scores >= 0) & (r.scores <= 1))
    assert r.aubc == pytest.approx(area_under_budget_curve(r.n_labels, r.scores))
    assert r.labels_to(0.0) == 6 and r.labels_to(1.01) is None
    again = simulate(LogisticRegression(max_iter=500), X, y, "margin", initial=6, batch_size=6, budget=42, random_state=1)
    assert np.array_equal(r.scores, again.scores)  # same seed, same run


@pytest.mark.parametrize("kw, match", [
    (dict(initial=30, budget=20), "smaller than initial"),
    (dict(budget=1000), "larger than the pool"),
    (dict(batch_size=0), "batch_size"),
    (dict(X_test=np.ones((3, 4))), "both X_test and y_test"),
])
def test_simulate_bad_input(kw, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        simulate(LogisticRegression(), X, y, **kw)


def test_compare_and_summarize():
    X, y = load_iris(return_X_y=True)
    curves = compare(LogisticRegression(max_iter=500), X, y, ["random", "margin"], seeds=2, initial=6,
                     batch_size=6, budget=30, progress=False)
    assert set(curves.strategy) == {"random", "margin"} and set(curves.seed) == {0, 1}
    assert len(curves) == 2 * 2 * 5
    table = summarize(curves, {"high": 0.9})
    assert table.loc["random", "aubc_vs_random"] == pytest.approx(1.0)
    assert {"aubc", "aubc_sd", "labels_to_high", "saving_high"} <= set(table.columns)
    margin_curves = curves[curves.strategy == "margin"]
    expected = np.mean([area_under_budget_curve(g.n_labels, g.score) for _, g in margin_curves.groupby("seed")])
    assert table.loc["margin", "aubc"] == pytest.approx(expected)


def test_simulate_and_compare_share_the_learners_defaults():
    """One default everywhere: strategy "auto" and random_state None, as in ActiveLearner (compare's seeds are
    explicit, and its holdout is cut by split_seed=0 so every run is scored on the same rows)."""
    import inspect

    from activelens import ActiveLearner, compare

    learner = inspect.signature(ActiveLearner.__init__).parameters
    sim = inspect.signature(simulate).parameters
    assert sim["strategy"].default == learner["strategy"].default == "auto"
    assert sim["random_state"].default is learner["random_state"].default is None
    assert "auto" in inspect.signature(compare).parameters["strategies"].default
