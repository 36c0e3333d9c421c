"""The late life of a loan with fakes: charged by the arrears run, written off, then recovered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from mkopo import topology
from mkopo.domain import ledger
from mkopo.domain.allocation import LoanStatus
from mkopo.domain.charges import ChargeRules
from mkopo.domain.chart_of_accounts import Account, AccountKind
from mkopo.domain.events import parse_event
from mkopo.domain.loans import Loan
from mkopo.domain.messages import sms_for
from mkopo.domain.money import Money
from mkopo.entrypoints import loans_api
from mkopo.service import loans, write_offs
from mkopo.service.errors import AlreadyExists, Unprocessable
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, bearer, http_client, is_problem
from tests.unit.test_functions_backoffice import with_role
from tests.unit.test_loans import disbursed, journal, repay

RULES = ChargeRules()


def arrears(world: World, loan: Loan, days_after_due: int) -> dict[str, int]:
    due = loan.schedule.installments[-1].due_date
    now = datetime.combine(due + timedelta(days=days_after_due), time(12), tzinfo=UTC)
    return loans.run_arrears(
        store=world.store,
        publisher=world.publisher,
        now=now,
        reminder_days=3,
        credit_terms=world.credit_terms,
        charge_rules=RULES,
    )


def loan_audit(world: World, loan_id: str) -> list[str]:
    return [r.action for r in world.store.list_audit(loan_id, 50) if r.entity_type == "loan"]


def current(world: World, loan_id: str) -> Loan:
    loan = world.store.get_loan(loan_id)
    assert loan is not None
    return loan


def test_the_arrears_run_charges_the_late_fee_once_with_an_sms(world: World) -> None:
    user, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    fee = loan.late_terms.late_fee_minor
    assert fee > 0  # the cheapest KES offer (mwanga-finance) discloses a late fee
    assert arrears(world, loan, 1)["charges"] == 1
    assert arrears(world, loan, 1)["charges"] == 0  # a re-run of the day charges nothing twice
    assert arrears(world, loan, 2)["charges"] == 0  # the fee is once per installment; no daily rate
    charged = current(world, loan.id)
    assert charged.outstanding.minor == loan.outstanding.minor + fee
    assert charged.position.outstanding.fees == loan.position.outstanding.fees + fee
    entries = journal(world)
    assert ledger.trial_balance(entries) == {"KES": 0}
    assert ledger.loan_receivable_balance(entries, loan.id) == charged.outstanding.minor
    assert ledger.balance(entries, Account.of(AccountKind.FEE_INCOME, "KES")) <= -fee
    [(_, payload, _)] = [p for p in world.publisher.published if p[0] == topology.CHARGE_APPLIED]
    text = sms_for(parse_event(payload), world.application(loan.id))
    assert text is not None and str(Money(minor=fee, currency="KES")) in text and len(text) <= 160
    view = loans.get_loan(world.store, user_id=user.id, loan_id=loan.id, now=world.now)
    assert view["late_charges"]["fees_charged"] == str(Money(minor=fee, currency="KES"))


def test_past_the_threshold_the_loan_is_written_off_then_a_payment_is_a_recovery(world: World) -> None:
    user, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    arrears(world, loan, 1)
    owed = current(world, loan.id).outstanding.minor
    assert arrears(world, loan, RULES.write_off_after_days - 1)["written_off"] == 0
    assert arrears(world, loan, RULES.write_off_after_days)["written_off"] == 1
    assert arrears(world, loan, RULES.write_off_after_days + 1)["loans"] == 0  # no longer ACTIVE
    gone = current(world, loan.id)
    assert gone.status == LoanStatus.WRITTEN_OFF and gone.written_off is not None
    assert gone.written_off.amount.total == owed and gone.written_off.reason == write_offs.AUTOMATIC_REASON
    entries = journal(world)
    assert ledger.trial_balance(entries) == {"KES": 0}
    assert ledger.loan_receivable_balance(entries, loan.id) == 0
    assert ledger.balance(entries, Account.of(AccountKind.LOAN_LOSSES, "KES")) == owed
    for kind in (AccountKind.DEFERRED_INTEREST, AccountKind.DEFERRED_FEES):
        assert ledger.balance(entries, Account.of(kind, loan.id)) == 0
    assert world.store.col("borrowers")[user.id].credit.frozen
    assert loan_audit(world, loan.id) == ["loan_written_off"]

    too_much = str(Money(minor=owed + 100, currency="KES"))
    with pytest.raises(Unprocessable, match="at most"):
        repay(world, user, gone, too_much, "over")
    part = Money(minor=owed - 10_000, currency="KES")
    repay(world, user, gone, str(part), "rec1")
    repay(world, user, gone, "100", "rec2")
    done = current(world, loan.id)
    assert done.written_off is not None and done.written_off.recovered_minor == owed
    entries = journal(world)
    assert ledger.trial_balance(entries) == {"KES": 0}
    assert ledger.loan_receivable_balance(entries, loan.id) == 0  # never into the written-off receivables
    assert ledger.balance(entries, Account.of(AccountKind.RECOVERIES, "KES")) == -owed
    with pytest.raises(Unprocessable):
        repay(world, user, done, "100", "rec3")  # nothing left to recover
    view = loans.get_loan(world.store, user_id=user.id, loan_id=loan.id, now=world.now)
    assert view["status"] == "WRITTEN_OFF" and view["write_off"]["recoverable"] == "0.00"
    assert view["outstanding"] == "0.00" and view["next_due"] is None
    assert loan_audit(world, loan.id).count("loan_recovery_received") == 2


def test_an_admin_writes_off_with_a_reason_once(world: World) -> None:
    _, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    admin = with_role(world, "+254700000099", "admin")
    result = write_offs.write_off(
        world.store, loan_id=loan.id, reason="borrower deceased", admin=admin, now=world.now
    )
    assert result["status"] == "WRITTEN_OFF" and result["write_off"]["reason"] == "borrower deceased"
    entries = journal(world)
    assert (
        ledger.trial_balance(entries) == {"KES": 0} and ledger.loan_receivable_balance(entries, loan.id) == 0
    )
    with pytest.raises(AlreadyExists, match="only an ACTIVE loan"):
        write_offs.write_off(world.store, loan_id=loan.id, reason="again", admin=admin, now=world.now)
    [record] = [r for r in world.store.list_audit(loan.id, 50) if r.entity_type == "loan"]
    assert (record.actor_id, record.after and record.after["reason"]) == (admin.id, "borrower deceased")


@pytest.fixture
def api(world: World) -> FlaskClient:
    return http_client(loans_api.create_app(FakeContainer(world)))


def test_the_write_off_endpoint_is_admin_only_with_problems(world: World, api: FlaskClient) -> None:
    user, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    path = f"/v1/loans/{loan.id}/write-off"
    officer = with_role(world, "+254700000098", "officer")
    admin = with_role(world, "+254700000097", "admin")
    assert is_problem(api.post(path, json={"reason": "no"}, headers=bearer(user)), 403)
    assert is_problem(api.post(path, json={"reason": "uncollectable"}, headers=bearer(officer)), 403)
    assert is_problem(api.post(path, json={}, headers=bearer(admin)), 422)
    unknown = f"/v1/loans/{uuid.uuid4()}/write-off"
    assert is_problem(api.post(unknown, json={"reason": "uncollectable"}, headers=bearer(admin)), 404)
    ok = api.post(path, json={"reason": "uncollectable"}, headers=bearer(admin))
    assert ok.status_code == 200 and ok.get_json()["status"] == "WRITTEN_OFF"
    assert is_problem(api.post(path, json={"reason": "uncollectable"}, headers=bearer(admin)), 409)
    mine = api.get(f"/v1/loans/{loan.id}", headers=bearer(user)).get_json()
    assert mine["status"] == "WRITTEN_OFF" and mine["write_off"]["reason"] == "uncollectable"


def test_the_console_loan_page_shows_charges_write_off_and_recoveries(world: World) -> None:
    from tests.unit.test_console import signed_in, staff, text

    container = FakeContainer(world)
    user, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    arrears(world, loan, 1)
    arrears(world, loan, RULES.write_off_after_days)
    repay(world, user, current(world, loan.id), "100", "console-rec")
    admin = signed_in(container, staff(world, "+254700000096", role="admin"))
    body = text(admin.get(f"/console/loans/{loan.id}"))
    fee = str(Money(minor=loan.late_terms.late_fee_minor, currency="KES"))
    assert "Late charges and write-off" in body and fee in body
    assert write_offs.AUTOMATIC_REASON in body and "loan_losses:KES" in body and "recoveries:KES" in body


def test_offers_and_the_consent_disclose_the_late_terms(world: World) -> None:
    from mkopo.service import queries

    shown = [queries.offer_view(world.offer(term_days=t)) for t in (30,)]
    offers = {o["product"]: o for o in shown}
    assert all("late_fee" in o and "daily_penalty_rate" in o for o in offers.values())
    _, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    app = world.application(loan.id)
    assert app.offer.late_fee is not None and app.consent is not None
    assert app.consent.late_fee_minor == app.offer.late_fee.minor == loan.late_terms.late_fee_minor
    view = queries.application_view(app)
    assert view["consent"]["late_fee"] == str(app.offer.late_fee)


def test_a_daily_penalty_product_charges_each_day_once_within_the_cap(world: World) -> None:
    from mkopo.domain.charges import LateTerms

    user, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    stored = current(world, loan.id)
    stored.late_terms = LateTerms(late_fee_minor=0, daily_penalty_rate=Decimal("0.01"))
    world.store.col("loans")[loan.id] = stored
    assert [arrears(world, loan, d)["charges"] for d in (1, 1, 2)] == [1, 0, 1]
    notices = [p for p in world.publisher.published if p[0] == topology.CHARGE_APPLIED]
    assert len(notices) == 1  # told once, when the daily charge starts
    for day in range(3, 110):  # 1% a day on KES 5,250 reaches the cap after about 90 days
        arrears(world, loan, day)
    capped = current(world, loan.id)
    out = capped.position.outstanding
    room = out.principal - (out.interest + out.fees + out.penalties)
    assert 0 <= room < 100  # in-duplum reached to the whole shilling, never passed
    assert ledger.trial_balance(journal(world)) == {"KES": 0}
    assert ledger.loan_receivable_balance(journal(world), loan.id) == capped.outstanding.minor
    assert capped.penalties_charged_minor > 0 and len(capped.charges_made) < 107
    assert user.id == capped.borrower_id
