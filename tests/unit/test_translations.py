"""The catalogues: every borrower text in Kiswahili and French, placeholders kept, the compiled ``.mo`` up
to date with its ``.po``, and every SMS in GSM-7 within two segments at the largest amounts.

``pytest -s tests/unit/test_translations.py`` prints the segment report of every SMS in every language.
"""

from __future__ import annotations

import gettext
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from mkopo import metering
from mkopo.domain import i18n, messages

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE]
MAX_SEGMENTS = 2


def _po(language: str) -> dict[str, str]:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "mkopo.po").open("rb") as f:
        catalogue = read_po(f, locale=language)
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"{language}: fuzzy (unchecked) translations: {fuzzy}"
    return {str(m.id): str(m.string) for m in catalogue if m.id}


def _marked() -> set[str]:
    """Every text marked N_() in the runtime package, as ``make i18n-extract`` finds them."""
    found = extract_from_dir(
        str(ROOT / "shared" / "mkopo"), method_map=[("**.py", "python")], keywords={"N_": None}
    )
    return {str(message) for _, _, message, _, _ in found}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_template_and_every_catalogue_hold_exactly_the_marked_texts() -> None:
    marked = _marked()
    assert len(marked) > 50
    with (i18n.LOCALE_DIR / "mkopo.pot").open("rb") as f:
        template = {str(m.id) for m in read_po(f) if m.id}
    assert template == marked, "run make i18n-update (then translate and make i18n-compile)"
    for language in TRANSLATED:
        assert set(_po(language)) == marked, f"{language}: run make i18n-update"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_with_the_same_placeholders(language: str) -> None:
    problems = []
    for msgid, msgstr in _po(language).items():
        if not msgstr.strip():
            problems.append(f"untranslated: {msgid!r}")
        elif _placeholders(msgstr) != _placeholders(msgid):
            problems.append(f"placeholders differ: {msgid!r} -> {msgstr!r}")
        elif (msgid[:1] == " ") != (msgstr[:1] == " ") or msgid.count("\n") != msgstr.count("\n"):
            problems.append(f"leading space or lines differ: {msgid!r} -> {msgstr!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_po(language: str) -> None:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "mkopo.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    assert compiled.charset() == "utf-8"
    stale = {m: s for m, s in _po(language).items() if compiled.gettext(m) != s}
    assert not stale, f"{language}: run make i18n-compile; stale: {sorted(stale)[:5]}"


def test_the_runtime_reads_the_compiled_catalogues() -> None:
    assert messages.sms("started", "sw") != messages.sms("started", "fr") != messages.sms("started", "en")
    assert messages.sms("started", "xx") == messages.sms("started", None) == messages.sms("started", "en")


# ------------------------------------------------------------------------------------------ segments
AMOUNT = "TZS 5000000.00"  # the longest amount a borrower may see (KES 500,000.00 is one shorter)
LONGEST: dict[str, object] = {
    "ref": "ABCDEF12",
    "amount": AMOUNT,
    "total": AMOUNT,
    "cost": AMOUNT,
    "left": AMOUNT,
    "limit": AMOUNT,
    "lender": "L" * 30,  # longer than any lender's name today
    "apr": "999.99",
    "days": 365,
    "due": "2027-12-31",
    # restructuring and the bureau's notice
    "installments": 12,
    "first_due": "2027-12-31",
    "code": "123456",
    "expires": "2027-12-31",
    "listing": "2027-12-31",
}


def _filled(name: str, language: str) -> str:
    values = dict(LONGEST)
    reasons = sorted((messages.reason_text(c, language) for c in messages.REASON_TEXT), key=len)
    values["why"] = "; ".join(reasons[-2:])
    values["extra"] = messages.sms("received_extra", language, **LONGEST)
    values["limit"] = messages.sms("repaid_limit", language, **LONGEST)
    values["waived"] = messages.sms("restructure_waived", language, **LONGEST)
    values["loans"] = "; ".join([messages.sms("owe_loan_due", language, **LONGEST)] * 2)
    return messages.sms(name, language, **values)


def _report() -> tuple[str, list[str]]:
    rows, bad = [f"{'sms':<22}" + "".join(f"{lang:>16}" for lang in i18n.LANGUAGES)], []
    for name in sorted(messages.SMS):
        cells = []
        for language in i18n.LANGUAGES:
            text = _filled(name, language)
            encoding, count = "GSM-7" if metering.gsm7(text) else "UCS-2", metering.sms_segments(text)
            cells.append(f"{encoding} {len(text):>3}/{count}".rjust(16))
            if encoding != "GSM-7" or count > MAX_SEGMENTS:
                outside = sorted({ch for ch in text if not metering.gsm7(ch)})
                bad.append(
                    f"{name} [{language}]: {encoding}, {count} segments, outside GSM-7 {outside}: {text!r}"
                )
        rows.append(f"{name:<22}" + "".join(cells))
    return "\n".join(rows), bad


def test_every_sms_is_gsm7_within_two_segments_in_every_language_at_the_largest_amounts() -> None:
    table, bad = _report()
    print("\nSMS segments at the largest amounts (encoding characters/segments):\n" + table)
    assert not bad, table + "\n" + "\n".join(bad)


def test_the_segment_counter_knows_gsm7_its_extension_and_ucs2() -> None:
    assert metering.sms_segments("a" * 160) == 1 and metering.sms_segments("a" * 161) == 2
    assert metering.gsm7("é" * 160) and metering.sms_segments("é" * 160) == 1
    assert metering.sms_segments("{" * 80) == 1 and metering.sms_segments("{" * 81) == 2
    assert not metering.gsm7("prêt reçu") and not metering.gsm7("\u2019")  # typographic apostrophe
    assert metering.sms_segments("â" * 70) == 1 and metering.sms_segments("â" * 71) == 2
