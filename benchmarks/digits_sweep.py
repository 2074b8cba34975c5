"""Digits / logistic regression sweep behind the choice of the default strategy (the numbers in BENCHMARKS.md).

    .venv/bin/python benchmarks/digits_sweep.py 1.0 margin 10
    .venv/bin/python benchmarks/digits_sweep.py 1.0 combined 10 "{'cold_start': 'random'}"
    RAW=1000 .venv/bin/python benchmarks/digits_sweep.py 1.0 margin 10     # unscaled LogisticRegression(max_iter=1000)

Arguments: C of the logistic regression, strategy, number of seeds, optional simulate() keyword arguments (the
learner's: cold_start, scoring, ...; a strategy's own settings, such as the blend's weight, go with its object:
``simulate(..., strategy=Combined(weight=0.8))`` from Python).
Per seed: 30% stratified test split seeded by the seed; random's reference is its own curve's accuracy at 1,000
labels (batch 10, same seed); the strategy runs to 500 labels. Prints labels to reach that reference per seed
(9999 = not reached by 500), their mean/sd/median/max, how many seeds made it by 333, the labels at which the
seed-mean curve reaches the seed-mean reference, and AUBC over 20..500 for the strategy and for random.
Random curves are cached in /tmp (keyed by C and seed).
"""
import json
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import limit_threads  # noqa: E402

limit_threads(1)
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def est_for(C, mi=1000):
    if os.environ.get("RAW"):
        return LogisticRegression(C=C, max_iter=int(os.environ["RAW"]))
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=mi))


def run(C, strat, seed, budget, kw):
    import warnings

    warnings.filterwarnings("ignore")
    from activelens.loop.simulate import simulate

    X, y = load_digits(return_X_y=True)
    Xp, Xt, yp, yt = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    r = simulate(est_for(C), Xp, yp, strategy=strat, X_test=Xt, y_test=yt, budget=budget, random_state=seed, **dict(kw))
    return r.n_labels, r.scores


CACHE = "/tmp/activelens_digits_random%s.json" % os.environ.get("RAW", "")


def random_curves(C, seeds):
    c = json.load(open(CACHE)) if os.path.exists(CACHE) else {}
    need = [s for s in seeds if f"{C}:{s}" not in c]
    res = Parallel(n_jobs=2)(delayed(run)(C, "random", s, 1000, {}) for s in need)
    for s, (n, sc) in zip(need, res):
        c[f"{C}:{s}"] = [np.asarray(n).tolist(), np.asarray(sc).tolist()]
    json.dump(c, open(CACHE, "w"))
    return {s: c[f"{C}:{s}"] for s in seeds}


def evaluate(C, strat, seeds, kw, budget=500, label=""):
    rc = random_curves(C, seeds)
    t = time.time()
    res = Parallel(n_jobs=2)(delayed(run)(C, strat, s, budget, kw) for s in seeds)
    lt, au, aur = [], [], []
    for s, (n, sc) in zip(seeds, res):
        rn, rs = map(np.asarray, rc[s])
        target = rs[rn == 1000][0]
        hit = np.flatnonzero(sc >= target)
        lt.append(int(n[hit[0]]) if hit.size else 9999)
        m = n <= 500
        au.append(np.trapezoid(sc[m], n[m]) / (n[m][-1] - n[m][0]))
        rm = rn <= 500
        aur.append(np.trapezoid(rs[rm], rn[rm]) / (rn[rm][-1] - rn[rm][0]))
    tgt_mean = np.mean([np.asarray(rc[s][1])[np.asarray(rc[s][0]) == 1000][0] for s in seeds])
    mc = np.mean([sc for _, sc in res], axis=0)
    n = res[0][0]
    hit = np.flatnonzero(mc >= tgt_mean)
    ltm = int(n[hit[0]]) if hit.size else 9999
    lt = np.array(lt)
    print(f"{label or strat:40s} C={C:<6} lt_mean={lt.mean():6.1f} sd={lt.std():5.1f} med={np.median(lt):5.0f} max={lt.max():5d} "
          f"<=333:{(lt <= 333).sum()}/{len(lt)} meancurve_lt={ltm:4d} aubc={np.mean(au):.4f}±{np.std(au):.4f} "
          f"rnd_aubc={np.mean(aur):.4f} per-seed={lt.tolist()} t={time.time() - t:.0f}s", flush=True)


if __name__ == "__main__":
    C = float(sys.argv[1])
    strat = sys.argv[2]
    nseeds = int(sys.argv[3])
    kw = eval(sys.argv[4]) if len(sys.argv) > 4 else {}
    evaluate(C, strat, list(range(nseeds)), kw, label=f"{strat} {kw}")
