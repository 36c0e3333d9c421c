"""Contract of the exporters' bookkeeping: leases with one holder at a time."""

from __future__ import annotations

from datetime import timedelta

from mkopo.service.store import Store
from tests.contract.data import NOW, new_id


class LeasesContract:
    def test_one_holder_until_released_or_expired(self, store: Store) -> None:
        name, ttl = new_id("export"), timedelta(seconds=30)
        assert store.acquire_lease(name, "a", NOW, ttl)
        assert store.acquire_lease(name, "a", NOW + timedelta(seconds=10), ttl)  # renewal by its holder
        assert not store.acquire_lease(name, "b", NOW + timedelta(seconds=39), ttl)  # renewed: still a's
        assert store.acquire_lease(name, "b", NOW + timedelta(seconds=41), ttl)  # a's lease expired
        store.release_lease(name, "a")  # not a's any more: no effect
        assert not store.acquire_lease(name, "c", NOW + timedelta(seconds=42), ttl)
        store.release_lease(name, "b")
        assert store.acquire_lease(name, "c", NOW, ttl)

    def test_leases_are_independent_by_name(self, store: Store) -> None:
        ttl = timedelta(seconds=30)
        first, second = new_id("export"), new_id("export")
        assert store.acquire_lease(first, "a", NOW, ttl)
        assert store.acquire_lease(second, "b", NOW, ttl)
        store.release_lease(first, "b")
        assert not store.acquire_lease(first, "b", NOW, ttl)
