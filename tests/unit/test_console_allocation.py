"""The loan page's repayment allocation: per repayment, installment and component, in allocation order,
with any overpayment to the borrower's credit; from the repayment, else from its journal entry."""

from __future__ import annotations

import re

from mkopo.domain.money import Money
from mkopo.service import console_queries
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer
from tests.unit.test_console import signed_in, staff, text
from tests.unit.test_loans import disbursed, repay


def rows_of(body: str) -> list[list[str]]:
    """The allocation table's rows, each as its cells' text."""
    table = body.split('id="allocation"', 1)[1].split("</table>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_the_loan_page_shows_how_each_repayment_was_allocated(world: World) -> None:
    user, loan = disbursed(world, "+254700000070")
    total = loan.outstanding.minor
    interest, fees = loan.schedule.interest.minor, loan.schedule.fees.minor
    repay(world, user, loan, "100", "a1")  # less than the fees: all to fees
    repay(world, user, loan, str(Money(minor=total - 10_000, currency="KES")), "a2")
    admin = signed_in(FakeContainer(world), staff(world, "+254700000071", role="admin"))
    body = text(admin.get(f"/console/loans/{loan.id}"))
    assert "<caption>How each repayment was applied" in body and '<th scope="rowgroup"' in body
    header, *rows = rows_of(body)
    first, second = sorted(rows, key=lambda r: len(r[0]))  # 100.00 first, then the larger amount
    assert header == ["Repayment", "Installment", "Penalties", "Fees", "Interest", "Principal", "Total"]
    assert first[0].startswith("100.00 ") and first[1:] == ["#1", "0.00", "100.00", "0.00", "0.00", "100.00"]
    money = lambda minor: str(Money(minor=minor, currency="KES"))  # noqa: E731
    assert second[1:] == [
        "#1",
        "0.00",
        money(fees - 10_000),
        money(interest),
        money(loan.schedule.principal.minor),
        money(total - 10_000),
    ]
    assert fees >= 10_000  # the first repayment went to fees only


def test_a_repayment_without_a_kept_allocation_is_read_from_its_journal_entry(world: World) -> None:
    user, loan = disbursed(world, "+254700000072")
    repay(world, user, loan, "100", "b1")
    [rep] = world.store.list_repayments(loan.id, 10)
    world.store.col("repayments")[rep.id] = rep.model_copy(update={"allocation": (), "overpayment_minor": 0})
    [shown] = console_queries.loan_page(world.store, loan.id, world.now)["allocations"]
    assert shown["rows"] == [
        {
            "installment": "all",
            "penalties": "0.00",
            "fees": "100.00",
            "interest": "0.00",
            "principal": "0.00",
            "total": "100.00",
        }
    ]
    assert shown["overpayment"] is None
