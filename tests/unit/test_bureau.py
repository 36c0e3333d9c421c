import csv
import io
from datetime import date, timedelta
from typing import Any

from mkopo.domain.bureau import (
    FIELDS,
    BorrowerIdentity,
    BureauRules,
    BureauStatus,
    bureau_row,
    may_list,
    needs_notice,
    reported_in,
    status_of,
)
from mkopo.domain.loans import Loan
from mkopo.domain.money import Money
from mkopo.service.bureau import file_name, month_bounds, previous_month, run_bureau
from mkopo.service.ports import SmsTransientError
from tests.unit.conftest import World
from tests.unit.fakes import FakeBureauSink
from tests.unit.loan_books import START, book_loan, noon

RULES = BureauRules()
DUE = START + timedelta(days=30)
WHO = BorrowerIdentity(phone="+254700000042", full_name="Amina W")


def test_no_negative_listing_without_notice_and_not_before_30_days() -> None:
    loan = book_loan(500_000)
    late = DUE + timedelta(days=3)
    assert status_of(loan, late) == BureauStatus.OVERDUE
    assert needs_notice(loan, late, RULES) and not may_list(loan, late, RULES)
    assert loan.record_bureau_notice(late, noon(late)) and not loan.record_bureau_notice(late, noon(late))
    assert not needs_notice(loan, late, RULES)
    assert not may_list(loan, late + timedelta(days=29), RULES)
    assert may_list(loan, late + timedelta(days=30), RULES)


def test_debts_at_or_below_the_threshold_are_never_listed_negatively() -> None:
    at_threshold = book_loan(90_910)  # 90,910 + 9,091 interest = KES 1,000.01 owed
    at_threshold.apply_payment(Money(minor=1, currency="KES"), noon(START))  # now exactly KES 1,000.00
    assert at_threshold.outstanding.minor == 100_000
    day = DUE + timedelta(days=60)
    at_threshold.record_bureau_notice(DUE, noon(DUE))
    assert not needs_notice(at_threshold, day, RULES) and not may_list(at_threshold, day, RULES)
    above = book_loan(90_910)
    assert needs_notice(above, day, RULES)
    ugx = book_loan(1_000, currency="UGX")  # no threshold configured for UGX
    assert needs_notice(ugx, day, RULES)


def test_positive_information_is_listed_without_notice() -> None:
    current = book_loan(500_000)
    assert may_list(current, START + timedelta(days=5), RULES) and not needs_notice(current, START, RULES)
    repaid = book_loan(500_000)
    repaid.apply_payment(Money(minor=550_000, currency="KES"), noon(DUE))
    row = bureau_row(repaid, WHO, month="2026-10", on=DUE + timedelta(days=40))
    assert row["status"] == "repaid" and row["repaid_on_time"] == "yes" and row["outstanding"] == "0.00"
    assert tuple(row) == FIELDS


def test_a_paid_debt_shows_repaid_once_paid() -> None:
    loan = book_loan(500_000)
    late = DUE + timedelta(days=10)
    loan.record_bureau_notice(late, noon(late))
    listed = late + timedelta(days=30)
    row = bureau_row(loan, WHO, month="2026-12", on=listed)
    assert row["status"] == "overdue" and row["days_past_due"] == "40" and row["arrears_amount"] == "5500.00"
    loan.apply_payment(Money(minor=550_000, currency="KES"), noon(listed + timedelta(days=2)))
    after = bureau_row(loan, WHO, month="2027-01", on=listed + timedelta(days=20))
    assert (
        after["status"] == "repaid" and after["repaid_on_time"] == "no" and after["arrears_amount"] == "0.00"
    )
    assert may_list(loan, listed + timedelta(days=20), RULES)


def test_a_month_reports_loans_open_in_it() -> None:
    first, last = month_bounds("2026-11")
    assert (first.isoformat(), last.isoformat()) == ("2026-11-01", "2026-11-30")
    assert previous_month(first) == "2026-10"
    loan = book_loan(500_000)  # disbursed 2026-10-01
    assert reported_in(loan, first, last)
    loan.apply_payment(Money(minor=550_000, currency="KES"), noon(DUE))  # repaid 2026-10-31
    assert not reported_in(loan, first, last) and reported_in(loan, *month_bounds("2026-10"))
    assert not reported_in(book_loan(start=last + timedelta(days=1)), first, last)


def _book(world: World, loan: Loan, phone: str = "+254700000042") -> Loan:
    user = world.user(phone)
    loan = loan.model_copy(update={"borrower_id": user.id, "phone": phone})
    world.store.transaction(lambda tx: tx.create_loan(loan))
    return loan


def _rows(sink: FakeBureauSink, month: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(sink.files[file_name(month)].decode())))


def _run(world: World, sink: FakeBureauSink, month: str, day: date) -> dict[str, Any]:
    return run_bureau(
        store=world.store, channel=world.sms, sink=sink, month=month, as_of=day, now=noon(day), rules=RULES
    )


def test_the_job_sends_the_notice_first_and_lists_30_days_later(world: World) -> None:
    sink = FakeBureauSink()
    loan = _book(world, book_loan(500_000))
    current = _book(world, book_loan(200_000, start=DUE, term_days=90), phone="+254700000043")
    late = DUE + timedelta(days=2)
    first = _run(world, sink, "2026-11", late)
    assert first | {"rows": 1, "withheld": 1, "notices": 1} == first
    assert [r["account_number"] for r in _rows(sink, "2026-11")] == [current.id]
    assert f"bureau_notice-{loan.id}" in world.sms.sent
    assert world.store.get_loan(loan.id).bureau_notice_on == late
    again = _run(world, sink, "2026-11", late + timedelta(days=29))
    assert again["notices"] == 0 and again["withheld"] == 1 and world.sms.sends == 1
    listed = _run(world, sink, "2026-11", late + timedelta(days=30))
    rows = {r["account_number"]: r for r in _rows(sink, "2026-11")}
    assert listed["withheld"] == 0 and rows[loan.id]["status"] == "overdue"
    assert rows[loan.id]["notice_sent_on"] == late.isoformat() and rows[loan.id]["full_name"] == "Amina W"


def test_no_listing_when_the_notice_could_not_be_sent(world: World) -> None:
    sink = FakeBureauSink()
    loan = _book(world, book_loan(500_000))
    world.sms.failures.append(SmsTransientError("provider down"))
    late = DUE + timedelta(days=40)
    out = _run(world, sink, "2026-11", late)
    assert (
        out["notices"] == 0
        and out["withheld"] == 1
        and world.store.get_loan(loan.id).bureau_notice_on is None
    )
    nxt = _run(world, sink, "2026-11", late + timedelta(days=1))
    assert nxt["notices"] == 1 and world.store.get_loan(loan.id).bureau_notice_on == late + timedelta(days=1)
