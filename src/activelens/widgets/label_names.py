"""The names on the label buttons and the learner's classes they stand for.

The page speaks positions in ``label_names`` (0..k-1, -1 = skip); the learner speaks classes. ``LabelNames`` is the
one place that maps between them: validated once, at construction, from what the user passed and what the learner
declares or already holds.
"""
from __future__ import annotations

import numpy as np


#: keys the batch uses for other things (Space skips); never a label's key
RESERVED_KEYS = (" ",)
#: the keys given, in this order, to labels whose name is not a single character
NUMBER_KEYS = tuple("1234567890")


def label_keys(names: list[str]) -> list[str | None]:
    """The keyboard key of each label, the same on every card.

    A name that is a single character is labeled by that very key ("2" by the key 2, "a" by a); the others get
    1-9 then 0 in the order of ``names``, skipping keys already taken. None for a label left without a key (more
    than ten such labels).

    Parameters
    ----------
    names : list of str
        The button names, in class order.

    Returns
    -------
    list of str or None, length ``len(names)``
    """
    keys: list[str | None] = [n if len(n) == 1 and n not in RESERVED_KEYS else None for n in names]
    taken = {k for k in keys if k is not None}
    free = [k for k in NUMBER_KEYS if k not in taken]
    for j, k in enumerate(keys):
        if k is None and free:
            keys[j] = free.pop(0)
    return keys


def _sorted_unique(values: list) -> np.ndarray:
    """Sorted unique class values (mixed types sorted by their text); NaN and None refused."""
    uniq = list(dict.fromkeys(v.item() if hasattr(v, "item") else v for v in values))
    if any(v is None or (isinstance(v, float) and v != v) for v in uniq):
        raise ValueError("oracle contains None or NaN; give the true class of every pool item")
    try:
        uniq.sort()
    except TypeError:
        uniq.sort(key=str)
    return np.asarray(uniq, dtype=object) if len({type(v) for v in uniq}) > 1 else np.asarray(uniq)


class LabelNames:
    """Class values and the button name of each, in button order.

    Parameters
    ----------
    classes : ndarray of shape (k,)
        The learner's classes, in button order.
    names : list of str, length k
        The text on each button.

    Use :meth:`resolve` to build one from an ``Explorer``'s ``labels=`` argument.
    """

    def __init__(self, classes: np.ndarray, names: list[str]):
        self.classes = classes
        self.names = names
        self._position = {c: i for i, c in enumerate(classes.tolist())}
        self.keys = label_keys(names)

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def resolve(cls, learner, labels, oracle=None) -> LabelNames:
        """The classes and names for ``labels`` (None, a list of unique strings, or a dict {class: name}).

        Without ``labels``: the learner's declared classes, else the classes already taught, else (teaching mode)
        the oracle's classes (its sorted unique values, shown as their strings). A list maps to the declared classes
        in order; without them to the taught classes (when they are the names, or 0..k-1), else to 0..k-1. Raises
        TypeError or ValueError naming ``labels`` and the fix."""
        declared = learner.declared_classes
        taught = learner.classes_ if learner.n_labeled else None
        if labels is None:
            if declared is not None:
                classes = np.asarray(declared)
            elif taught is not None and taught.size:
                classes = np.asarray(taught)
                if oracle is not None:   # the oracle may know classes not taught yet
                    classes = _sorted_unique(list(classes.tolist()) + list(np.asarray(oracle).tolist()))
            elif oracle is not None:
                classes = _sorted_unique(np.asarray(oracle).tolist())
            else:
                raise ValueError("labels: give the class names to show on the buttons (labels=[...]), or declare "
                                 "classes= on the ActiveLearner")
            return cls(classes, [str(c) for c in classes.tolist()])
        if isinstance(labels, dict):
            keys, names = list(labels.keys()), list(labels.values())
        else:
            if isinstance(labels, str) or not hasattr(labels, "__iter__"):
                raise TypeError(f"labels must be a list of class names (strings) or a dict {{class: name}}, got {labels!r}")
            keys, names = None, list(labels)
        bad = [v for v in names if not isinstance(v, str)]
        if bad:
            raise TypeError(f"labels must be strings; {bad[0]!r} is a {type(bad[0]).__name__}")
        if len(names) < 1:
            raise ValueError("labels is empty; give one name per class")
        if len(set(names)) != len(names):
            dup = sorted({v for v in names if names.count(v) > 1})
            raise ValueError(f"labels must be unique; {dup} appear more than once")
        if keys is not None:
            classes = np.asarray(keys)
            if declared is not None and set(classes.tolist()) != set(declared.tolist()):
                raise ValueError(f"labels: the dict's keys {keys} must be the learner's declared classes {declared.tolist()}")
        elif declared is not None:
            if len(names) != declared.size:
                raise ValueError(f"labels has {len(names)} names but the learner declares {declared.size} classes "
                                 f"{declared.tolist()}; give one name per class, in that order")
            classes = np.asarray(declared)
        elif taught is not None and taught.size:
            tl = taught.tolist()
            if all(isinstance(t, str) for t in tl) and set(tl) <= set(names):
                classes = np.asarray(names)
            elif all(isinstance(t, (int, np.integer)) for t in tl) and min(tl) >= 0 and max(tl) < len(names):
                classes = np.arange(len(names))
            else:
                raise ValueError(f"labels: the learner already has classes {tl} which do not match the names {names}; "
                                 "pass labels as a dict {class: name}")
        else:
            classes = np.arange(len(names))
        if classes.size != len(names) or len(set(classes.tolist())) != classes.size:
            raise ValueError("labels: classes must be unique, one name each")
        return cls(classes, names)

    def value(self, position: int):
        """The class (a plain Python value) of button ``position``."""
        c = self.classes[position]
        return c.item() if hasattr(c, "item") else c

    def position(self, value, default=None):
        """The button position of class ``value`` (``default`` when it has no button)."""
        return self._position.get(value, default)

    def missing(self, values) -> set:
        """The classes among ``values`` that have no button."""
        return set(values) - set(self._position)

    def positions(self, values) -> np.ndarray:
        """(m,) int button positions of the classes ``values`` (0 for a class without a button)."""
        return np.array([self._position.get(v, 0) for v in values])

    def over_names(self, raw: np.ndarray, raw_classes: np.ndarray) -> np.ndarray:
        """Probabilities over ``raw_classes`` (n, k') -> over the buttons' classes (n, k) float32, rows summing to 1
        (a row with none of the buttons' classes stays 0)."""
        p = np.zeros((raw.shape[0], len(self.classes)), dtype=np.float32)
        for j, c in enumerate(raw_classes.tolist()):
            if c in self._position:
                p[:, self._position[c]] = raw[:, j]
        s = p.sum(axis=1, keepdims=True)
        s[s == 0] = 1
        return p / s
