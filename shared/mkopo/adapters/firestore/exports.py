"""The exporters' bookkeeping on Firestore: which keys are in BigQuery, and who runs an export now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from mkopo.adapters.firestore.common import EXPORTS, LEASES, StorePart, write_each


class ExportMarksStore(StorePart):
    def exported(self, keys: Sequence[str]) -> set[str]:
        refs = [self._db.collection(EXPORTS).document(k) for k in keys]
        return {snap.id for snap in self._db.get_all(refs) if snap.exists} if refs else set()

    def mark_exported(self, keys: Sequence[str]) -> None:
        write_each(self._db, EXPORTS, keys, {"exported": True}, create=True)


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
