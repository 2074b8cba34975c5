"""Dask chunks as Delayed with and without graph optimisation, side by side: margin top-100 on a persisted 2M x 32 pool
(2 workers). Prints best and median seconds of 3 alternating repeats and the ratio. Run: .venv/bin/python benchmarks/dask_blocks.py"""
import time, numpy as np, dask.array as da
from distributed import Client, LocalCluster
from sklearn.linear_model import LogisticRegression
import activelens.backends.dask.compute as C
import activelens.backends.dask.select as S
from activelens import ActiveLearner
def opt(A): return A.to_delayed(optimize_graph=True).ravel().tolist()
def noopt(A): return A.to_delayed(optimize_graph=False).ravel().tolist()
if __name__ == "__main__":
    c = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True))
    rng = np.random.default_rng(0)
    X = da.random.RandomState(0).standard_normal((2_000_000, 32), chunks=(250_000, 32)).astype(np.float32).persist()
    y = (X[:300, 0] > 0).compute().astype(int)
    L = ActiveLearner(LogisticRegression(), X, strategy="margin", batch_size=100, random_state=0, cold_start="random")
    L.teach(np.arange(300), y); L.fit()
    res = {"opt": [], "noopt": []}
    for rep in range(3):
        for name, f in (("opt", opt), ("noopt", noopt)):
            S.blocks = f
            t = time.perf_counter(); b = L.query(); res[name].append(time.perf_counter() - t)
    for k, v in res.items(): print(k, "best %.3f s  median %.3f s" % (min(v), sorted(v)[1]))
    print("ratio noopt/opt (best):", min(res["noopt"]) / min(res["opt"]))
