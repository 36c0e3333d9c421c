"""The USSD catalogue: plain ASCII (the provider advises against special characters), screens that fit."""

from __future__ import annotations

import string

import pytest

from mkopo.adapters.lenders import default_lenders
from mkopo.domain import ussd_texts

ALLOWED = set(string.ascii_letters + string.digits + string.punctuation + " \n")
# The longest realistic values: a lender's name, amounts of 100 million minor units, an ISO date.
LONGEST = {
    "lender": max((lender.name for lender in default_lenders()), key=len),
    "amount": "KES 1000000.00",
    "interest": "KES 1000000.00",
    "fees": "KES 1000000.00",
    "total": "KES 1000000.00",
    "principal": "KES 1000000.00",
    "outstanding": "KES 1000000.00",
    "available": "KES 1000000.00",
    "limit": "KES 1000000.00",
    "next": "KES 1000000.00",
    "due": "2027-01-01 KES 1000000.00",
    "date": "2027-01-01",
    "currency": "KES",
    "status": "ACTIVE",
    "name": "N" * 40,
    "minutes": 15,
    "number": 3,
    "installments": 52,
    "first_due": "2027-01-01",
    "reason": "R" * 120,
}


@pytest.mark.parametrize("key", sorted(ussd_texts.EN))
def test_every_text_is_plain_ascii_and_fits_a_screen_filled_in(key: str) -> None:
    text = ussd_texts.EN[key]
    assert set(text) <= ALLOWED, key
    values = dict(LONGEST)
    if key == "offers":
        line = ussd_texts.text("offer_line", **(LONGEST | {"due": "2027-01-01"}))
        values["lines"] = "\n".join([line] * 3)
    elif key == "statement":
        values["lines"] = "\n".join([ussd_texts.text("movement_out", **LONGEST)] * 3)
    elif key == "registered":
        values["menu"] = ussd_texts.text("main_menu")
    assert len(ussd_texts.text(key, **values)) <= ussd_texts.SCREEN_LIMIT, key


def test_a_language_without_a_catalogue_yet_reads_english() -> None:
    assert ussd_texts.text("ask_name", "sw") == ussd_texts.EN["ask_name"]
