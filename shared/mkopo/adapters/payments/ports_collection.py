"""Re-exports of the collection port, which lives in ``mkopo.service.ports`` with the payout port."""

from mkopo.service.ports import CollectionNotFound, CollectionProvider, CollectionResult, CollectionStatus

__all__ = ["CollectionNotFound", "CollectionProvider", "CollectionResult", "CollectionStatus"]
