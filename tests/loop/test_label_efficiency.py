"""Statistical claim, tested over several seeds with a margin of safety: on digits, margin sampling's and the
default's (strategy="auto" with its own cold start) mean area under the budget curve beats random sampling's."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activelens import simulate

SEEDS = range(5)


@pytest.mark.slow
def test_margin_and_auto_beat_random_on_digits_over_seeds(digits_split):
    Xp, Xt, yp, yt = digits_split
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    kw = dict(X_test=Xt, y_test=yt, initial=20, batch_size=20, budget=300)
    aubc = {s: np.array([simulate(model, Xp, yp, s, random_state=seed, cold_start=cs, **kw).aubc for seed in SEEDS])
            for s, cs in (("random", "random"), ("margin", "random"), ("auto", "auto"))}
    for s in ("margin", "auto"):
        diff = aubc[s] - aubc["random"]
        # a win on every seed, and on average by well over the seeds' spread
        assert np.all(diff > 0), (s, diff)
        assert diff.mean() > 0.01 and diff.mean() > 2 * diff.std() / np.sqrt(len(diff)), (s, diff)
