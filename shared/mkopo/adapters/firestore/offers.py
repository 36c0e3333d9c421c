"""Offers on Firestore: written in batches when compared, read at checkout; expired ones go by TTL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mkopo.adapters.firestore.common import OFFERS, StorePart, valid_id
from mkopo.domain.offers import Offer


def offer_from(doc: dict[str, Any] | None) -> Offer | None:
    return Offer.model_validate(doc) if doc else None


def _offer_doc(offer: Offer) -> dict[str, Any]:
    doc = offer.model_dump(mode="json")
    doc["expires_at"] = offer.expires_at  # a Firestore timestamp, for the TTL policy
    return doc


class OffersStore(StorePart):
    def get_offer(self, offer_id: str) -> Offer | None:
        return offer_from(self._get(OFFERS, offer_id) if valid_id(offer_id) else None)

    def save_offers(self, offers: Sequence[Offer]) -> None:
        batch = self._db.batch()
        for offer in offers:
            batch.set(self._db.collection(OFFERS).document(offer.id), _offer_doc(offer))
        batch.commit()
