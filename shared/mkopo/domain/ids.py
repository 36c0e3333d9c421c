"""The one shape of every id we mint (users, applications and loans, offers, repayments): a UUID in its
canonical lowercase form (``str(uuid.uuid4())``). Anything else cannot name one of our objects, so it is
refused before a store is asked (Firestore itself refuses ids such as ``__x__`` or ``..``)."""

from __future__ import annotations

import re

ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_ID = re.compile(ID_PATTERN)


def is_id(value: object) -> bool:
    """Whether ``value`` has the shape of one of our ids."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def check_id(value: str) -> str:
    """``value`` if it is one of our ids, else ValueError (for model validators)."""
    if not is_id(value):
        raise ValueError("is not an id (a lowercase UUID)")
    return value
