"""Contract of the Offers port, and of the reads that fetch two aggregates in one round trip."""

from __future__ import annotations

from mkopo.service.store import Store
from tests.contract.data import an_offer, application, new_id, notification, user


class OffersContract:
    def test_saved_offers_read_back_equal(self, store: Store) -> None:
        offers = [an_offer("5000"), an_offer("7000")]
        store.save_offers(offers)
        assert [store.get_offer(o.id) for o in offers] == offers
        assert store.get_offer(new_id("offer")) is None
        assert store.get_offer("") is None and store.get_offer("a/b") is None

    def test_saving_an_offer_again_replaces_it(self, store: Store) -> None:
        offer = an_offer()
        store.save_offers([offer])
        later = offer.model_copy(update={"expires_at": offer.expires_at.replace(year=2099)})
        store.save_offers([later])
        assert store.get_offer(offer.id) == later


class JointReadsContract:
    def test_user_and_offer_are_read_together(self, store: Store) -> None:
        made, offer = user(), an_offer()
        store.transaction(lambda tx: tx.create_user(made))
        store.save_offers([offer])
        assert store.get_user_and_offer(made.id, offer.id) == (made, offer)
        assert store.get_user_and_offer(made.id, new_id("offer")) == (made, None)
        assert store.get_user_and_offer(new_id("user"), offer.id) == (None, offer)
        assert store.get_user_and_offer("a/b", "") == (None, None)

    def test_notification_and_application_are_read_together(self, store: Store) -> None:
        app = application(borrower_id=new_id("b"), offer=an_offer())
        note = notification(user_id=app.borrower_id)
        store.transaction(lambda tx: tx.create_application(app))
        store.save_notification(note)
        assert store.get_notification_and_application(note.id, app.id) == (note, app)
        assert store.get_notification_and_application(new_id("note"), app.id) == (None, app)
        assert store.get_notification_and_application(note.id, new_id("app")) == (note, None)
