"""Borrower-facing texts in English, Kiswahili and French: gettext catalogues, English as the msgid.

Texts are marked with ``N_`` where they are defined (``pybabel extract -k N_`` finds them) and translated
where they are used, with ``translate``, before their named placeholders are filled in: a translation may
reorder ``{amount}`` and ``{ref}`` but keeps them all. The catalogues are compiled ``.mo`` files beside this
package (``shared/mkopo/locale/<lang>/LC_MESSAGES/mkopo.mo``, committed with their ``.po``), read with the
standard library's ``gettext``: no Babel at run time.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import Literal, get_args

Language = Literal["en", "sw", "fr"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
SOURCE = "en"  # the msgids
DOMAIN = "mkopo"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def N_(message: str) -> str:
    """Mark an English text for extraction; it is translated where it is used."""
    return message


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English, the msgids themselves, when there is none)."""
    if language == SOURCE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def translate(message: str, language: str | None) -> str:
    """``message`` (an English msgid) in ``language``; English for an unknown or missing language."""
    if not language or language not in LANGUAGES:
        return message
    return catalogue(language).gettext(message)
