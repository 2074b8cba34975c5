"""The label store's tables (all prefixed ``activelens_`` so a shared PostgreSQL database can hold other things):

    meta         key -> value: the schema version, the pool fingerprint, learner settings
    labels       the learner's training labels, one per pool item (the current one), with provenance and (when
                 the learner has ids) the item's id
    label_history  every label record ever made, in order: taught, relabeled, taken back (label NULL); the
                 labels table is its last record per item that was not taken back
    rounds       one row per retrain (the learner's ``history``)
    blobs        the pool and the estimator, so ``activelens select`` can run headless
    queue        items waiting for annotation, their lease and how many annotations they need
    gold         items with known labels mixed into annotators' work
    served       (item, annotator) pairs ever served: an annotator never gets an item twice
    annotations  every submitted annotation (several per item when items overlap)

The ids of every pool item, when the learner has them, are the blob ``ids`` (``activelens.storage.item_ids``).

``ensure_schema`` checks an existing database is an activelens store this version understands, creates what is
missing, and migrates an older store in place (version 1 → 2: the labels' nullable ``item_id`` column; 2 → 3: the
label history, started with a copy of every stored label).
"""
from __future__ import annotations

import time

import sqlalchemy as sa

from activelens.storage.engine import StoreEngine
from activelens.storage.errors import StoreFormatError, foreign_database_error

__all__ = ["SCHEMA_VERSION", "APP", "metadata", "TABLES", "T_META", "T_LABELS", "T_HISTORY", "T_ROUNDS", "T_BLOBS", "T_QUEUE",
           "T_GOLD", "T_SERVED", "T_ANN", "ADDED_COLUMNS", "read_meta", "ensure_schema"]

SCHEMA_VERSION = 3
#: columns added after version 1: (table, column, SQL type), added to an older store by ``ensure_schema``
ADDED_COLUMNS = (("activelens_labels", "item_id", "TEXT"),)
APP = "activelens"

metadata = sa.MetaData()
T_META = sa.Table("activelens_meta", metadata,
                  sa.Column("key", sa.String(64), primary_key=True),
                  sa.Column("value", sa.Text, nullable=False))


def _label_record_columns(*, history: bool) -> list[sa.Column]:
    """The columns of a label record (``LabelRecord`` with the item's hash and id): the current labels hold one
    per item, the history every record ever made (where a NULL label is a label taken back)."""
    return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("idx", sa.Integer, nullable=False, index=history, unique=not history),
            sa.Column("item_hash", sa.String(32), nullable=False),
            sa.Column("label", sa.Text, nullable=history),
            sa.Column("annotator", sa.Text, nullable=True),
            sa.Column("ts", sa.Float, nullable=False),
            sa.Column("seconds", sa.Float, nullable=True),
            sa.Column("round", sa.Integer, nullable=False),
            sa.Column("model_version", sa.Integer, nullable=False),
            sa.Column("strategy", sa.Text, nullable=True),
            sa.Column("score", sa.Float, nullable=True),
            sa.Column("source", sa.Text, nullable=False),
            # the item's id as JSON text (activelens.storage.codec.dump_id); NULL without ids (and in stores
            # made before version 2)
            sa.Column("item_id", sa.Text, nullable=True)]


T_LABELS = sa.Table("activelens_labels", metadata, *_label_record_columns(history=False))
T_HISTORY = sa.Table("activelens_label_history", metadata, *_label_record_columns(history=True))
T_ROUNDS = sa.Table("activelens_rounds", metadata,
                    sa.Column("round", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("data", sa.Text, nullable=False))
T_BLOBS = sa.Table("activelens_blobs", metadata,
                   sa.Column("name", sa.String(64), primary_key=True),
                   sa.Column("data", sa.LargeBinary, nullable=False))
T_QUEUE = sa.Table("activelens_queue", metadata,
                   sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column("seq", sa.Integer, nullable=False, index=True),
                   sa.Column("needed", sa.Integer, nullable=False),
                   sa.Column("n_done", sa.Integer, nullable=False, default=0),
                   sa.Column("score", sa.Float, nullable=True),
                   sa.Column("strategy", sa.Text, nullable=True),
                   sa.Column("round", sa.Integer, nullable=True),
                   sa.Column("model_version", sa.Integer, nullable=True),
                   sa.Column("added", sa.Float, nullable=False),
                   sa.Column("lease_annotator", sa.Text, nullable=True),
                   sa.Column("lease_expires", sa.Float, nullable=True))
# claims scan open items in queue order: a partial index keeps finished items out of the scan
sa.Index("activelens_queue_open", T_QUEUE.c.seq, sqlite_where=T_QUEUE.c.n_done < T_QUEUE.c.needed,
         postgresql_where=T_QUEUE.c.n_done < T_QUEUE.c.needed)
T_GOLD = sa.Table("activelens_gold", metadata,
                  sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
                  sa.Column("label", sa.Text, nullable=False),
                  sa.Column("seq", sa.Integer, nullable=False))
T_SERVED = sa.Table("activelens_served", metadata,
                    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("annotator", sa.Text, primary_key=True),
                    sa.Column("ts", sa.Float, nullable=False),
                    sa.Column("gold", sa.Integer, nullable=False))
T_ANN = sa.Table("activelens_annotations", metadata,
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("idx", sa.Integer, nullable=False),
                 sa.Column("annotator", sa.Text, nullable=False),
                 sa.Column("label", sa.Text, nullable=False),
                 sa.Column("ts", sa.Float, nullable=False),
                 sa.Column("seconds", sa.Float, nullable=True),
                 sa.Column("gold", sa.Integer, nullable=False),
                 sa.UniqueConstraint("idx", "annotator", name="activelens_annotations_once"))
TABLES = [t.name for t in metadata.sorted_tables]


def read_meta(conn: sa.Connection) -> dict[str, str]:
    """Every key -> value of the meta table.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection from ``StoreEngine.read`` or ``StoreEngine.write``.

    Returns
    -------
    dict of str to str
    """
    return {r.key: r.value for r in conn.execute(sa.select(T_META.c.key, T_META.c.value))}


def ensure_schema(engine: StoreEngine) -> None:
    """Check the database holds an activelens store this version understands (or nothing yet); create what is missing.

    Parameters
    ----------
    engine : StoreEngine
        The store's database.

    Raises
    ------
    StoreFormatError
        Another application's database, a damaged store, a store of a newer schema version, or an older store that
        needs an upgrade where it may not be written (nothing is written).
    """
    tables = set(engine.table_names())
    ours = {t for t in tables if t.startswith("activelens_")}
    if engine.backend == "sqlite" and tables and "activelens_meta" not in tables:
        raise foreign_database_error(engine.where, tables)
    if ours and "activelens_meta" not in ours:
        raise StoreFormatError(f"store {engine.where!r} has activelens tables but no activelens_meta; it is damaged. "
                               "Nothing was written; restore it from a backup or use a new store")
    if "activelens_meta" in ours:
        with engine.read() as conn:
            meta = read_meta(conn)
        if meta.get("app") != APP:
            raise StoreFormatError(f"store {engine.where!r} has an activelens_meta table that was not written by activelens")
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise StoreFormatError(f"store {engine.where!r} has schema version {version}, newer than this activelens "
                                   f"understands ({SCHEMA_VERSION}); upgrade activelens")
        if not set(TABLES) - ours and version == SCHEMA_VERSION:
            return
        if engine.read_only is not None and version < SCHEMA_VERSION:
            raise StoreFormatError(
                f"store {engine.where!r} was made by an earlier activelens (schema version {version}) and needs a "
                f"one-time upgrade to version {SCHEMA_VERSION} (a column or the label history added; no label "
                f"changes), which writes, but "
                f"it is read-only here: {engine.read_only}. Nothing was written. Open it once where you may write "
                "to it (or open a copy); after that it opens read-only as before")
    with engine.write() as conn:
        if engine.backend == "postgresql":  # two processes creating the schema at once: one waits for the other
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('activelens_schema'))"))
        metadata.create_all(conn, checkfirst=True)
        _add_missing_columns(conn)
        have = read_meta(conn)
        if "schema_version" in have and int(have["schema_version"]) < 3:
            _start_history(conn)
        rows = [{"key": k, "value": v} for k, v in
                (("app", APP), ("schema_version", str(SCHEMA_VERSION)), ("created", repr(time.time())))
                if k not in have]
        if rows:
            conn.execute(sa.insert(T_META), rows)
        conn.execute(sa.update(T_META).where(T_META.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))


def _start_history(conn: sa.Connection) -> None:
    """Migrate a store older than version 3: its label history starts as a copy of every stored label, in the order
    they were committed (inside the migration's transaction, once: the version is read in it)."""
    fields = [c.name for c in T_HISTORY.columns if c.name != "id"]
    conn.execute(sa.delete(T_HISTORY))
    conn.execute(sa.insert(T_HISTORY).from_select(
        fields, sa.select(*[T_LABELS.c[f] for f in fields]).order_by(T_LABELS.c.id)))


def _add_missing_columns(conn: sa.Connection) -> None:
    """Migrate an older store: add the nullable columns of ``ADDED_COLUMNS`` it lacks (existing rows get NULL)."""
    inspector = sa.inspect(conn)
    for table, column, sql_type in ADDED_COLUMNS:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))
