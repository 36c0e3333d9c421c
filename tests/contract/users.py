"""Contract of the Users port: a user and the link that keeps their phone unique."""

from __future__ import annotations

import pytest

from mkopo.service.store import Conflict, Store
from tests.contract.data import new_id, user


class UsersContract:
    def test_a_created_user_is_found_by_id_and_by_phone(self, store: Store) -> None:
        made = user()
        store.transaction(lambda tx: tx.create_user(made))
        assert store.get_user(made.id) == made
        assert store.get_user_by_phone(made.phone) == made
        assert store.transaction(lambda tx: tx.get_user_id_by_phone(made.phone)) == made.id

    def test_unknown_or_malformed_users_are_not_found(self, store: Store) -> None:
        assert store.get_user(new_id("user")) is None
        assert store.get_user("a/b") is None and store.get_user("") is None
        assert store.get_user_by_phone("+254799999999") is None
        assert store.transaction(lambda tx: tx.get_user_id_by_phone("+254799999999")) is None

    def test_a_phone_belongs_to_one_user(self, store: Store) -> None:
        first = user()
        store.transaction(lambda tx: tx.create_user(first))
        second = user().model_copy(update={"phone": first.phone})
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.create_user(second))
        assert store.get_user(second.id) is None  # nothing half-written
        assert store.get_user_by_phone(first.phone) == first

    def test_a_user_id_is_created_once(self, store: Store) -> None:
        first = user()
        store.transaction(lambda tx: tx.create_user(first))
        with pytest.raises(Conflict):
            store.write(lambda tx: tx.create_user(user(first.id)))
        assert store.get_user(first.id) == first

    def test_changing_a_user_read_changes_nothing_stored(self, store: Store) -> None:
        made = user()
        store.transaction(lambda tx: tx.create_user(made))
        read = store.get_user(made.id)
        assert read is not None
        read.full_name = "Someone Else"
        assert store.get_user(made.id) == made
