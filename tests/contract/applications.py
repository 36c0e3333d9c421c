"""Contract of the Applications port (and the borrower's exposure document)."""

from __future__ import annotations

import pytest

from mkopo.domain.applications import Status
from mkopo.service.store import Borrower, Conflict, Store
from tests.contract.data import NOW, an_offer, application, new_id


class ApplicationsContract:
    def test_a_created_application_reads_back_equal(self, store: Store) -> None:
        app = application(borrower_id=new_id("b"), offer=an_offer())
        store.transaction(lambda tx: tx.create_application(app))
        assert store.get_application(app.id) == app
        assert store.transaction(lambda tx: tx.get_application(app.id)) == app

    def test_missing_or_malformed_ids_are_not_found(self, store: Store) -> None:
        assert store.get_application(new_id("app")) is None
        assert store.get_application("") is None
        assert store.get_application("a/b") is None
        assert store.transaction(lambda tx: tx.get_application(new_id("app"))) is None

    def test_creating_an_application_twice_is_a_conflict_and_keeps_the_first(self, store: Store) -> None:
        app = application(borrower_id=new_id("b"), offer=an_offer())
        store.transaction(lambda tx: tx.create_application(app))
        other = app.model_copy(update={"phone": "+254700000099"})
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.create_application(other))
        with pytest.raises(Conflict):
            store.write(lambda tx: tx.create_application(other))
        assert store.get_application(app.id) == app

    def test_save_replaces_the_application(self, store: Store) -> None:
        app = application(borrower_id=new_id("b"), offer=an_offer())
        store.transaction(lambda tx: tx.create_application(app))
        scored = app.model_copy(
            update={"status": Status.SCORED, "updated_at": app.updated_at.replace(year=2099)}
        )
        store.transaction(lambda tx: tx.save_application(scored))
        assert store.get_application(app.id) == scored

    def test_a_borrowers_applications_newest_first_up_to_the_limit(self, store: Store) -> None:
        borrower, offer = new_id("b"), an_offer()
        apps = [application(borrower_id=borrower, offer=offer, created=s) for s in (20, 0, 10)]
        stranger = application(borrower_id=new_id("b"), offer=offer, created=30)
        store.write(lambda tx: [tx.create_application(a) for a in [*apps, stranger]])
        assert [a.id for a in store.list_applications(borrower, 10)] == [apps[0].id, apps[2].id, apps[1].id]
        assert [a.id for a in store.list_applications(borrower, 2)] == [apps[0].id, apps[2].id]
        assert store.list_applications(new_id("b"), 10) == []

    def test_applications_by_status_oldest_update_first_up_to_the_limit(self, store: Store) -> None:
        offer = an_offer()
        queue = [
            application(borrower_id=new_id("b"), offer=offer, updated=s, status=Status.MANUAL_REVIEW)
            for s in (30, 10, 20)
        ]
        other = application(borrower_id=new_id("b"), offer=offer, updated=0, status=Status.APPROVED)
        store.write(lambda tx: [tx.create_application(a) for a in [*queue, other]])
        oldest = [queue[1].id, queue[2].id, queue[0].id]
        assert [a.id for a in store.list_applications_by_status(Status.MANUAL_REVIEW.value, 10)] == oldest
        assert [a.id for a in store.list_applications_by_status(Status.MANUAL_REVIEW.value, 2)] == oldest[:2]
        assert [a.id for a in store.list_applications_by_status(Status.APPROVED.value, 10)] == [other.id]

    def test_a_borrower_is_absent_until_saved(self, store: Store) -> None:
        borrower = Borrower(id=new_id("b"), active_application_id="app-1")
        assert store.transaction(lambda tx: tx.get_borrower(borrower.id)) is None
        store.transaction(lambda tx: tx.save_borrower(borrower))
        assert store.transaction(lambda tx: tx.get_borrower(borrower.id)) == borrower
        cleared = borrower.model_copy(update={"active_application_id": None})
        store.transaction(lambda tx: tx.save_borrower(cleared))
        assert store.transaction(lambda tx: tx.get_borrower(borrower.id)) == cleared
        assert store.get_borrower(borrower.id) == cleared

    def test_a_borrowers_credit_profile_reads_back_equal(self, store: Store) -> None:
        borrower = Borrower(id=new_id("b"))
        borrower.credit.loan_disbursed("loan-1", NOW)
        borrower.credit.loan_repaid("loan-1", principal_minor=500_000, days_late=0, at=NOW)
        borrower.credit.observe_external_limit(5_000_000)
        store.transaction(lambda tx: tx.save_borrower(borrower))
        assert store.get_borrower(borrower.id) == borrower
        assert store.transaction(lambda tx: tx.get_borrower(borrower.id)) == borrower
        assert store.get_borrower(new_id("b")) is None and store.get_borrower("a/b") is None
