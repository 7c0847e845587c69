"""Versioned, content-fingerprinted dataset store (Parquet + manifests)."""

from mathpref.store.fingerprint import fingerprint
from mathpref.store.refs import BuildRef
from mathpref.store.store import Store


def open_store(root: str = ".mathpref") -> Store:
    """Open an existing store for reading."""
    return Store(root, create=False)


__all__ = ["BuildRef", "Store", "fingerprint", "open_store"]
