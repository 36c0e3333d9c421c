"""Where bootstrap finds the identity adapter; it lives in ``mkopo.adapters.firestore.identity``."""

from mkopo.adapters.firestore.identity import FirestoreIdentityStore, FirestoreIdentityTransaction

__all__ = ["FirestoreIdentityStore", "FirestoreIdentityTransaction"]
