"""Loans, repayments and the journal on Firestore (journal entries are created, never changed)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from google.cloud import firestore

from mkopo.adapters.firestore.common import JOURNAL, LOANS, REPAYMENTS, StorePart, TxPart, valid_id

if TYPE_CHECKING:  # money types are imported on first use: most functions never touch them
    from mkopo.domain.ledger import JournalEntry
    from mkopo.domain.loans import Loan
    from mkopo.domain.repayments import Repayment


def _loan_doc(loan: Loan) -> dict[str, Any]:
    doc = loan.model_dump(mode="json")
    doc["disbursed_at"], doc["updated_at"] = loan.disbursed_at, loan.updated_at
    return doc


def _repayment_doc(repayment: Repayment) -> dict[str, Any]:
    return repayment.model_dump(mode="json") | {"requested_at": repayment.requested_at}


def _journal_doc(entry: JournalEntry) -> dict[str, Any]:
    doc = entry.model_dump(mode="json") | {"occurred_at": entry.occurred_at}
    doc["accounts"] = sorted({str(line.account) for line in entry.lines})  # for array-contains queries
    return doc


def _journal_entry(doc: dict[str, Any]) -> JournalEntry:
    from mkopo.domain.ledger import JournalEntry

    doc.pop("accounts", None)
    return JournalEntry.model_validate(doc)


def _loan(doc: Any) -> Loan:
    from mkopo.domain.loans import Loan

    return Loan.model_validate(doc)


def _repayment(doc: Any) -> Repayment:
    from mkopo.domain.repayments import Repayment

    return Repayment.model_validate(doc)


class LoansTx(TxPart):
    def get_loan(self, loan_id: str) -> Loan | None:
        doc = self._get(LOANS, loan_id)
        return _loan(doc) if doc else None

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        doc = self._get(REPAYMENTS, repayment_id)
        return _repayment(doc) if doc else None

    def create_loan(self, loan: Loan) -> None:
        self._tx.create(self._db.collection(LOANS).document(loan.id), _loan_doc(loan))

    def save_loan(self, loan: Loan) -> None:
        self._tx.set(self._db.collection(LOANS).document(loan.id), _loan_doc(loan))

    def create_repayment(self, repayment: Repayment) -> None:
        self._tx.create(self._db.collection(REPAYMENTS).document(repayment.id), _repayment_doc(repayment))

    def save_repayment(self, repayment: Repayment) -> None:
        self._tx.set(self._db.collection(REPAYMENTS).document(repayment.id), _repayment_doc(repayment))

    def add_journal_entry(self, entry: JournalEntry) -> None:
        self._tx.create(self._db.collection(JOURNAL).document(entry.id), _journal_doc(entry))


class LoansStore(StorePart):
    def get_loan(self, loan_id: str) -> Loan | None:
        doc = self._get(LOANS, loan_id) if valid_id(loan_id) else None
        return _loan(doc) if doc else None

    def list_loans(self, borrower_id: str, limit: int) -> list[Loan]:
        query = (
            self._db.collection(LOANS)
            .where(filter=firestore.FieldFilter("borrower_id", "==", borrower_id))
            .order_by("disbursed_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [_loan(s.to_dict()) for s in query.stream()]

    def list_loans_by_status(self, status: str, limit: int) -> list[Loan]:
        query = (
            self._db.collection(LOANS)
            .where(filter=firestore.FieldFilter("status", "==", status))
            .limit(limit)
        )
        return [_loan(s.to_dict()) for s in query.stream()]

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        doc = self._get(REPAYMENTS, repayment_id) if valid_id(repayment_id) else None
        return _repayment(doc) if doc else None

    def list_repayments(self, loan_id: str, limit: int) -> list[Repayment]:
        query = (
            self._db.collection(REPAYMENTS)
            .where(filter=firestore.FieldFilter("loan_id", "==", loan_id))
            .order_by("requested_at")
            .limit(limit)
        )
        return [_repayment(s.to_dict()) for s in query.stream()]

    def list_repayments_by_status(self, status: str, limit: int) -> list[Repayment]:
        query = (
            self._db.collection(REPAYMENTS)
            .where(filter=firestore.FieldFilter("status", "==", status))
            .order_by("requested_at")
            .limit(limit)
        )
        return [_repayment(s.to_dict()) for s in query.stream()]

    def journal_entries(
        self, *, account: str | None = None, until: datetime | None = None, limit: int = 1000
    ) -> list[JournalEntry]:
        query: Any = self._db.collection(JOURNAL)
        if account is not None:
            query = query.where(filter=firestore.FieldFilter("accounts", "array_contains", account))
        if until is not None:
            query = query.where(filter=firestore.FieldFilter("occurred_at", "<=", until))
        query = query.order_by("occurred_at").limit(limit)
        return [_journal_entry(s.to_dict() or {}) for s in query.stream()]
