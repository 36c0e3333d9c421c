"""Lender catalogues: each lender is its own adapter with its own products, limits and pricing."""

from __future__ import annotations

from mkopo.adapters.lenders.catalogue import CatalogueLender
from mkopo.adapters.lenders.jamii import JAMII
from mkopo.adapters.lenders.mwanga import MWANGA
from mkopo.adapters.lenders.tujenge import TUJENGE


def default_lenders() -> tuple[CatalogueLender, ...]:
    return (JAMII, MWANGA, TUJENGE)
