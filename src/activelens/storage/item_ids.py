"""Item ids in the store, so labels follow their items rather than their positions.

When the learner has ids (``ids=`` or a pandas pool's index), the store keeps every pool item's id in pool order (the
blob ``ids``) and each label's (the labels' ``item_id`` column). A store reopened against the same items in another
order is then matched by id: ``new_positions`` tells where each stored position went, and ``move_positions`` rewrites
every table's positions to the new order in one transaction. Ids are compared as ``activelens.storage.codec.dump_id``
text.
"""
from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import sqlalchemy as sa

from activelens.storage.codec import dump_id, load_label
from activelens.storage.errors import PoolMismatchError
from activelens.storage.schema import T_ANN, T_BLOBS, T_GOLD, T_HISTORY, T_LABELS, T_QUEUE, T_SERVED

__all__ = ["IDS_BLOB", "POSITION_TABLES", "encode_ids", "read_ids", "write_ids", "new_positions", "move_positions",
           "decode_ids"]

#: the blob holding every pool item's id, in pool order (a JSON list of ``dump_id`` texts)
IDS_BLOB = "ids"
#: tables whose ``idx`` column holds pool positions
POSITION_TABLES = (T_LABELS, T_HISTORY, T_QUEUE, T_GOLD, T_SERVED, T_ANN)


def encode_ids(ids) -> list[str]:
    """Every id as ``dump_id`` text, in pool order.

    Parameters
    ----------
    ids : sequence of hashable
        ``learner.ids``.

    Returns
    -------
    list of str
    """
    return [dump_id(v) for v in ids]


def decode_ids(encoded: Sequence[str] | None) -> list | None:
    """The ids ``encode_ids`` wrote, as Python values (None for None)."""
    return None if encoded is None else [load_label(t) for t in encoded]


def read_ids(conn: sa.Connection) -> list[str] | None:
    """The stored ids (``encode_ids`` texts, in the store's pool order), or None if the store has none."""
    data = conn.execute(sa.select(T_BLOBS.c.data).where(T_BLOBS.c.name == IDS_BLOB)).scalar()
    return None if data is None else json.loads(bytes(data).decode("utf-8"))


def write_ids(conn: sa.Connection, encoded: Sequence[str]) -> None:
    """Keep ``encoded`` (``encode_ids``) as the store's ids and give every stored label its item's id, inside the
    write transaction ``conn`` (and every record of the label history)."""
    conn.execute(sa.delete(T_BLOBS).where(T_BLOBS.c.name == IDS_BLOB))
    conn.execute(sa.insert(T_BLOBS), [{"name": IDS_BLOB, "data": json.dumps(list(encoded)).encode("utf-8")}])
    for table in (T_LABELS, T_HISTORY):
        labeled = conn.execute(sa.select(table.c.idx).distinct()).scalars().all()
        if labeled:
            conn.execute(sa.update(table).where(table.c.idx == sa.bindparam("b_idx"))
                         .values(item_id=sa.bindparam("b_id")),
                         [{"b_idx": int(i), "b_id": encoded[int(i)]} for i in labeled])


def new_positions(stored: Sequence[str], given: Sequence[str], where: str) -> np.ndarray | None:
    """Where each stored position is in the given pool, matched by id.

    Parameters
    ----------
    stored : sequence of str
        The store's ids (``read_ids``).
    given : sequence of str
        The learner's ids (``encode_ids``).
    where : str
        The store's name in messages.

    Returns
    -------
    ndarray of intp or None
        None when the ids are in the same order; else the new position of every stored position.

    Raises
    ------
    PoolMismatchError
        The ids are not the same set (naming an id missing from the pool, or one the store does not know).
    """
    if list(stored) == list(given):
        return None
    at = {t: k for k, t in enumerate(given)}
    missing = next((t for t in stored if t not in at), None)
    if missing is not None or len(stored) != len(given):
        extra = missing is None and next((t for t in given if t not in set(stored)), None)
        what = (f"the id {load_label(missing)!r} it holds is not in the pool" if missing is not None else
                f"the pool's id {load_label(extra)!r} is not in it" if extra else
                f"it holds {len(stored)} ids and the pool {len(given)}")
        raise PoolMismatchError(
            f"store {where!r} was made for items with other ids: {what}. Nothing was changed. Pass the pool (and ids) "
            "the labels were given for, or use a new store")
    return np.fromiter((at[t] for t in stored), dtype=np.intp, count=len(stored))


def move_positions(conn: sa.Connection, moved: np.ndarray) -> None:
    """Rewrite every position in the store (``POSITION_TABLES``) to the new order, inside the write transaction
    ``conn``: position ``p`` becomes ``moved[p]``.

    Positions are first made negative (``-1 - p``) and then set, so no row ever collides with another on the tables'
    unique positions.
    """
    for table in POSITION_TABLES:
        old = sorted({int(i) for i in conn.execute(sa.select(table.c.idx).distinct()).scalars()})
        if not old:
            continue
        conn.execute(sa.update(table).values(idx=-1 - table.c.idx))
        conn.execute(sa.update(table).where(table.c.idx == sa.bindparam("b_old")).values(idx=sa.bindparam("b_new")),
                     [{"b_old": -1 - p, "b_new": int(moved[p])} for p in old])
