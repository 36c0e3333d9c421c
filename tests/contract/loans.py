"""Contract of the Loans port: loans, repayments and the (append-only) journal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from mkopo.domain.allocation import LoanStatus
from mkopo.domain.charges import ChargeRules, LateTerms
from mkopo.domain.ledger import AccountKind
from mkopo.domain.repayments import RepaymentStatus
from mkopo.service.store import Conflict, Store
from tests.contract.data import an_offer, at, disbursement_entries, loan, new_id, repayment


class LoansContract:
    def test_a_created_loan_reads_back_equal_and_is_created_once(self, store: Store) -> None:
        made = loan(borrower_id=new_id("b"), offer=an_offer())
        store.transaction(lambda tx: tx.create_loan(made))
        assert store.get_loan(made.id) == made
        assert store.transaction(lambda tx: tx.get_loan(made.id)) == made
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.create_loan(made.model_copy(update={"paid_minor": 1})))
        assert store.get_loan(made.id) == made
        assert store.get_loan(new_id("loan")) is None and store.get_loan("a/b") is None

    def test_save_replaces_the_loan(self, store: Store) -> None:
        made = loan(borrower_id=new_id("b"), offer=an_offer())
        store.transaction(lambda tx: tx.create_loan(made))
        repaid = made.model_copy(
            update={"status": LoanStatus.REPAID, "paid_minor": 12_345, "repaid_at": at(60)}
        )
        store.transaction(lambda tx: tx.save_loan(repaid))
        assert store.get_loan(made.id) == repaid

    def test_a_charged_and_written_off_loan_reads_back_equal(self, store: Store) -> None:
        made = loan(borrower_id=new_id("b"), offer=an_offer())
        made.late_terms = LateTerms(late_fee_minor=50_000, daily_penalty_rate=Decimal("0.0015"))
        store.transaction(lambda tx: tx.create_loan(made))
        on = made.schedule.installments[0].due_date + timedelta(days=1)
        made.charge_late(on, ChargeRules(), at(60))
        made.write_off(reason="uncollectable", actor_id=new_id("admin"), at=at(61))
        assert made.written_off is not None and made.written_off.amount.penalties > 0
        store.transaction(lambda tx: tx.save_loan(made))
        assert store.get_loan(made.id) == made
        assert [x.id for x in store.list_loans_by_status(LoanStatus.WRITTEN_OFF.value, 500)].count(
            made.id
        ) == 1

    def test_a_borrowers_loans_newest_disbursement_first_up_to_the_limit(self, store: Store) -> None:
        borrower, offer = new_id("b"), an_offer()
        loans = [loan(borrower_id=borrower, offer=offer, disbursed=s) for s in (0, 20, 10)]
        stranger = loan(borrower_id=new_id("b"), offer=offer, disbursed=30)
        store.write(lambda tx: [tx.create_loan(x) for x in [*loans, stranger]])
        assert [x.id for x in store.list_loans(borrower, 10)] == [loans[1].id, loans[2].id, loans[0].id]
        assert [x.id for x in store.list_loans(borrower, 1)] == [loans[1].id]

    def test_loans_by_status_only_that_status_up_to_the_limit(self, store: Store) -> None:
        offer = an_offer()
        active = [loan(borrower_id=new_id("b"), offer=offer, disbursed=s) for s in range(3)]
        repaid = loan(borrower_id=new_id("b"), offer=offer).model_copy(update={"status": LoanStatus.REPAID})
        store.write(lambda tx: [tx.create_loan(x) for x in [*active, repaid]])
        assert {x.id for x in store.list_loans_by_status(LoanStatus.ACTIVE.value, 10)} == {
            x.id for x in active
        }
        two = store.list_loans_by_status(LoanStatus.ACTIVE.value, 2)
        assert len(two) == 2 and {x.id for x in two} <= {x.id for x in active}
        assert [x.id for x in store.list_loans_by_status(LoanStatus.REPAID.value, 10)] == [repaid.id]

    def test_repayments_read_back_and_list_oldest_request_first(self, store: Store) -> None:
        made = loan(borrower_id=new_id("b"), offer=an_offer())
        reps = [repayment(loan=made, requested=s) for s in (20, 0, 10)]
        other = repayment(loan=loan(borrower_id=made.borrower_id, offer=an_offer()), requested=5)
        store.write(lambda tx: [tx.create_repayment(r) for r in [*reps, other]])
        assert store.get_repayment(reps[0].id) == reps[0]
        assert store.transaction(lambda tx: tx.get_repayment(reps[0].id)) == reps[0]
        assert [r.id for r in store.list_repayments(made.id, 10)] == [reps[1].id, reps[2].id, reps[0].id]
        assert [r.id for r in store.list_repayments(made.id, 2)] == [reps[1].id, reps[2].id]
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.create_repayment(reps[0]))

    def test_repayments_by_status_oldest_request_first_up_to_the_limit(self, store: Store) -> None:
        made = loan(borrower_id=new_id("b"), offer=an_offer())
        pending = [repayment(loan=made, requested=s) for s in (30, 10, 20)]
        settled = repayment(loan=made, requested=0, status=RepaymentStatus.SUCCESSFUL)
        store.write(lambda tx: [tx.create_repayment(r) for r in [*pending, settled]])
        oldest = [pending[1].id, pending[2].id, pending[0].id]
        assert [r.id for r in store.list_repayments_by_status(RepaymentStatus.PENDING.value, 10)] == oldest
        assert [r.id for r in store.list_repayments_by_status(RepaymentStatus.PENDING.value, 2)] == oldest[:2]
        settled_now = pending[0].model_copy(
            update={"status": RepaymentStatus.SUCCESSFUL, "settled_at": at(40)}
        )
        store.transaction(lambda tx: tx.save_repayment(settled_now))
        assert [r.id for r in store.list_repayments_by_status(RepaymentStatus.PENDING.value, 10)] == oldest[
            :2
        ]
        assert store.get_repayment(pending[0].id) == settled_now

    def test_journal_entries_are_immutable_and_read_back_oldest_first(self, store: Store) -> None:
        made = loan(borrower_id=new_id("b"), offer=an_offer())
        later, earlier = disbursement_entries(made, at_s=100), disbursement_entries(made, at_s=0)
        store.write(lambda tx: [tx.add_journal_entry(e) for e in [*later, *earlier]])
        everything = [earlier[0].id, earlier[1].id, later[0].id, later[1].id]
        assert [e.id for e in store.journal_entries()] == everything
        assert store.journal_entries(limit=1) == [earlier[0]]
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.add_journal_entry(earlier[0]))

    def test_journal_entries_by_account_and_up_to_a_time(self, store: Store) -> None:
        made, offer = loan(borrower_id=new_id("b"), offer=an_offer()), an_offer()
        other = loan(borrower_id=new_id("b"), offer=offer)
        booked, settled = disbursement_entries(made, at_s=0)
        other_booked, _ = disbursement_entries(other, at_s=10)
        store.write(lambda tx: [tx.add_journal_entry(e) for e in (booked, settled, other_booked)])
        receivable = next(
            str(line.account) for line in booked.lines if line.account.kind == AccountKind.LOANS_RECEIVABLE
        )
        assert store.journal_entries(account=receivable) == [booked]
        cash = next(
            str(line.account) for line in settled.lines if line.account.kind == AccountKind.CASH_AT_PROVIDER
        )
        assert store.journal_entries(account=cash) == [settled]
        assert [e.id for e in store.journal_entries(until=settled.occurred_at)] == [booked.id, settled.id]
        assert store.journal_entries(account=receivable, until=at(-1)) == []
        assert store.journal_entries(account="loans_receivable:nobody") == []
