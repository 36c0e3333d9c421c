"""What the entrypoints take from a container: the shape `bootstrap.Container` has and tests fake."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # types only: cold start matters
    from mkopo.adapters.security import JwtTokens
    from mkopo.config import Settings
    from mkopo.domain.policy import DecisionPolicy
    from mkopo.domain.scorecard import Scorecard
    from mkopo.service.dead_letters import DeadLetterBook
    from mkopo.service.identity_store import IdentityStore
    from mkopo.service.offers import Lender
    from mkopo.service.portfolio import PortfolioReader
    from mkopo.service.ports import (
        BureauSink,
        CreditData,
        EventPublisher,
        EventSink,
        Inbox,
        PasswordHasher,
        Payments,
        SmsChannel,
    )
    from mkopo.service.store import Store
    from mkopo.service.ussd.sessions import UssdSessions


class AppContainer(Protocol):
    """Adapters and settings by name; each is read when a request or an event needs it."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def identity(self) -> IdentityStore: ...
    @property
    def publisher(self) -> EventPublisher: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def dead_letters(self) -> DeadLetterBook: ...
    @property
    def event_sink(self) -> EventSink: ...
    @property
    def audit_sink(self) -> EventSink: ...
    @property
    def portfolio_reader(self) -> PortfolioReader: ...
    @property
    def payments(self) -> Payments: ...
    @property
    def credit_data(self) -> CreditData: ...
    @property
    def sms_channel(self) -> SmsChannel: ...
    @property
    def bureau_sink(self) -> BureauSink: ...
    @property
    def hasher(self) -> PasswordHasher: ...
    @property
    def tokens(self) -> JwtTokens: ...
    @property
    def lenders(self) -> Sequence[Lender]: ...
    @property
    def scorecard(self) -> Scorecard: ...
    @property
    def challenger(self) -> Scorecard | None: ...
    @property
    def policy(self) -> DecisionPolicy: ...
    @property
    def ussd_sessions(self) -> UssdSessions: ...
    @property
    def offer_ttl(self) -> timedelta: ...

    def now(self) -> datetime:
        """The current time (UTC): the one clock every handler reads."""
        ...
