"""The USSD menu as a state machine: the provider's ``text`` replayed onto a stored session.

Africa's Talking sends every input so far joined by ``*``. The session remembers how many of them it
has handled and its last reply: a repeated request gets the same screen, new inputs move the machine
one state at a time. ``0`` goes back, ``00`` to the main menu (once the PIN is in). Screens come from
``mkopo.domain.ussd_texts`` only; the rules come from the services the JSON API uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mkopo import tracing
from mkopo.domain import phone as phones
from mkopo.domain import ussd_texts
from mkopo.domain.credit import CreditTerms
from mkopo.service.identity_store import IdentityStore
from mkopo.service.login_throttle import Limits
from mkopo.service.offers import Lender
from mkopo.service.ports import CreditData, EventPublisher, PasswordHasher, Payments
from mkopo.service.store import Store, User
from mkopo.service.ussd.sessions import UssdSession, UssdSessions

log = logging.getLogger(__name__)

MAX_INPUTS = 40  # far more than any real session: anything longer is refused


@dataclass(frozen=True)
class UssdDeps:
    """What the menu reads and writes, passed in by the entrypoint."""

    store: Store
    identity: IdentityStore
    sessions: UssdSessions
    hasher: PasswordHasher
    payments: Payments
    publisher: EventPublisher
    lenders: Sequence[Lender]
    credit_data: CreditData
    credit_terms: CreditTerms
    pin_limits: Limits
    terms_version: str
    offer_ttl: timedelta
    session_ttl: timedelta
    term_days: int
    now: datetime
    default_languages: Mapping[str, str] = field(default_factory=dict)  # by market, until one is chosen


@dataclass(frozen=True)
class Screen:
    text: str
    end: bool = False

    def render(self) -> str:
        body = self.text
        if len(body) > ussd_texts.SCREEN_LIMIT:
            log.error("a USSD screen of %d characters was cut to %d", len(body), ussd_texts.SCREEN_LIMIT)
            body = body[: ussd_texts.SCREEN_LIMIT]
        return ("END " if self.end else "CON ") + body


class Ctx:
    """One request's view of the session: the user, the language, and moves between states."""

    def __init__(self, deps: UssdDeps, session: UssdSession) -> None:
        self.deps, self.session = deps, session
        self._user: User | None = None

    @property
    def user(self) -> User | None:
        if self._user is None and self.session.user_id:
            self._user = self.deps.store.get_user(self.session.user_id)
        return self._user

    def forget_user(self) -> None:
        self._user = None

    @property
    def language(self) -> str:
        user = self.user
        chosen = (user.language if user else None) or self.session.data.get("language")
        return chosen or self.deps.default_languages.get(phones.market_of(self.session.phone), "en")

    def t(self, key: str, **values: object) -> str:
        return ussd_texts.text(key, self.language, **values)

    def con(self, key: str, **values: object) -> Screen:
        return Screen(self.t(key, **values))

    def end(self, key: str, **values: object) -> Screen:
        return Screen(self.t(key, **values), end=True)

    def go(self, state: str, *, push: bool = True) -> Screen:
        """Enter ``state`` and show its screen, remembering the current state for ``0`` (with ``push``)."""
        if push and self.session.state != state:
            self.session.back.append(self.session.state)
        self.session.state = state
        return STATES[state].enter(self)

    def home(self) -> Screen:
        self.session.back.clear()
        return self.go(home_state(self), push=False)


@dataclass(frozen=True)
class State:
    enter: Callable[[Ctx], Screen]
    handle: Callable[[Ctx, str], Screen]


STATES: dict[str, State] = {}  # filled by mkopo.service.ussd.screens


def home_state(ctx: Ctx) -> str:
    """Where a caller starts: the language choice, their PIN (or setting one), or the main menu."""
    user = ctx.user
    if user is None:
        return "language"
    if ctx.session.verified:
        return "main"
    return "pin" if user.pin_hash else "set_pin"


def respond(deps: UssdDeps, *, session_id: str, phone: str, text: str) -> str:
    """The reply (``CON ...`` or ``END ...``) to one provider request for an already valid caller."""
    from mkopo.service.ussd import screens  # noqa: F401 - registers the states

    inputs = text.split("*") if text else []
    session = deps.sessions.get_ussd_session(session_id)
    if session is not None and session.phone != phone:
        return Screen(ussd_texts.text("not_your_session"), end=True).render()
    if len(inputs) > MAX_INPUTS:
        return Screen(ussd_texts.text("bad_request"), end=True).render()
    if session is None:
        session = _new_session(deps, session_id, phone)
    else:
        tracing.adopt(session.trace)  # one trace per USSD session, from its first screen
        if len(inputs) < session.steps or session.expires_at <= deps.now:
            return Screen(ussd_texts.text("session_error"), end=True).render()
        if len(inputs) == session.steps and session.reply:
            return session.reply  # the provider repeated a request: the same screen
    ctx = Ctx(deps, session)
    screen = ctx.home() if not session.reply else Screen(session.reply[4:], session.reply.startswith("END"))
    for value in inputs[session.steps :]:
        session.steps += 1
        if screen.end:
            break
        screen = step(ctx, value.strip())
    session.reply = screen.render()
    deps.sessions.save_ussd_session(session)
    return session.reply


def _new_session(deps: UssdDeps, session_id: str, phone: str) -> UssdSession:
    user = deps.store.get_user_by_phone(phone)
    return UssdSession(
        id=session_id,
        phone=phone,
        started_at=deps.now,
        expires_at=deps.now + deps.session_ttl,
        user_id=user.id if user else None,
        trace=tracing.current_traceparent(),
    )


def step(ctx: Ctx, value: str) -> Screen:
    """One input: the conventions first (``00`` main menu, ``0`` back), then the current state's rule."""
    session = ctx.session
    if value == "00":
        return ctx.home()
    if value == "0" and session.state not in NO_BACK:
        if session.back:
            return ctx.go(session.back.pop(), push=False)
        return STATES[session.state].enter(ctx)
    return STATES[session.state].handle(ctx, value)


# States where ``0`` is an ordinary input (a PIN may be 0000, a name is free text): never "back".
NO_BACK = frozenset({"reg_name"})
