"""The USSD catalogue: plain ASCII (the provider advises against special characters), screens that fit, in
every language."""

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


@pytest.mark.parametrize("language", ussd_texts.LANGUAGES)
@pytest.mark.parametrize("key", sorted(ussd_texts.EN))
def test_every_text_is_plain_ascii_and_fits_a_screen_filled_in(key: str, language: str) -> None:
    values = dict(LONGEST)
    if key == "offers":
        line = ussd_texts.text("offer_line", language, **(LONGEST | {"due": "2027-01-01"}))
        values["lines"] = "\n".join([line] * 3)
    elif key == "statement":
        values["lines"] = "\n".join([ussd_texts.text("movement_out", language, **LONGEST)] * 3)
    elif key == "registered":
        values["menu"] = ussd_texts.text("main_menu", language)
    screen = ussd_texts.text(key, language, **values)
    assert set(screen) <= ALLOWED, (key, language, set(screen) - ALLOWED)
    assert len(screen) <= ussd_texts.SCREEN_LIMIT, (key, language, len(screen))


def test_every_screen_reads_in_the_chosen_language_and_english_for_an_unknown_one() -> None:
    screens = {lang: ussd_texts.text("main_menu", lang) for lang in ussd_texts.LANGUAGES}
    assert len(set(screens.values())) == len(ussd_texts.LANGUAGES)
    assert ussd_texts.text("ask_name", "xx") == ussd_texts.text("ask_name") == ussd_texts.EN["ask_name"]
