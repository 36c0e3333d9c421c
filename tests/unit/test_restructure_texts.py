"""The restructuring SMS and the bureau's 30-day notice come in the language the borrower chose, and the
reply code in a translated offer is still the one ``YES <code>`` accepts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from mkopo import topology
from mkopo.domain import messages
from mkopo.domain.bureau import BureauRules, notice_sms
from mkopo.domain.events import LoanRestructuring, parse_event
from mkopo.service import accounts, notifications, sms_inbound
from mkopo.service.bureau import run_bureau
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fakes import FakeBureauSink
from tests.unit.loan_books import START, book_loan, noon
from tests.unit.test_restructuring import decide, overdue_loan, propose, published, staff


def _speak(world: World, user_id: str, language: str) -> None:
    """The borrower changes their language, as PATCH /v1/users/me does (the user, then the applications)."""
    user = world.store.get_user(user_id)
    assert user is not None
    world.store.col("users")[user_id] = user.model_copy(update={"language": language})
    accounts.follow_language(world.store, user_id, language)


def _offer_sent(world: World, language: str, waive: bool = False) -> tuple[str, str, User]:
    """An approved proposal for a borrower reading ``language``: (the SMS notify sent, its code, the user)."""
    user, loan = overdue_loan(world)
    _speak(world, user.id, language)
    pid = propose(world, loan, staff(world, "officer"), waive=waive)["id"]
    decide(world, loan, pid, staff(world, "officer"))
    event = next(e for e in published(world) if isinstance(e, LoanRestructuring))
    assert notifications.notify_borrower(event, store=world.store, channel=world.sms, now=world.now)
    proposal, fresh = world.store.get_proposal(pid), world.store.get_user(user.id)
    assert proposal is not None and fresh is not None
    return world.sms.sent[event.event_id], proposal.code, fresh


def _yes(world: World, user: User, text: str) -> str:
    return sms_inbound.reply_to(world.store, sender=user.phone, text=text, now=world.now, user=user)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "we offer a new schedule"), ("sw", "tunakupa ratiba mpya"), ("fr", "nouvel échéancier")],
)
def test_the_restructure_offer_is_in_the_borrowers_language_and_its_yes_code_accepts(
    world: World, language: str, words: str
) -> None:
    text, code, user = _offer_sent(world, language)
    assert words in text
    found = re.search(r"\bYES (\S+) ", text)
    assert found is not None and found.group(1) == code  # the keyword stays YES in every language
    reply = _yes(world, user, found.group(0))
    ref = next(loan.id for loan in world.store.list_loans(user.id, 5))[:8].upper()
    assert reply == messages.sms("restructure_thanks", language, ref=ref)
    if language != "en":
        assert reply != messages.sms("restructure_thanks", "en", ref=ref)


def test_a_waiver_and_the_schedule_in_force_are_translated_too(world: World) -> None:
    text, code, user = _offer_sent(world, "sw", waive=True)
    assert "zimesamehewa" in text and "of fees is forgiven" not in text
    assert text.startswith("mkopo: tunakupa ratiba mpya") and "kuanzia" in text
    _yes(world, user, f"yes {code}")
    accepted = [
        parse_event(o.payload)
        for o in world.store.col("outbox").values()
        if o.topic == topology.LOAN_RESTRUCTURING and o.payload.get("stage") == "ACCEPTED"
    ]
    assert len(accepted) == 1
    app = world.store.get_application(accepted[0].application_id)
    assert app is not None and app.language == "sw"
    in_force = messages.sms_for(accepted[0], app, app.language)
    assert in_force is not None and "una ratiba mpya" in in_force and "Asante" in in_force
    assert in_force != messages.sms_for(accepted[0], app, "en")


def test_a_closed_offer_answers_in_the_borrowers_language(world: World) -> None:
    _, code, user = _offer_sent(world, "fr")
    world.now += timedelta(days=8)  # the proposal expired
    reply = _yes(world, user, f"YES {code}")
    assert "n'est plus disponible" in reply and "expired" not in reply


# ------------------------------------------------------------------------------------ bureau notice
RULES = BureauRules()
DUE = START + timedelta(days=30)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "credit bureaus"), ("sw", "tutauripoti kwa CRB"), ("fr", "bureaux d'information")],
)
def test_the_bureau_notice_is_sent_in_the_borrowers_language(world: World, language: str, words: str) -> None:
    user = world.user("+254700000042")
    _speak(world, user.id, language)
    loan = book_loan(500_000).model_copy(update={"borrower_id": user.id, "phone": user.phone})
    world.store.transaction(lambda tx: tx.create_loan(loan))
    late = DUE + timedelta(days=2)
    run_bureau(store=world.store, channel=world.sms, sink=FakeBureauSink(), month="2026-11", as_of=late,
               now=noon(late), rules=RULES)  # fmt: skip
    text = world.sms.sent[f"bureau_notice-{loan.id}"]
    assert words in text and (late + timedelta(days=30)).isoformat() in text
    assert text == notice_sms(loan, RULES, late + timedelta(days=30), language)
    assert f"{loan.currency} {loan.outstanding}" in text and "HELP" in text
    if language != "en":
        assert text != notice_sms(loan, RULES, late + timedelta(days=30), "en")
