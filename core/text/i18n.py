"""Translations: gettext catalogues under `locales/<lang>/LC_MESSAGES/duban.po`.

Message ids are English; `zh` (the default) and `en` catalogues translate them. The
.po files are the single source: they are compiled in memory at first use, so no
build step can leave a stale .mo behind. Use as::

    _ = translator("zh")
    _("Item {code} recorded").format(code=code)

never with an f-string inside `_()` (the extractor could not see the message id).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "duban"
SUPPORTED_LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"

Translate = Callable[[str], str]


def catalogue_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(locale: str) -> gettext.NullTranslations:
    path = catalogue_path(locale)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def normalize_locale(value: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a Telegram language_code or a user's choice to a supported locale."""
    if not value:
        return default
    short = value.strip().lower().replace("_", "-").split("-")[0]
    return short if short in SUPPORTED_LOCALES else default


def translator(locale: str | None) -> Translate:
    return _translations(normalize_locale(locale)).gettext


Plural = Callable[[str, str, int], str]  # ngettext(singular, plural, n)


def ngettext(locale: str | None) -> Plural:
    return _translations(normalize_locale(locale)).ngettext


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message
