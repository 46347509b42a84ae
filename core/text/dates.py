"""Dates as people type them: the one parser behind every command that takes a date.

The rule: a year of four digits, then month and day, separated all by `-`, all by `/` or
all by `.` (`2020-10-01`, `2020/10/1`, `2020.10.01`), or written `2020年10月1日`;
full-width digits and punctuation count as their plain forms. The date must exist and
its year lie within YEAR_RANGE (a typo such as 2202 is refused, not stored). Anything
else raises `BadDate`, which carries the reply in the user's language.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from core.text.i18n import N_, Translate

YEAR_RANGE = (2000, 2100)  # inclusive
_SEPARATED = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_CHINESE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")


class BadDate(ValueError):
    """The text is not a date by the rule above."""

    MESSAGE = N_("“{text}” is not a date. Write it as YYYY-MM-DD, e.g. 2020-06-30.")

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def reply(self, _: Translate) -> str:
        """What to tell the user, in their language."""
        return _(self.MESSAGE).format(text=self.text[:20])


def parse_date(text: str) -> dt.date:
    """The date `text` means (see the module docstring), or BadDate."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    separated = _SEPARATED.match(cleaned)
    chinese = _CHINESE.match(cleaned)
    if separated:
        parts = (separated[1], separated[3], separated[4])
    elif chinese:
        parts = (chinese[1], chinese[2], chinese[3])
    else:
        raise BadDate(text)
    try:
        date = dt.date(*(int(part) for part in parts))
    except ValueError as exc:
        raise BadDate(text) from exc
    if not YEAR_RANGE[0] <= date.year <= YEAR_RANGE[1]:
        raise BadDate(text)
    return date
