"""Borrowers for load: phone numbers the sandbox approves (or rejects), seeded straight into Firestore.

Registering through ``/v1/auth/register`` costs an argon2 hash per borrower; for load the users are written
with the Firestore adapter's own document format and given signed tokens, which is what login would return.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mkopo.adapters.credit_data import SandboxCreditData
from mkopo.adapters.firestore import FirestoreTransaction
from mkopo.adapters.security import JwtTokens
from mkopo.config import Settings
from mkopo.domain.scorecard import default_scorecard
from mkopo.service.store import User

AMOUNT_MINOR = 500_000  # KES 5,000: the amount every benchmark application asks for
# Thin-file numbers under +25479: outside the sandbox's special ranges and MoMo's failure prefixes.
THIN_PREFIX = "+25479"
POOR_PREFIX = "+2547110000"
NO_PASSWORD = "!"  # noqa: S105 - not a hash: these users never log in, their tokens are signed here


@dataclass(frozen=True)
class Applicant:
    phone: str
    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _thin_numbers(start: int) -> Iterator[str]:
    for i in range(start, 10_000_000):
        yield f"{THIN_PREFIX}{i:07d}"


def approvable_phones(count: int, *, start: int = 0, amount_minor: int = AMOUNT_MINOR) -> list[str]:
    """Thin-file numbers the default scorecard and policy approve for ``amount_minor`` as a first loan, under
    the limit ladder's first-loan limit (deterministic)."""
    data, card, settings = SandboxCreditData(), default_scorecard(), Settings()
    policy, terms = settings.decision_policy(), settings.credit_terms()
    found: list[str] = []
    for phone in _thin_numbers(start):
        features = data.features_for(phone)
        outcome, _ = policy.decide(
            score=card.score(features).score,
            amount_minor=amount_minor,
            credit_limit_minor=terms.line(
                None, currency="KES", external_minor=features.credit_limit_minor, has_active_loan=False
            ).limit_minor,
            active_application_id=None,
            application_id="x",
        )
        if outcome.value == "APPROVED":
            found.append(phone)
            if len(found) == count:
                return found
    raise ValueError("not enough approvable numbers")


def poor_phones(count: int) -> list[str]:
    """The sandbox's documented poor applicants (+254711000001..99): always rejected."""
    if count > 99:
        raise ValueError("the sandbox has 99 poor test numbers")
    return [f"{POOR_PREFIX}{i:02d}" for i in range(1, count + 1)]


def _tokens() -> JwtTokens:
    """Tokens exactly as the auth function signs them (same keys), valid for a day."""
    return JwtTokens.from_settings(Settings(access_token_ttl_s=86_400))


def seed_applicants(db: Any, phones: Sequence[str]) -> list[Applicant]:
    """Create one user per phone (batched writes) and sign a token for each."""
    tokens, now = _tokens(), datetime.now(UTC)
    applicants: list[Applicant] = []
    for start in range(0, len(phones), 200):
        batch = db.batch()
        for phone in phones[start : start + 200]:
            user = User(
                id=str(uuid.uuid4()),
                phone=phone,
                full_name="Bench Borrower",
                password_hash=NO_PASSWORD,
                created_at=now,
            )
            FirestoreTransaction(db, batch).create_user(user)
            token, _ = tokens.issue(subject=user.id, role=user.role)
            applicants.append(Applicant(phone, user.id, token))
        batch.commit()
    return applicants
