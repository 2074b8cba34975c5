"""scipy.sparse pools end to end, never densified: the backend, every strategy and cold start, simulate/compare, the
store's fingerprint, the queue, the CLI's ``--text`` and the Explorer's map."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from activelens import (ActiveLearner, AnnotationQueue, Explorer, LabelStore, PoolMismatchError, StoreError, compare,
                        simulate)
from activelens.backends import SparsePool, make_pool
from activelens.backends.sparse import SVD_DIMS, sparse_embedding, sparse_row_hashes
from activelens.core.fingerprint import row_hashes
from activelens.datasets import load_scipy_docstrings
from activelens.strategies.registry import STRATEGIES


@pytest.fixture(scope="module")
def text():
    texts, labels = load_scipy_docstrings()
    keep = np.isin(labels, ["stats", "signal", "linalg"])
    texts = [t for t, k in zip(texts, keep) if k]
    X = TfidfVectorizer(sublinear_tf=True).fit_transform(texts).tocsr()
    return texts, X, labels[keep]


@pytest.fixture
def no_densify(monkeypatch):
    """Fail the test if anything densifies a pool-sized sparse matrix (toarray / todense); small products (a batch
    against the labeled items) may be dense."""
    calls = []

    def guard(original):
        def densify(self, *a, **k):
            if self.shape[0] * self.shape[1] > 50_000:
                calls.append(self.shape)
                raise AssertionError(f"a sparse matrix of shape {self.shape} was densified")
            return original(self, *a, **k)
        return densify

    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", guard(cls.toarray))
        monkeypatch.setattr(cls, "todense", guard(cls.todense))
    return calls


def model():
    return LogisticRegression(max_iter=500)


def seeded(y, per_class=2):
    return np.array([int(np.flatnonzero(y == c)[k]) for k in range(per_class) for c in np.unique(y)])


# ---------------------------------------------------------------- the backend
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_make_pool_chooses_sparse_and_keeps_rows_sparse(text, fmt):
    _, X, _ = text
    pool = make_pool(X.asformat(fmt))
    assert isinstance(pool, SparsePool) and pool.kind == "sparse"
    assert sp.issparse(pool.X) and pool.X.format == "csr" and pool.X.nnz == X.nnz
    assert pool.local_array is None
    assert sp.issparse(pool.rows([3, 1]))
    E = pool.embedding
    assert E.shape == (X.shape[0], SVD_DIMS) and E.dtype == np.float32
    assert pool.map_array is E


def test_embedding_is_l2_normalised_svd_and_computed_once(text):
    _, X, _ = text
    Z = sparse_embedding(X, random_state=0)
    norms = np.linalg.norm(Z, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)
    pool = make_pool(X, random_state=0)
    assert pool.embedding is pool.embedding


def test_diversity_component_is_cosine_on_the_rows(text):
    _, X, _ = text
    pool = make_pool(X)
    d = pool.distance_to_labeled([0, 1, 2], [2, 5])
    U = X.toarray()
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    want = np.sqrt(np.maximum(2 - 2 * (U[[0, 1, 2]] @ U[[2, 5]].T).max(axis=1), 0))
    assert np.allclose(d, want, atol=1e-6) and d[2] == pytest.approx(0, abs=1e-6)
    assert np.isnan(pool.distance_to_labeled([0], [])).all()


def test_user_embeddings_win(text):
    _, X, _ = text
    mine = np.random.default_rng(0).normal(size=(X.shape[0], 7))
    pool = make_pool(X, embeddings=mine)
    assert pool.embedding.shape == (X.shape[0], 7)
    with pytest.raises(ValueError, match="one row per pool item"):
        make_pool(X, embeddings=mine[:5])


def test_sparse_input_is_checked():
    bad = sp.csr_matrix(np.array([[0.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="NaN or infinity .*row 0, column 1"):
        make_pool(bad)
    with pytest.raises(ValueError, match="no columns"):
        make_pool(sp.csr_matrix((3, 0)))
    with pytest.raises(ValueError, match="client"):
        make_pool(sp.csr_matrix(np.eye(3)), client=object())


# ---------------------------------------------------------------- hashes
def test_row_hash_is_stable_across_formats_zeros_and_dtypes():
    rng = np.random.default_rng(0)
    D = rng.random((30, 12)) * (rng.random((30, 12)) < 0.3)
    D[4] = 0.0                                   # an empty row
    D[5, 2] = -0.0
    base = sparse_row_hashes(sp.csr_matrix(D))
    assert sparse_row_hashes(sp.csc_matrix(D)) == base
    assert sparse_row_hashes(sp.coo_matrix(D)) == base
    assert sparse_row_hashes(sp.csr_matrix(D.astype(np.float32)).astype(np.float64)) == \
        sparse_row_hashes(sp.csr_matrix(D.astype(np.float32).astype(np.float64)))
    with_zeros = sp.csr_matrix(D)
    with_zeros.data[with_zeros.data > 0.9] = 0.0        # explicit zeros kept in the structure
    assert sparse_row_hashes(with_zeros) == sparse_row_hashes(sp.csr_matrix(with_zeros.toarray()))
    dup = sp.coo_matrix((np.array([0.25, 0.25]), (np.array([0, 0]), np.array([3, 3]))), shape=(1, 12))
    assert sparse_row_hashes(dup) == sparse_row_hashes(sp.csr_matrix(([0.5], ([0], [3])), shape=(1, 12)))
    assert len(set(base)) == len({tuple(r) for r in D})   # equal rows hash equally, different rows differently
    # a sparse row's hash is its own definition (a dense copy would cost n_features per row)
    assert base[0] != row_hashes(D[:1])[0]
    # the width is part of the content
    assert sparse_row_hashes(sp.csr_matrix(D[:, :11]))[4] != base[4]


def test_pool_hashes_and_digest(text):
    _, X, _ = text
    a, b = make_pool(X), make_pool(X.tocsc())
    assert a.hashes([0, 5]) == b.hashes([0, 5]) == a.all_hashes()[0:6:5]
    assert (a.digest() == b.digest()).all()
    order = np.random.default_rng(1).permutation(X.shape[0])
    shuffled = make_pool(X[order])
    d, s = a.digest(), shuffled.digest()
    assert (d[2:] == s[2:]).all() and not (d[:2] == s[:2]).all()   # same set, other order


# ---------------------------------------------------------------- the loop on a sparse pool
@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_on_a_sparse_pool(text, strategy, no_densify):
    _, X, y = text
    learner = ActiveLearner(model(), X, strategy=strategy, batch_size=8, random_state=0)
    learner.teach(seeded(y), y[seeded(y)])
    learner.fit()
    for _ in range(2):
        batch = learner.query()
        assert batch.indices.size == 8 and not np.isin(batch.indices, learner.labeled_indices).any()
        learner.teach(batch.indices, y[batch.indices])
        learner.fit()
    assert sp.issparse(learner.X)
    assert learner.predict_proba().shape == (X.shape[0], 3)
    assert not no_densify


@pytest.mark.parametrize("cold_start", ["random", "typiclust", "pretrained", "expert"])
def test_cold_starts_on_a_sparse_pool(text, cold_start, no_densify):
    _, X, y = text
    if cold_start == "pretrained":
        cs = model().fit(X[::3], y[::3])
    elif cold_start == "expert":
        cs = seeded(y)
    else:
        cs = cold_start
    learner = ActiveLearner(model(), X, cold_start=cs, batch_size=9, random_state=0)
    batch = learner.query()
    assert batch.indices.size == 9 and np.unique(batch.indices).size == 9
    if cold_start == "expert":
        assert set(batch.indices[:6]) == set(seeded(y))
    assert not no_densify


def test_the_defaults_on_a_sparse_pool(text, no_densify):
    """ActiveLearner(model, X) on a TF-IDF pool: the TypiClust cold start on the SVD embedding, then "auto"'s margin
    spread by k-means, with the rule and its reason in history; never densified."""
    _, X, y = text
    learner = ActiveLearner(model(), X, batch_size=10, random_state=0)
    rules = []
    for _ in range(3):
        batch = learner.query()
        rules.append(batch.rule)
        assert batch.indices.size == 10 and not np.isin(batch.indices, learner.labeled_indices).any()
        learner.teach(batch.indices, y[batch.indices])
        learner.fit()
    assert rules == ["typiclust", "margin_kmeans", "margin_kmeans"]
    assert learner.history["rule"].tolist() == rules and learner.history["strategy"].eq("auto").all()
    assert all(r for r in learner.history["reason"])
    assert not no_densify


def test_simulate_and_compare_on_a_sparse_pool(text, no_densify):
    _, X, y = text
    r = simulate(model(), X, y, "combined", initial=12, batch_size=12, budget=48, random_state=0)
    assert r.n_labels.tolist() == [12, 24, 36, 48] and np.isfinite(r.scores).all()
    curves = compare(model(), X, y, ["random", "k_center"], seeds=1, initial=12, batch_size=12, budget=36,
                     progress=False)
    assert set(curves.strategy) == {"random", "k_center"}
    assert not no_densify


def test_sparse_holdout(text):
    _, X, y = text
    even = np.arange(X.shape[0]) % 2 == 0
    Xp, yp = X[even], y[even]
    learner = ActiveLearner(model(), Xp, holdout=(X[~even], y[~even]), random_state=0)
    learner.teach(seeded(yp), yp[seeded(yp)])
    assert learner.fit().score_source == "holdout"
    assert learner.predict_proba(X[~even][:10]).shape == (10, 3)


# ---------------------------------------------------------------- store and queue
def test_store_fingerprint_on_a_sparse_pool(text, tmp_path):
    _, X, y = text
    path = str(tmp_path / "labels.db")
    learner = ActiveLearner(model(), X, store=path, random_state=0)
    learner.teach(seeded(y), y[seeded(y)])
    learner.fit()
    again = ActiveLearner(model(), X.tocsc(), store=path, random_state=0)   # same matrix, another format
    assert again.n_labeled == 6 and again.model_ is not None
    with pytest.raises(StoreError, match="sparse pool"):                      # no dense copy is kept
        LabelStore(path).load_pool()
    order = np.arange(X.shape[0])[::-1]
    with pytest.raises(PoolMismatchError):
        ActiveLearner(model(), X[order], store=path)
    with pytest.raises(PoolMismatchError):
        LabelStore(path, verify_pool="full").bind_pool(X[order])


def test_queue_on_a_sparse_pool(text, tmp_path):
    _, X, y = text
    path = str(tmp_path / "labels.db")
    learner = ActiveLearner(model(), X, store=path, batch_size=6, random_state=0, cold_start=seeded(y))
    q = AnnotationQueue(path)
    assert q.put(learner.query().indices) == 6
    for i in q.claim("ana", n=6):
        q.submit("ana", i, y[i].item())
    assert q.sync(learner) == 6
    learner.fit()
    assert learner.n_labeled == 6 and q.put(learner.query().indices) == 6


# ---------------------------------------------------------------- the CLI's --text
def test_cli_simulate_and_select_with_a_text_column(text, tmp_path, capsys):
    from activelens.__main__ import main
    from activelens.datasets import load_dataset

    texts, _, y = text
    csv = tmp_path / "docs.csv"
    pd.DataFrame({"body": texts, "topic": y}).to_csv(csv, index=False)
    X, labels = load_dataset(str(csv), "topic", text="body")
    assert sp.issparse(X) and X.shape[0] == len(texts) and (labels == y).all()
    with pytest.raises(ValueError, match="text column 'nope'"):
        load_dataset(str(csv), "topic", text="nope")
    assert main(["simulate", "--dataset", str(csv), "--target", "topic", "--text", "body", "--strategies",
                 "margin", "--seeds", "1", "--budget", "40", "--initial", "10", "--quiet"]) == 0
    assert "pool=" in capsys.readouterr().out
    # the headless select on a store made for the TF-IDF pool of the same file
    store = str(tmp_path / "s.db")
    learner = ActiveLearner(model(), X, store=store, random_state=0)
    learner.teach(seeded(y), y[seeded(y)])
    learner.fit()
    assert main(["select", "--store", store, "--pool", str(csv), "--text", "body", "--n", "5"]) == 0
    assert AnnotationQueue(store).queued_indices().size == 5


# ---------------------------------------------------------------- the Explorer
def test_explorer_on_a_sparse_pool_maps_the_embedding(text, no_densify):
    texts, X, y = text
    learner = ActiveLearner(model(), X, batch_size=5, classes=["stats", "signal", "linalg"], cold_start=seeded(y),
                            random_state=0)
    w = Explorer(learner, items=texts, projection="pca")
    xy = np.frombuffer(w.coords, dtype=np.float32)
    assert w.n_points == X.shape[0] and xy.size == 2 * X.shape[0] and np.isfinite(xy).all()
    names = ["stats", "signal", "linalg"]
    first = list(w.batch_indices)
    assert w.batch[0]["item"] and texts[first[0]][:20] in str(w.batch[0]["item"])   # the card shows the document
    for i in first:
        w._handle_custom_msg({"type": "label", "index": i, "label": names.index(str(y[i]))}, [])
    w._handle_custom_msg({"type": "submit"}, [])
    assert w.wait(timeout=120)
    assert learner.n_labeled == len(first) and learner.model_ is not None
    assert w.batch_indices and not set(w.batch_indices) & set(first)
    assert not no_densify
