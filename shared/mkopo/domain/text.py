"""Rules for free text people give us about themselves (names)."""

from __future__ import annotations

import unicodedata

# Control, format (bidi overrides, zero-width), surrogate and private-use characters: never in a name.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


def check_name(value: str) -> str:
    """``value`` if it is printable text, else ValueError (for model validators)."""
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value):
        raise ValueError("must not contain control or invisible formatting characters")
    return value


def check_optional_name(value: str | None) -> str | None:
    return None if value is None else check_name(value)
