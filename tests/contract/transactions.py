"""Contract of the composite's transactions: all or nothing, reads first, re-run under contention."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from mkopo.service.store import Borrower, Conflict, IdempotencyRecord, Store, Transaction
from tests.contract.data import NOW, an_offer, application, loan, new_id
from tests.factories import checkout_submitted

CONTENDERS = 4


class Refused(Exception):
    pass


def first_attempt_waits(barrier: threading.Barrier) -> Callable[[], None]:
    """Wait at the barrier on the first attempt only: a re-run must not wait for the others."""
    waited: list[bool] = []

    def wait() -> None:
        if not waited:
            waited.append(True)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    return wait


class TransactionsContract:
    def test_a_transaction_returns_what_its_function_returns(self, store: Store) -> None:
        app = application(borrower_id=new_id("b"), offer=an_offer())

        def create(tx: Transaction) -> str:
            tx.create_application(app)
            return app.id

        assert store.transaction(create) == app.id
        assert store.write(lambda tx: "batched") == "batched"

    def test_nothing_is_written_when_the_function_fails(self, store: Store) -> None:
        app = application(borrower_id=new_id("b"), offer=an_offer())

        def fail_after_writing(tx: Transaction) -> None:
            tx.create_application(app)
            tx.add_event(checkout_submitted(app.id, NOW))
            raise Refused

        with pytest.raises(Refused):
            store.transaction(fail_after_writing)
        with pytest.raises(Refused):
            store.write(fail_after_writing)
        assert store.get_application(app.id) is None
        assert store.unsent_outbox(NOW.replace(year=2099), 10) == []

    def test_a_conflict_anywhere_writes_nothing(self, store: Store) -> None:
        key = new_id("key")
        record = IdempotencyRecord(key=key, request_hash="h", status_code=202, body={}, created_at=NOW)
        store.transaction(lambda tx: tx.create_idempotency(record))
        app = application(borrower_id=new_id("b"), offer=an_offer())

        def checkout(tx: Transaction) -> None:
            tx.create_application(app)
            tx.add_event(checkout_submitted(app.id, NOW))
            tx.save_borrower(Borrower(id=app.borrower_id, active_application_id=app.id))
            tx.create_idempotency(record)

        for run in (store.transaction, store.write):
            with pytest.raises(Conflict):
                run(checkout)
            assert store.get_application(app.id) is None
            assert store.unsent_outbox(NOW.replace(year=2099), 10) == []
            assert store.transaction(lambda tx: tx.get_borrower(app.borrower_id)) is None

    def test_of_concurrent_claims_on_a_borrower_exactly_one_wins(self, store: Store) -> None:
        """The exposure rule: each contender reads the borrower, then claims it if free."""
        borrower_id = new_id("b")
        all_have_read = threading.Barrier(CONTENDERS, timeout=5)

        def claim(n: int) -> bool:
            rendezvous = first_attempt_waits(all_have_read)

            def run(tx: Transaction) -> bool:
                held = tx.get_borrower(borrower_id)
                rendezvous()  # every contender has read before any commits
                if held is not None and held.active_application_id is not None:
                    return False
                tx.save_borrower(Borrower(id=borrower_id, active_application_id=f"app-{n}"))
                return True

            return store.transaction(run)

        with ThreadPoolExecutor(max_workers=CONTENDERS) as pool:
            won = list(pool.map(claim, range(CONTENDERS)))
        assert won.count(True) == 1
        held = store.transaction(lambda tx: tx.get_borrower(borrower_id))
        assert held is not None and held.active_application_id == f"app-{won.index(True)}"

    def test_concurrent_read_then_write_loses_no_update(self, store: Store) -> None:
        made = loan(borrower_id=new_id("b"), offer=an_offer())
        store.transaction(lambda tx: tx.create_loan(made))
        all_have_read = threading.Barrier(CONTENDERS, timeout=5)

        def pay_one(_: int) -> None:
            rendezvous = first_attempt_waits(all_have_read)

            def run(tx: Transaction) -> None:
                current = tx.get_loan(made.id)
                assert current is not None
                rendezvous()  # every contender has read before any commits
                tx.save_loan(current.model_copy(update={"paid_minor": current.paid_minor + 100}))

            store.transaction(run)

        with ThreadPoolExecutor(max_workers=CONTENDERS) as pool:
            list(pool.map(pay_one, range(CONTENDERS)))
        final = store.get_loan(made.id)
        assert final is not None and final.paid_minor == 100 * CONTENDERS
