"""Monitoring: annotation quality (gold accuracy, Cohen's / Fleiss' kappa, labels per hour, disagreements, resolution)
and the seed's four monitors — selection distribution, annotation quality, improvement per batch, cost per accuracy point.

Every function takes plain DataFrames (``LabelStore.annotations()``, ``LabelStore.labels()``, ``learner.history``) so it
works on exports too; ``report(learner)`` puts it together as plotly figures and one DataFrame per round.
"""
from __future__ import annotations

import itertools
from typing import Any
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from activelens.core.validation import check_scalar
from activelens.storage.codec import dump_label
from activelens.storage.resolution import RESOLUTIONS, gold_weights, resolve_votes
from activelens.storage.store import ANNOTATION_COLUMNS

__all__ = ["cohen_kappa", "fleiss_kappa", "gold_accuracy", "agreement", "labels_per_hour", "disagreements",
           "annotator_table", "resolve", "selection_distribution", "improvement_per_batch", "cost_per_point",
           "report", "Report", "annotations_of"]


def _key(v):
    """A label's comparison key (its JSON text: 1 and "1" differ, 1 and 1.0 do not)."""
    return dump_label(v)


# ----- agreement statistics -----
def cohen_kappa(a, b) -> float:
    """Cohen's kappa of two annotators' labels on the same items.

    Parameters
    ----------
    a, b : sequence of length n
        The two annotators' labels, item by item.

    Returns
    -------
    float
        NaN with no items (or when chance agreement is certain but the labels differ).
    """
    a, b = [_key(v) for v in a], [_key(v) for v in b]
    if len(a) != len(b):
        raise ValueError(f"a and b must label the same items: got {len(a)} and {len(b)} labels")
    n = len(a)
    if n == 0:
        return float("nan")
    po = sum(x == y for x, y in zip(a, b)) / n
    cats = set(a) | set(b)
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    if np.isclose(pe, 1.0):
        return 1.0 if np.isclose(po, 1.0) else float("nan")
    return float((po - pe) / (1 - pe))


def fleiss_kappa(counts) -> float:
    """Fleiss' kappa from a table of how many raters put each item in each category.

    Parameters
    ----------
    counts : array-like of shape (n_items, n_categories)
        Every item must have the same number of raters (>= 2).

    Returns
    -------
    float
    """
    t = np.asarray(counts, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] == 0:
        raise ValueError(f"counts must be a non-empty (items, categories) table, got shape {t.shape}")
    m = t.sum(axis=1)
    if not np.allclose(m, m[0]) or m[0] < 2:
        raise ValueError("every item needs the same number of raters, at least 2; "
                         f"got between {int(m.min())} and {int(m.max())}")
    m = m[0]
    p_i = ((t * t).sum(axis=1) - m) / (m * (m - 1))
    p_bar = p_i.mean()
    p_j = t.sum(axis=0) / t.sum()
    pe = float((p_j ** 2).sum())
    if np.isclose(pe, 1.0):
        return 1.0 if np.isclose(p_bar, 1.0) else float("nan")
    return float((p_bar - pe) / (1 - pe))


def _work(ann: pd.DataFrame) -> pd.DataFrame:
    """Non-gold annotations."""
    return ann[~ann["gold"].astype(bool)] if len(ann) else ann


def agreement(ann: pd.DataFrame) -> dict:
    """Inter-annotator agreement on items labeled by several annotators.

    Two annotators: Cohen's kappa on their shared items. More: Fleiss' kappa on the items with the most common number
    of annotators (>= 2).

    Parameters
    ----------
    ann : DataFrame
        Annotations (``LabelStore.annotations()``); gold items are left out.

    Returns
    -------
    dict
        ``method`` ("cohen", "fleiss" or None), ``kappa`` (float), ``n_items`` (int), ``n_annotators`` (int).
    """
    work = _work(ann)
    multi = work.groupby("index").filter(lambda g: g["annotator"].nunique() >= 2) if len(work) else work
    names = sorted(multi["annotator"].unique()) if len(multi) else []
    if len(names) < 2:
        return {"method": None, "kappa": float("nan"), "n_items": 0, "n_annotators": len(names)}
    if len(names) == 2:
        piv = multi.pivot_table(index="index", columns="annotator", values="label", aggfunc="first").dropna()
        return {"method": "cohen", "kappa": cohen_kappa(piv[names[0]], piv[names[1]]), "n_items": int(len(piv)),
                "n_annotators": 2}
    sizes = multi.groupby("index")["annotator"].nunique()
    m = int(sizes.mode().max())
    items = sizes.index[sizes == m]
    sub = multi[multi["index"].isin(items)].copy()
    sub["k"] = sub["label"].map(_key)
    table = pd.crosstab(sub["index"], sub["k"])
    return {"method": "fleiss", "kappa": fleiss_kappa(table.to_numpy()), "n_items": int(len(items)),
            "n_annotators": len(names)}


def _pairwise_kappa(work: pd.DataFrame) -> dict:
    """Per annotator: mean Cohen's kappa with each other annotator over their shared items (>= 2 shared)."""
    if not len(work):
        return {}
    piv = work.pivot_table(index="index", columns="annotator", values="label", aggfunc="first")
    out: dict[Any, list[float]] = {name: [] for name in piv.columns}
    for a, b in itertools.combinations(piv.columns, 2):
        both = piv[[a, b]].dropna()
        if len(both) >= 2:
            k = cohen_kappa(both[a], both[b])
            if np.isfinite(k):
                out[a].append(k)
                out[b].append(k)
    return {k: (float(np.mean(v)) if v else float("nan")) for k, v in out.items()}


def gold_accuracy(ann: pd.DataFrame) -> pd.DataFrame:
    """Per annotator: gold items answered, how many right, accuracy.

    Parameters
    ----------
    ann : DataFrame
        Annotations (``LabelStore.annotations()``).

    Returns
    -------
    DataFrame
        Indexed by annotator: gold_n, gold_correct, gold_accuracy.
    """
    gold = ann[ann["gold"].astype(bool)] if len(ann) else ann
    rows = []
    for name, g in gold.groupby("annotator") if len(gold) else []:
        correct = int(sum(_key(a) == _key(b) for a, b in zip(g["label"], g["gold_label"])))
        rows.append({"annotator": name, "gold_n": len(g), "gold_correct": correct, "gold_accuracy": correct / len(g)})
    return pd.DataFrame(rows, columns=["annotator", "gold_n", "gold_correct", "gold_accuracy"]).set_index("annotator")


def labels_per_hour(ann: pd.DataFrame) -> pd.Series:
    """Per annotator: labels per hour of measured work (``seconds``) where recorded, else over the span of timestamps.

    Parameters
    ----------
    ann : DataFrame
        Annotations (index, annotator, timestamp, seconds).

    Returns
    -------
    Series of float
        Named ``labels_per_hour``, indexed by annotator (NaN where it cannot be told).
    """
    out = {}
    for name, g in ann.groupby("annotator") if len(ann) else []:
        secs = pd.to_numeric(g["seconds"], errors="coerce")
        if secs.notna().sum() >= max(1, len(g) // 2) and secs.sum() > 0:
            out[name] = secs.notna().sum() / (secs.sum() / 3600.0)
        else:
            span = float(g["timestamp"].max() - g["timestamp"].min())
            out[name] = (len(g) - 1) / (span / 3600.0) if span > 0 and len(g) > 1 else float("nan")
    return pd.Series(out, name="labels_per_hour", dtype=float)


def disagreements(ann: pd.DataFrame) -> pd.DataFrame:
    """Items whose annotators disagree (gold items left out).

    Parameters
    ----------
    ann : DataFrame
        Annotations (``LabelStore.annotations()``).

    Returns
    -------
    DataFrame
        index, annotators, labels (in submission order), n_distinct.
    """
    work = _work(ann)
    rows = []
    for idx, g in work.groupby("index", sort=True) if len(work) else []:
        keys = [_key(v) for v in g["label"]]
        if len(set(keys)) > 1:
            # pandas-stubs type a groupby key as any Scalar; "index" holds pool positions (ints)
            rows.append({"index": int(idx),  # type: ignore[arg-type]
                         "annotators": list(g["annotator"]), "labels": list(g["label"]), "n_distinct": len(set(keys))})
    return pd.DataFrame(rows, columns=["index", "annotators", "labels", "n_distinct"])


def resolve(ann: pd.DataFrame, method: str = "majority") -> pd.DataFrame:
    """One label per annotated item.

    Parameters
    ----------
    ann : DataFrame
        Annotations (``LabelStore.annotations()``).
    method : {"majority", "gold_weighted"}, default="majority"
        ``majority`` (ties to the more gold-accurate side, then the earliest) or ``gold_weighted`` (votes weighted by
        each annotator's smoothed gold accuracy); see ``activelens.storage.resolution``.

    Returns
    -------
    DataFrame
        index, label, n_votes, unanimous.
    """
    if method not in RESOLUTIONS:
        raise ValueError(f"method must be one of {RESOLUTIONS}, got {method!r}")
    weights = gold_weights(ann) if len(ann) else {}
    work = _work(ann)
    rows = []
    for idx, g in work.groupby("index", sort=True) if len(work) else []:
        votes = list(zip(g["annotator"], g["label"]))
        # pandas-stubs type a groupby key as any Scalar; "index" holds pool positions (ints)
        rows.append({"index": int(idx),  # type: ignore[arg-type]
                     "label": resolve_votes(votes, weights, method), "n_votes": len(votes),
                     "unanimous": len({_key(v) for _, v in votes}) == 1})
    return pd.DataFrame(rows, columns=["index", "label", "n_votes", "unanimous"])


def annotator_table(ann: pd.DataFrame) -> pd.DataFrame:
    """Per annotator: labels, gold accuracy, mean kappa with the others, labels per hour, median seconds per label.

    Parameters
    ----------
    ann : DataFrame
        Annotations (``LabelStore.annotations()``).

    Returns
    -------
    DataFrame
        Indexed by annotator: n_labels, gold_n, gold_accuracy, kappa_with_others, labels_per_hour, median_seconds.
    """
    cols = ["n_labels", "gold_n", "gold_accuracy", "kappa_with_others", "labels_per_hour", "median_seconds"]
    if not len(ann):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="annotator"))
    names = sorted(ann["annotator"].dropna().unique(), key=str)
    gold = gold_accuracy(ann)
    kap = _pairwise_kappa(_work(ann))
    lph = labels_per_hour(ann)
    rows = []
    for name in names:
        g = ann[ann["annotator"] == name]
        secs = pd.to_numeric(g["seconds"], errors="coerce")
        rows.append({"annotator": name, "n_labels": len(g),
                     "gold_n": int(gold["gold_n"].get(name, 0)), "gold_accuracy": gold["gold_accuracy"].get(name, np.nan),
                     "kappa_with_others": kap.get(name, np.nan), "labels_per_hour": lph.get(name, np.nan),
                     "median_seconds": float(secs.median()) if secs.notna().any() else np.nan})
    return pd.DataFrame(rows).set_index("annotator")[cols]


# ----- the seed's monitors -----
def selection_distribution(learner, grid: int = 10) -> tuple[pd.DataFrame, float]:
    """Predicted classes of the selected (labeled) items vs the pool, and how much of the map the selections cover.

    Coverage: the pool's 2-D map (first two principal axes of the diversity embedding) is cut into ``grid`` × ``grid``
    cells; coverage is the share of cells holding pool items that also hold a selected item.

    Parameters
    ----------
    learner : ActiveLearner
        Used through ``labeled_indices``, ``model_``, ``predict``, ``labels`` and ``embedding``.
    grid : int, default=10

    Returns
    -------
    frame : DataFrame
        class, selected (share), pool (predicted share; NaN before a model).
    coverage : float
        In [0, 1].
    """
    grid = check_scalar(grid, "grid", int, low=1, what="map cells per side")
    sel = learner.labeled_indices
    if learner.model_ is not None:
        pred = np.asarray(learner.predict())
        pool_c = pd.Series(pred).map(str).value_counts(normalize=True)
        sel_c = pd.Series(pred[sel]).map(str).value_counts(normalize=True) if sel.size else pd.Series(dtype=float)
    else:
        pool_c = pd.Series(dtype=float)
        sel_c = pd.Series(learner.labels).map(str).value_counts(normalize=True) if sel.size else pd.Series(dtype=float)
    classes = sorted(set(pool_c.index) | set(sel_c.index))
    frame = pd.DataFrame({"class": classes, "selected": [float(sel_c.get(c, 0.0)) for c in classes],
                          "pool": [float(pool_c.get(c, np.nan)) if len(pool_c) else np.nan for c in classes]})
    xy = _map2d(learner)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    cells = np.minimum(((xy - lo) / span * grid).astype(int), grid - 1)
    cell_id = cells[:, 0] * grid + cells[:, 1]
    occupied = np.unique(cell_id)
    covered = np.unique(cell_id[sel]) if sel.size else np.empty(0)
    return frame, float(covered.size / occupied.size)


def _map2d(learner) -> np.ndarray:
    emb = np.asarray(learner.embedding, dtype=np.float64)
    if emb.shape[1] == 1:
        return np.column_stack([emb[:, 0], np.zeros(emb.shape[0])])
    centered = emb - emb.mean(axis=0)
    # top-2 principal axes via SVD of a sample (cheap for big pools)
    rng = np.random.default_rng(0)
    sample = centered[rng.choice(emb.shape[0], size=min(emb.shape[0], 5000), replace=False)]
    _, _, vt = np.linalg.svd(sample, full_matrices=False)
    return centered @ vt[:2].T


def improvement_per_batch(history: pd.DataFrame) -> pd.DataFrame:
    """Per round: labels added, score, gain over the previous round, and gain per label added.

    Parameters
    ----------
    history : DataFrame
        ``learner.history`` (round, n_labels, score).

    Returns
    -------
    DataFrame
        round, n_labels, batch, score, gain, gain_per_label.
    """
    h = history
    if not len(h):
        return pd.DataFrame(columns=["round", "n_labels", "batch", "score", "gain", "gain_per_label"])
    batch = h["n_labels"].diff().fillna(h["n_labels"]).astype(int)
    gain = h["score"].diff()
    return pd.DataFrame({"round": h["round"].to_numpy(), "n_labels": h["n_labels"].to_numpy(), "batch": batch.to_numpy(),
                         "score": h["score"].to_numpy(), "gain": gain.to_numpy(),
                         # pandas-stubs type Series[int].replace's value as int; NaN makes it float at run time
                         "gain_per_label": (gain / batch.replace(0, np.nan)).to_numpy()})  # type: ignore[arg-type]


def cost_per_point(history: pd.DataFrame, labels: pd.DataFrame | None = None, *, cost_per_label: float | None = None,
                   rate_per_hour: float | None = None) -> pd.DataFrame:
    """Per round: cumulative labeling cost and the cost per accuracy point gained since the first scored round.

    Parameters
    ----------
    history : DataFrame
        ``learner.history`` (round, n_labels, score).
    labels : DataFrame, optional
        ``LabelStore.labels()`` (its ``seconds``), needed with ``rate_per_hour``.
    cost_per_label : float, optional
        A fixed cost per label.
    rate_per_hour : float, optional
        Cost of an hour's work: each label costs its measured ``seconds`` × rate / 3600 (labels with no measured time
        cost the median measured time). Without either option, cost is counted in labels.

    Returns
    -------
    DataFrame
        round, n_labels, score, cost, points_gained, cost_per_point, unit.
    """
    if cost_per_label is not None and rate_per_hour is not None:
        raise ValueError("give cost_per_label or rate_per_hour, not both")
    check_scalar(cost_per_label, "cost_per_label", float, low=0, include_low=False, allow_none=True)
    check_scalar(rate_per_hour, "rate_per_hour", float, low=0, include_low=False, allow_none=True)
    cols = ["round", "n_labels", "score", "cost", "points_gained", "cost_per_point", "unit"]
    if not len(history):
        return pd.DataFrame(columns=cols)
    n = history["n_labels"].to_numpy()
    if rate_per_hour is not None:
        if labels is None or not len(labels) or pd.to_numeric(labels["seconds"], errors="coerce").notna().sum() == 0:
            raise ValueError("rate_per_hour needs measured seconds per label (teach(..., seconds=)); "
                             "give cost_per_label instead")
        secs = pd.to_numeric(labels["seconds"], errors="coerce")
        filled = secs.fillna(secs.median()).to_numpy()
        per = filled * float(rate_per_hour) / 3600.0
        cum = np.concatenate([[0.0], np.cumsum(per)])
        cost = cum[np.minimum(n, len(per))]
        unit = "money (seconds × rate)"
    elif cost_per_label is not None:
        cost = n * float(cost_per_label)
        unit = "money (per label)"
    else:
        cost = n.astype(float)
        unit = "labels"
    score = history["score"].to_numpy(dtype=float)
    finite = np.flatnonzero(np.isfinite(score))
    points = np.full(score.shape, np.nan)
    cpp = np.full(score.shape, np.nan)
    if finite.size:
        first = finite[0]
        points = (score - score[first]) * 100.0
        spent = cost - cost[first]
        with np.errstate(divide="ignore", invalid="ignore"):
            cpp = np.where(points > 0, spent / points, np.nan)
    return pd.DataFrame({"round": history["round"].to_numpy(), "n_labels": n, "score": score, "cost": cost,
                         "points_gained": points, "cost_per_point": cpp, "unit": unit})


@dataclass(frozen=True)
class Report:
    """What ``report`` returns; ``figures, frame = report(learner)`` unpacks the two most used.

    Attributes
    ----------
    frame : DataFrame
        One row per round: score, gain, cost, cost per point.
    annotators : DataFrame
        Quality per annotator (``annotator_table``).
    selection : DataFrame
        Predicted class shares, selected vs pool.
    coverage : float
        Share of the map the selections reach.
    agreement : dict
        Kappa summary (``agreement``).
    disagreements : DataFrame
        Items annotators disagree on.
    figures : dict of str to plotly.graph_objects.Figure
        By name: selection, quality, improvement, cost.
    """

    frame: pd.DataFrame
    annotators: pd.DataFrame
    selection: pd.DataFrame
    coverage: float
    agreement: dict
    disagreements: pd.DataFrame
    figures: dict = field(default_factory=dict)

    def __iter__(self):  # figures, frame = learner.report()
        return iter((self.figures, self.frame))

    def show(self):
        for fig in self.figures.values():
            fig.show()


def annotations_of(learner) -> pd.DataFrame:
    """Queue annotations if the learner's store has any; else its labels as one annotator's work.

    Parameters
    ----------
    learner : ActiveLearner
        Used through ``store``, ``labeled_indices`` and ``labels``.

    Returns
    -------
    DataFrame
        Columns as ``LabelStore.annotations()``.
    """
    st = getattr(learner, "store", None)
    if st is not None:
        ann = st.annotations()
        if len(ann):
            return ann
        lab = st.labels()
        return pd.DataFrame({"index": lab["index"], "annotator": lab["annotator"].fillna("(unnamed)"),
                             "label": lab["label"], "timestamp": lab["timestamp"], "seconds": lab["seconds"],
                             "gold": False, "gold_label": None}, columns=ANNOTATION_COLUMNS)
    return pd.DataFrame({"index": learner.labeled_indices, "annotator": "(unnamed)", "label": list(learner.labels),
                         "timestamp": np.nan, "seconds": np.nan, "gold": False, "gold_label": None},
                        columns=ANNOTATION_COLUMNS)


def report(learner, *, cost_per_label: float | None = None, rate_per_hour: float | None = None, grid: int = 10) -> Report:
    """The four monitors for ``learner`` as plotly figures and DataFrames.

    Parameters
    ----------
    learner : ActiveLearner
        Used through public API only (``history``, ``store``, ``labeled_indices``, ``labels``, ``predict``,
        ``embedding``).
    cost_per_label, rate_per_hour : float, optional
        How labels cost (see ``cost_per_point``).
    grid : int, default=10
        The map's cells per side for the selection coverage.

    Returns
    -------
    Report
    """
    history = learner.history
    labels = learner.store.labels() if getattr(learner, "store", None) is not None else None
    ann = annotations_of(learner)
    imp = improvement_per_batch(history)
    cost = cost_per_point(history, labels, cost_per_label=cost_per_label, rate_per_hour=rate_per_hour)
    frame = imp.merge(cost[["round", "cost", "points_gained", "cost_per_point"]], on="round", how="left") \
        if len(imp) else imp.assign(cost=[], points_gained=[], cost_per_point=[])
    sel, coverage = selection_distribution(learner, grid=grid)
    annotators = annotator_table(ann)
    agr = agreement(ann)
    return Report(frame=frame, annotators=annotators, selection=sel, coverage=coverage, agreement=agr,
                  disagreements=disagreements(ann), figures=_figures(sel, coverage, annotators, agr, imp, cost))


def _figures(sel, coverage: float, annotators, agr: dict, imp, cost) -> dict:
    """The report's four plotly figures: selection distribution, annotation quality, improvement, cost."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figs = {}
    f = go.Figure()
    f.add_bar(x=sel["class"], y=sel["pool"], name="pool (predicted)")
    f.add_bar(x=sel["class"], y=sel["selected"], name="selected")
    f.update_layout(title=f"Selection distribution — selections cover {coverage:.0%} of the map", barmode="group",
                    xaxis_title="class", yaxis_title="share", template="plotly_white")
    figs["selection"] = f

    f = make_subplots(rows=1, cols=2, subplot_titles=("accuracy on gold", "labels per hour"))
    names = [str(a) for a in annotators.index]
    f.add_bar(x=names, y=annotators["gold_accuracy"], name="gold accuracy", row=1, col=1)
    f.add_bar(x=names, y=annotators["labels_per_hour"], name="labels / hour", row=1, col=2)
    title = (f"Annotation quality — {agr['method']} kappa {agr['kappa']:.2f} on {agr['n_items']} shared items"
             if agr["method"] else "Annotation quality — no items with several annotators yet")
    f.update_layout(title=title, showlegend=False, template="plotly_white")
    figs["quality"] = f

    f = make_subplots(specs=[[{"secondary_y": True}]])
    f.add_scatter(x=imp["n_labels"], y=imp["score"], mode="lines+markers", name="score")
    f.add_bar(x=imp["n_labels"], y=imp["gain"], name="gain per batch", opacity=0.5, secondary_y=True)
    f.update_layout(title="Model improvement per batch", xaxis_title="labels", template="plotly_white")
    figs["improvement"] = f

    f = go.Figure()
    f.add_scatter(x=cost["n_labels"], y=cost["cost_per_point"], mode="lines+markers", name="cost per point")
    unit = cost["unit"].iloc[0] if len(cost) else "labels"
    f.update_layout(title=f"Cost per accuracy point ({unit})", xaxis_title="labels",
                    yaxis_title="cost per point gained since the first round", template="plotly_white")
    figs["cost"] = f
    return figs
