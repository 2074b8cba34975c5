"""Labels with provenance in SQLite or PostgreSQL, and the annotation queue on the same database.

Modules, bottom to top:

    errors       the exceptions (StoreError and its kinds)
    codec        labels as JSON text
    lock         SQLite writers' turns on an flock'ed sidecar file
    engine       StoreEngine: the database, its transactions, driver errors translated
    schema       the tables, SCHEMA_VERSION, creating and checking them
    pool_check   binding a store to its pool: fingerprint, sampled and labeled rows
    store        LabelStore: labels, rounds, blobs, annotations, export
    link         a learner's write-through (its events) and restore (learner.restore)
    resolution   several annotations of an item -> one label
    queue        AnnotationQueue: leases, claims, gold items
"""
from activelens.storage.errors import (PoolMismatchError, QueueError, StoreError, StoreFormatError, StoreLockedError,
                                       StoreReadOnlyError, UntrustedEstimatorError)
from activelens.storage.link import open_store_for
from activelens.storage.queue import AnnotationQueue
from activelens.storage.store import LabelStore, open_store

__all__ = ["LabelStore", "StoreError", "StoreFormatError", "StoreLockedError", "StoreReadOnlyError", "PoolMismatchError",
           "QueueError", "UntrustedEstimatorError", "AnnotationQueue", "open_store", "open_store_for"]
