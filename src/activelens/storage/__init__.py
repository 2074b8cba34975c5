"""Labels with provenance in SQLite or PostgreSQL, and the annotation queue on the same database."""
from activelens.storage.store import (LabelStore, PoolMismatchError, StoreError, StoreFormatError, StoreLockedError,
                                      open_store, open_store_for)

__all__ = ["LabelStore", "StoreError", "StoreFormatError", "StoreLockedError", "PoolMismatchError", "open_store",
           "open_store_for"]
