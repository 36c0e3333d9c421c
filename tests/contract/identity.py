"""Contract of the identity ports: accounts, refresh-token families, the user directory, login throttling."""

from __future__ import annotations

from datetime import timedelta

from mkopo.service.identity_store import IdentityStore, IdentityTransaction, RefreshToken, TokenFamily
from mkopo.service.store import Store
from tests.contract.data import NOW, at, audit, new_id, user


class AccountsContract:
    def test_a_saved_account_is_what_every_port_reads(self, store: Store, identity: IdentityStore) -> None:
        made = user()
        identity.transaction(lambda tx: tx.create_user(made))
        assert identity.transaction(lambda tx: tx.get_user(made.id)) == made
        renamed = made.model_copy(update={"full_name": "Amina Wanjiru"})
        identity.transaction(lambda tx: tx.save_user(renamed))
        assert store.get_user(made.id) == renamed
        assert identity.transaction(lambda tx: tx.get_user("a/b")) is None

    def test_an_account_change_and_its_audit_commit_together(
        self, store: Store, identity: IdentityStore
    ) -> None:
        made = user()
        store.transaction(lambda tx: tx.create_user(made))
        record = audit(entity_id=made.id, action="user_updated")

        def change(tx: IdentityTransaction) -> None:
            tx.save_user(made.model_copy(update={"role": "officer"}))
            tx.add_audit(record)

        identity.transaction(change)
        changed = store.get_user(made.id)
        assert changed is not None and changed.role == "officer"
        assert store.list_audit(made.id, 10) == [record]

    def test_a_released_phone_may_register_again(self, store: Store, identity: IdentityStore) -> None:
        made = user()
        store.transaction(lambda tx: tx.create_user(made))
        anonymised = made.model_copy(update={"status": "deleted", "full_name": ""})

        def delete(tx: IdentityTransaction) -> None:
            tx.release_phone(made.phone)
            tx.save_user(anonymised)

        identity.transaction(delete)
        assert store.get_user_by_phone(made.phone) is None
        assert store.get_user(made.id) == anonymised
        again = user().model_copy(update={"phone": made.phone})
        identity.transaction(lambda tx: tx.create_user(again))
        assert store.get_user_by_phone(made.phone) == again


class SessionsContract:
    def test_refresh_tokens_and_families_read_back_and_change(self, identity: IdentityStore) -> None:
        family = TokenFamily(id=new_id("family"), user_id=new_id("user"), created_at=NOW)
        token = RefreshToken(
            id=new_id("hash"), family_id=family.id, user_id=family.user_id, issued_at=NOW, expires_at=at(3600)
        )

        def login(tx: IdentityTransaction) -> None:
            tx.save_family(family)
            tx.save_refresh_token(token)

        identity.transaction(login)
        assert identity.transaction(
            lambda tx: (tx.get_refresh_token(token.id), tx.get_family(family.id))
        ) == (
            token,
            family,
        )
        used = token.model_copy(update={"used_at": at(60)})
        revoked = family.model_copy(update={"revoked_at": at(60), "revoked_reason": "reuse"})
        identity.transaction(lambda tx: (tx.save_refresh_token(used), tx.save_family(revoked)))
        assert identity.transaction(lambda tx: tx.get_refresh_token(token.id)) == used
        assert identity.transaction(lambda tx: tx.get_family(family.id)) == revoked
        assert identity.transaction(lambda tx: tx.get_refresh_token(new_id("hash"))) is None


class UserDirectoryContract:
    def test_users_by_id_after_a_cursor_with_a_role(self, store: Store, identity: IdentityStore) -> None:
        prefix = new_id("dir")
        people = [user(f"{prefix}-{n}", role="officer" if n % 2 else "applicant") for n in range(5)]
        store.write(lambda tx: [tx.create_user(u) for u in people])
        ids = [u.id for u in people]
        assert [u.id for u in identity.list_users(limit=10, after=None, role=None)] == ids
        assert [u.id for u in identity.list_users(limit=2, after=ids[1], role=None)] == ids[2:4]
        officers = identity.list_users(limit=10, after=None, role="officer")
        assert [u.id for u in officers] == [ids[1], ids[3]]
        assert [u.id for u in identity.list_users(limit=10, after=ids[1], role="officer")] == [ids[3]]
        assert identity.list_users(limit=10, after=ids[4], role=None) == []


class LoginThrottleContract:
    def test_failures_count_up_and_a_lock_starts_afresh(self, identity: IdentityStore) -> None:
        key, expires = new_id("phone"), at(900)
        assert identity.throttle_state(key).failures == 0
        assert identity.throttle_state(key).locked_until is None
        assert [identity.add_failure(key, expires_at=expires) for _ in range(3)] == [1, 2, 3]
        assert identity.throttle_state(key).failures == 3
        identity.lock(key, at(300))
        state = identity.throttle_state(key)
        assert (state.failures, state.locked_until) == (0, at(300))
        assert identity.add_failure(key, expires_at=expires) == 1
        identity.clear(key)
        assert identity.throttle_state(key).failures == 0
        assert identity.throttle_state(key).locked_until is None
        assert identity.throttle_state(new_id("phone")).failures == 0

    def test_keys_count_apart(self, identity: IdentityStore) -> None:
        first, second = new_id("ip"), new_id("ip")
        identity.add_failure(first, expires_at=NOW + timedelta(minutes=15))
        assert identity.add_failure(second, expires_at=NOW + timedelta(minutes=15)) == 1
        assert identity.throttle_state(first).failures == 1
