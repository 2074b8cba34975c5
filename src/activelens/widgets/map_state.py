"""What the Explorer's map shows besides its points: the current model's probabilities for the drawn points, the
colour of every point, the legend, and the hover's answer (``peek``).

``MapState`` is plain Python: the Explorer renders it into ``color_values``, ``labeled_points`` and ``legend``.
The points themselves (the whole pool, or a sample of a pool whose rows live elsewhere) are ``points.py``'s.
"""
from __future__ import annotations

import numpy as np

from activelens.widgets import palette as _palette
from activelens.widgets.find import label_rounds


class MapState:
    """The map's probabilities and colours for one learner.

    Parameters
    ----------
    learner : ActiveLearner
    labels : LabelNames
        The buttons' classes: probabilities are kept over them, in their order.
    points : WholePool or SampledPool
        The drawn points (``points.make_points``).
    """

    def __init__(self, learner, labels, points):
        self.learner = learner
        self.labels = labels
        self.points = points
        self.proba = None        # (n_points, k) over the buttons' classes for the current model
        self._version = -1       # the model version ``proba`` is for

    @property
    def scored(self) -> bool:
        """There are probabilities (a model) to colour by."""
        return self.proba is not None

    def include(self, idx) -> bool:
        """Make sure these pool items are drawn (the batch, labeled items); True when the points changed (the
        caller resends them and the colours)."""
        if not self.points.include(idx):
            return False
        drawn = self.points.drawn_proba
        if drawn is not None and self.proba is not None:
            self.proba = self.labels.over_names(drawn, self.learner.proba_classes())
        return True

    def rescore(self) -> bool:
        """Draw every labeled item and recompute the probabilities for a new model; True when the points changed."""
        learner = self.learner
        moved = self.include(learner.labeled_indices)
        if learner.model_ is not None and self._version != learner.model_version:
            raw = self.points.proba(learner)
            self.proba = self.labels.over_names(raw, learner.proba_classes())
            self._version = learner.model_version
        return moved

    def probs(self, i: int):
        """(k,) probabilities of pool item ``i`` over the buttons' classes, or None before the first model."""
        return None if self.proba is None else self.proba[self.points.rows([i])[0]]

    def colours(self, color_by: str, n_points: int, palette_size: int, names, class_colours):
        """(colour buffer (n_points,) uint8, labeled point numbers (m,) uint32, legend dict) for ``color_by``."""
        learner = self.learner
        if color_by == "round":   # labeled items by the round they were labeled in, the rest grey
            positions, rounds = label_rounds(learner)
            rows = self.points.rows(positions)
            return (_palette.round_buffer(n_points, rows, rounds), np.asarray(rows, dtype=np.uint32),
                    _palette.round_legend(rounds))
        rows = self.points.rows(learner.labeled_indices)
        vals = _palette.color_buffer(color_by, self.proba, n_points, palette_size, rows,
                                     self.labels.positions(learner.labels.tolist()))
        legend = _palette.legend(color_by, self.proba is not None, names, class_colours)
        return vals, np.asarray(rows, dtype=np.uint32), legend

    def peek(self, i: int) -> dict:
        """The hover's model part for pool item ``i``: its label (when labeled; not looked up past 5000 labels),
        the predicted label, its probability and the entropy (with a model)."""
        learner, names, out = self.learner, self.labels.names, {}
        label = dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist())).get(i) \
            if learner.n_labeled < 5000 else None
        if label is not None:
            out["label"] = names[self.labels.position(label, 0)]
        p = self.probs(i)
        if p is not None:
            j = int(p.argmax())
            out.update(predicted=names[j], p=round(float(p[j]), 4),
                       entropy=round(float(_palette.uncertainty(p[None, :], "entropy")[0]), 3))
        return out
