"""Applications and the borrower's exposure document on Firestore."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from mkopo.adapters.firestore.common import APPLICATIONS, BORROWERS, StorePart, TxPart, valid_id
from mkopo.domain.applications import Application
from mkopo.service.store import Borrower


def application_doc(app: Application) -> dict[str, Any]:
    doc = app.model_dump(mode="json")
    doc["created_at"], doc["updated_at"] = app.created_at, app.updated_at  # timestamps, for order_by
    return doc


class ApplicationsTx(TxPart):
    def get_application(self, application_id: str) -> Application | None:
        doc = self._get(APPLICATIONS, application_id)
        return Application.model_validate(doc) if doc else None

    def get_borrower(self, borrower_id: str) -> Borrower | None:
        doc = self._get(BORROWERS, borrower_id)
        return Borrower.model_validate(doc) if doc else None

    def get_application_and_borrower(
        self, application_id: str, borrower_id: str
    ) -> tuple[Application | None, Borrower | None]:
        app_doc, borrower_doc = self._get_together((APPLICATIONS, application_id), (BORROWERS, borrower_id))
        return (
            Application.model_validate(app_doc) if app_doc else None,
            Borrower.model_validate(borrower_doc) if borrower_doc else None,
        )

    def create_application(self, app: Application) -> None:
        self._tx.create(self._db.collection(APPLICATIONS).document(app.id), application_doc(app))

    def save_application(self, app: Application) -> None:
        self._tx.set(self._db.collection(APPLICATIONS).document(app.id), application_doc(app))

    def save_borrower(self, borrower: Borrower) -> None:
        self._tx.set(self._db.collection(BORROWERS).document(borrower.id), borrower.model_dump(mode="json"))


class ApplicationsStore(StorePart):
    def get_application(self, application_id: str) -> Application | None:
        doc = self._get(APPLICATIONS, application_id) if valid_id(application_id) else None
        return Application.model_validate(doc) if doc else None

    def get_borrower(self, borrower_id: str) -> Borrower | None:
        doc = self._get(BORROWERS, borrower_id) if valid_id(borrower_id) else None
        return Borrower.model_validate(doc) if doc else None

    def list_applications(self, borrower_id: str, limit: int) -> list[Application]:
        query = (
            self._db.collection(APPLICATIONS)
            .where(filter=firestore.FieldFilter("borrower_id", "==", borrower_id))
            .order_by("created_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [Application.model_validate(s.to_dict()) for s in query.stream()]

    def list_applications_by_status(self, status: str, limit: int) -> list[Application]:
        query = (
            self._db.collection(APPLICATIONS)
            .where(filter=firestore.FieldFilter("status", "==", status))
            .order_by("updated_at")
            .limit(limit)
        )
        return [Application.model_validate(s.to_dict()) for s in query.stream()]
