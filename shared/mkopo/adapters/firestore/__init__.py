"""The Firestore adapter, one module per aggregate; ``store`` composes them into the Store port."""

from mkopo.adapters.firestore.store import FirestoreStore, FirestoreTransaction

__all__ = ["FirestoreStore", "FirestoreTransaction"]
