"""The chart of accounts: account kinds, what their names identify, and their validated names."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from mkopo.domain.allocation import Component
from mkopo.domain.money import CURRENCIES

PART_RE = re.compile(r"[A-Za-z0-9._-]{1,128}")


class LedgerError(ValueError):
    """A journal entry or account that would break double-entry rules."""


class AccountKind(StrEnum):
    """Account kinds and what their name parts identify."""

    LOANS_RECEIVABLE = "loans_receivable"
    INTEREST_RECEIVABLE = "interest_receivable"
    FEES_RECEIVABLE = "fees_receivable"
    PENALTIES_RECEIVABLE = "penalties_receivable"
    DEFERRED_INTEREST = "deferred_interest"
    DEFERRED_FEES = "deferred_fees"
    DISBURSEMENT_CLEARING = "disbursement_clearing"
    COLLECTION_CLEARING = "collection_clearing"
    CASH_AT_PROVIDER = "cash_at_provider"
    INTEREST_INCOME = "interest_income"
    FEE_INCOME = "fee_income"
    PENALTY_INCOME = "penalty_income"
    BORROWER_CREDIT = "borrower_credit"
    SUSPENSE = "suspense"
    PROVISION_EXPENSE = "provision_expense"  # expense: expected credit losses charged to the period
    LOAN_LOSS_ALLOWANCE = "loan_loss_allowance"  # contra-asset: the allowance against gross receivables
    LOAN_LOSSES = "loan_losses"  # expense: receivables written off
    RECOVERIES = "recoveries"  # income: money received on loans written off


# Name parts per kind; "currency" parts must be a supported currency and match the entry's currency.
PARTS: dict[AccountKind, tuple[str, ...]] = {
    AccountKind.LOANS_RECEIVABLE: ("loan_id",),
    AccountKind.INTEREST_RECEIVABLE: ("loan_id",),
    AccountKind.FEES_RECEIVABLE: ("loan_id",),
    AccountKind.PENALTIES_RECEIVABLE: ("loan_id",),
    AccountKind.DEFERRED_INTEREST: ("loan_id",),
    AccountKind.DEFERRED_FEES: ("loan_id",),
    AccountKind.DISBURSEMENT_CLEARING: ("provider", "currency"),
    AccountKind.COLLECTION_CLEARING: ("provider", "currency"),
    AccountKind.CASH_AT_PROVIDER: ("provider", "currency"),
    AccountKind.INTEREST_INCOME: ("currency",),
    AccountKind.FEE_INCOME: ("currency",),
    AccountKind.PENALTY_INCOME: ("currency",),
    AccountKind.BORROWER_CREDIT: ("borrower_id",),
    AccountKind.SUSPENSE: ("currency",),
    AccountKind.PROVISION_EXPENSE: ("currency",),
    AccountKind.LOAN_LOSS_ALLOWANCE: ("currency",),
    AccountKind.LOAN_LOSSES: ("currency",),
    AccountKind.RECOVERIES: ("currency",),
}
LOAN_RECEIVABLES = (
    AccountKind.LOANS_RECEIVABLE,
    AccountKind.INTEREST_RECEIVABLE,
    AccountKind.FEES_RECEIVABLE,
    AccountKind.PENALTIES_RECEIVABLE,
)
RECEIVABLE_OF: dict[Component, AccountKind] = {
    Component.PENALTIES: AccountKind.PENALTIES_RECEIVABLE,
    Component.FEES: AccountKind.FEES_RECEIVABLE,
    Component.INTEREST: AccountKind.INTEREST_RECEIVABLE,
    Component.PRINCIPAL: AccountKind.LOANS_RECEIVABLE,
}


class Account(BaseModel):
    """A ledger account named ``kind:part[:part]``, e.g. ``cash_at_provider:mpesa:KES``."""

    model_config = ConfigDict(frozen=True)

    kind: AccountKind
    parts: tuple[str, ...]

    @model_validator(mode="after")
    def _valid_parts(self) -> Account:
        """The parts fit the kind: right count, no separators, supported currencies."""
        expected = PARTS[self.kind]
        if len(self.parts) != len(expected):
            raise ValueError(f"{self.kind} needs parts {expected}, got {self.parts}")
        for label, part in zip(expected, self.parts, strict=True):
            if not PART_RE.fullmatch(part):
                raise ValueError(f"invalid {label} {part!r} in a {self.kind} account")
            if label == "currency" and part not in CURRENCIES:
                raise ValueError(f"unsupported currency {part!r}")
        return self

    @classmethod
    def of(cls, kind: AccountKind | str, *parts: str) -> Account:
        """An account from its kind and parts."""
        return cls(kind=AccountKind(kind), parts=tuple(parts))

    @classmethod
    def parse(cls, name: str) -> Account:
        """An account from its ``kind:part[:part]`` name."""
        kind, *parts = name.split(":")
        try:
            return cls.of(kind, *parts)
        except ValueError as exc:
            raise LedgerError(f"invalid account name {name!r}: {exc}") from exc

    @property
    def currency(self) -> str | None:
        """The currency named in the account, if its kind has one."""
        labels = PARTS[self.kind]
        return self.parts[labels.index("currency")] if "currency" in labels else None

    def __str__(self) -> str:
        return ":".join((self.kind.value, *self.parts))
