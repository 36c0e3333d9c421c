"""SMS segments (3GPP TS 23.038): the GSM-7 alphabet, its extension table, and how many segments a text
takes. A text with one character outside GSM-7 goes as UCS-2: 70 characters a segment instead of 160."""

from __future__ import annotations

import math
from typing import NamedTuple

BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("^{}\\[~]|€\f")  # two septets each (an escape, then the character)


class Segments(NamedTuple):
    encoding: str  # GSM-7 | UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int
    outside: str  # the characters that forced UCS-2


def segments(text: str) -> Segments:
    """How ``text`` goes out: its encoding, its length in that encoding and its number of segments."""
    outside = "".join(sorted({ch for ch in text if ch not in BASIC and ch not in EXTENSION}))
    if outside:
        units = len(text.encode("utf-16-le")) // 2
        return Segments("UCS-2", units, 1 if units <= 70 else math.ceil(units / 67), outside)
    units = sum(2 if ch in EXTENSION else 1 for ch in text)
    return Segments("GSM-7", units, 1 if units <= 160 else math.ceil(units / 153), "")
