"""The exporters' bookkeeping on Firestore: who runs an export now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from mkopo.adapters.firestore.common import LEASES, StorePart


class LeasesStore(StorePart):
    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        ref = self._db.collection(LEASES).document(name)

        @firestore.transactional
        def take(tx: Any) -> bool:
            doc = ref.get(transaction=tx).to_dict() or {}
            if doc.get("holder") not in (None, holder) and doc.get("expires_at", now) > now:
                return False
            tx.set(ref, {"holder": holder, "expires_at": now + ttl})
            return True

        try:
            return bool(take(self._db.transaction()))
        except (gexc.Aborted, gexc.Conflict):
            return False  # another exporter is taking it at this moment: let it

    def release_lease(self, name: str, holder: str) -> None:
        ref = self._db.collection(LEASES).document(name)

        @firestore.transactional
        def give_back(tx: Any) -> None:
            if (ref.get(transaction=tx).to_dict() or {}).get("holder") == holder:
                tx.delete(ref)

        give_back(self._db.transaction())
