"""Borrower phone numbers: validated and normalised to E.164 for the markets we serve."""

from __future__ import annotations

from mkopo.domain.money import Currency

# Market → (region code, currency of loans for borrowers there).
MARKETS: dict[str, Currency] = {"KE": "KES", "UG": "UGX", "TZ": "TZS", "RW": "RWF", "NG": "NGN", "GH": "GHS"}
# Each market's calling code belongs to that region alone, so a normalised number's prefix names its market
# (what phonenumbers.region_code_for_number answers, without importing phonenumbers: cold start matters).
CALLING_CODES: dict[str, str] = {
    "+254": "KE",
    "+256": "UG",
    "+255": "TZ",
    "+250": "RW",
    "+234": "NG",
    "+233": "GH",
}


class InvalidPhone(ValueError):
    """Not a valid mobile number in a market we serve."""


def normalise(raw: str) -> str:
    """Return the E.164 form (+2547...) of a mobile number from a supported market."""
    import phonenumbers

    text = raw.strip()
    try:
        # Numbers without a leading '+' are read as international if they start with a country code.
        parsed = phonenumbers.parse(text if text.startswith("+") else "+" + text.lstrip("0"), None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("not a phone number; use the international form, e.g. +254712345678") from exc
    region = phonenumbers.region_code_for_number(parsed)
    if region not in MARKETS:
        if not region:
            raise InvalidPhone("use the international form with the country code, e.g. +254712345678")
        raise InvalidPhone(f"numbers from {region} are not supported yet")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("not a valid mobile number")
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhone("a mobile-money number is needed")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def market_of(e164: str) -> str:
    """The region code (KE, UG, ...) of a normalised number."""
    market = CALLING_CODES.get(e164[:4])
    if market is not None:
        return market
    import phonenumbers

    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""


def currency_of(e164: str) -> Currency:
    return MARKETS[market_of(e164)]


def masked(e164: str) -> str:
    """A number safe for logs and screens: +2547******01."""
    return e164[:5] + "*" * (len(e164) - 7) + e164[-2:]
