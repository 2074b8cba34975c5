"""The small value objects that cross module boundaries: a ``Batch`` (one query's picks) and a ``Round`` (one retrain)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Batch:
    """Items chosen by one query: positions in the pool, best first, with why each was chosen."""

    indices: np.ndarray
    scores: np.ndarray
    components: dict = field(default_factory=dict)  # name -> array aligned with indices
    strategy: str = ""
    round: int = 0
    model_version: int = 0
    rule: str = ""      # the concrete rule that picked the batch ("auto" chooses one; otherwise the strategy itself)
    reason: str = ""    # why that rule, in a short sentence ("" for a named strategy)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __iter__(self):
        return iter(self.indices.tolist())

    def to_frame(self) -> pd.DataFrame:
        data = {"index": self.indices, "score": self.scores}
        data.update({k: np.asarray(v) for k, v in self.components.items()})
        return pd.DataFrame(data)


@dataclass(frozen=True)
class Round:
    """One retrain: what the model was trained on and how it scored."""

    round: int
    n_labels: int
    score: float
    score_source: str
    gain: float
    fit_seconds: float
    select_seconds: float
    batch_class_mix: dict
    strategy: str
    model_version: int
    timestamp: float
    rule: str = ""      # the rule of the last query before this retrain (what picked the newest labels)
    reason: str = ""    # why the strategy used that rule
    #: labels changed since the previous round (relabeled to another label, or taken back with ``unlabel``)
    n_changed: int = 0
    #: the learner's own random generator as the round ended (JSON of ``bit_generator.state``): what the next query
    #: draws from, kept so a learner restored from a store picks the batch the first session would have picked;
    #: "" when the caller passed their own Generator (it is theirs, and not restored)
    rng_state: str = field(default="", repr=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Round":
        """A Round from its ``__dict__`` as saved; fields added since the record was written take their defaults."""
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class LabelRecord:
    """One label as taught, with its provenance (what a store writes)."""

    index: int
    label: object
    annotator: str | None
    timestamp: float
    seconds: float | None
    score: float | None
    strategy: str
    round: int
    model_version: int
    source: str


@dataclass(frozen=True)
class Taught:
    """Event: labels are about to be recorded (listeners run first; if one raises, nothing is recorded)."""

    records: tuple


@dataclass(frozen=True)
class Relabeled:
    """Event: labeled items are about to get other labels (``ActiveLearner.relabel``); ``records`` hold the new
    labels with their provenance. Listeners run first; if one raises, nothing changes."""

    records: tuple


@dataclass(frozen=True)
class Unlabeled:
    """Event: labeled items are about to go back to the pool (``ActiveLearner.unlabel``); each record's ``label`` is
    None. Listeners run first; if one raises, nothing changes."""

    records: tuple


@dataclass(frozen=True)
class Fitted:
    """Event: a retrain finished and its round is about to be appended."""

    round: Round


@dataclass(frozen=True)
class LearnerState:
    """A learner's state as a value (``ActiveLearner.snapshot`` / ``restore``).

    Attributes
    ----------
    labels : tuple of (int, label)
        Pool positions and their labels, in the order they were taught.
    rounds : tuple of Round
    model_version : int
    settings : dict
        JSON-able settings (strategy name, batch size, classes, random_state).
    history : tuple of LabelRecord
        Every label record ever made, in order: taught, relabeled and taken back (``label`` None, source
        "unlabel"); empty when not known.
    """

    labels: tuple
    rounds: tuple
    model_version: int = 0
    settings: dict = field(default_factory=dict)
    history: tuple = ()


def supersession(positions, timestamps, sources) -> tuple[list, list]:
    """What superseded each record of a label history: the time and source of the next record of the same item.

    Parameters
    ----------
    positions : sequence of int
        Each record's pool position, records in the order they were made.
    timestamps : sequence of float
        Each record's time (seconds since the epoch).
    sources : sequence of str
        Each record's source ("teach", "relabel", "unlabel", ...).

    Returns
    -------
    superseded_at : list of float or None
        The next record's time for the same item; None for an item's last record.
    superseded_by : list of str or None
        The next record's source; None for an item's last record.
    """
    at: list = [None] * len(positions)
    by: list = [None] * len(positions)
    later: dict = {}
    for k in range(len(positions) - 1, -1, -1):
        p = int(positions[k])
        if p in later:
            at[k], by[k] = timestamps[later[p]], sources[later[p]]
        later[p] = k
    return at, by
