"""Ledger invariants read straight from Firestore: every journal entry balances, the trial balance is zero
in every currency, and a repaid loan owes nothing per the ledger."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from mkopo.domain import ledger
from mkopo.domain.allocation import LoanStatus
from mkopo.domain.loans import Loan


@dataclass
class LedgerFindings:
    entries: int = 0
    unbalanced: int = 0  # fewer than two lines, lines not summing to zero, or not a valid entry
    trial_balance: dict[str, int] = field(default_factory=dict)  # debits minus credits per currency
    loans: int = 0
    ledger_disagrees: int = 0  # loans whose receivables in the ledger differ from what the loan says is owed
    repaid_loans: int = 0
    receivable_left: int = 0  # repaid loans whose receivables do not sum to zero in the ledger

    @property
    def trial_balance_off(self) -> int:
        """Currencies whose debits and credits differ."""
        return sum(1 for total in self.trial_balance.values() if total)


def _entry(doc: dict[str, Any]) -> ledger.JournalEntry | None:
    doc = {k: v for k, v in doc.items() if k != "accounts"}
    try:
        return ledger.JournalEntry.model_validate(doc)
    except (ValidationError, ledger.LedgerError):
        return None


def _raw_balanced(doc: dict[str, Any]) -> bool:
    lines = doc.get("lines") or []
    return len(lines) >= 2 and sum(int(line["amount"]) for line in lines) == 0


def check_ledger(db: Any) -> LedgerFindings:
    """Read the whole journal and every loan once; count what is wrong."""
    found = LedgerFindings()
    entries: list[ledger.JournalEntry] = []
    invalid: collections.Counter[str] = collections.Counter()  # raw sums of entries the model refuses
    for snap in db.collection("journal").stream():
        doc = snap.to_dict() or {}
        found.entries += 1
        entry = _entry(doc)
        if entry is None or not _raw_balanced(doc):
            found.unbalanced += 1
        if entry is None:
            invalid[str(doc.get("currency"))] += sum(int(line["amount"]) for line in doc.get("lines") or [])
        else:
            entries.append(entry)
    found.trial_balance = ledger.trial_balance(entries)
    for currency, total in invalid.items():
        found.trial_balance[currency] = found.trial_balance.get(currency, 0) + total
    for snap in db.collection("loans").stream():
        loan = Loan.model_validate(snap.to_dict() or {})
        owed = ledger.loan_receivable_balance(entries, loan.id)
        found.loans += 1
        # A written-off loan's receivables moved to loan losses: the ledger owes nothing on it any more.
        expected = 0 if loan.written_off is not None else loan.outstanding.minor
        found.ledger_disagrees += owed != expected
        if loan.status == LoanStatus.REPAID:
            found.repaid_loans += 1
            found.receivable_left += owed != 0
    return found
