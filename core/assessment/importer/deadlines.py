"""Campaign year and item deadlines from Chinese date wording.

Assessment items say when they are due in words relative to the campaign
year: "年底前" (before the end of the year), "6月底前" (before the end of
June), "9月30日前". This module turns such wording into a date, given the
campaign year, and finds the campaign year in a document's text.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from core.assessment.importer.numerals import parse_numeral

_MONTH = r"(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
# An explicit year in front of a deadline ("2021年底前") overrides the campaign year.
_YEAR_PREFIX = r"(?:(20\d{2})年)?"

# "X月X日前" / "X月X日之前" / "X月X日以前" -> that date.
_DAY_DEADLINE = re.compile(_YEAR_PREFIX + r"(?<!\d)" + _MONTH + r"月(\d{1,2})[日号](?:之|以)?前")
# "X月底前" / "X月底" / "X月末" -> last day of that month.
_MONTH_END = re.compile(_YEAR_PREFIX + r"(?<!\d)" + _MONTH + r"月(?:底|末)")
# "年底前" / "年底" / "年末" / "年内" / "年终" -> 31 December. "三年内" (within
# three years) is a duration, hence no digit or Chinese numeral right before.
_YEAR_END = re.compile(r"(?:(20\d{2})年|(?<![0-9一二三四五六七八九十两几]))(?:年底|年末|年内|年终)")
_EXPLICIT_YEAR_END = re.compile(r"(20\d{2})年(?:底|末|内|终)")
# "上半年" -> 30 June.
_HALF_YEAR = re.compile(r"上半年")

# "2020年" / "2020年度", not part of a longer number.
_YEAR_MENTION = re.compile(r"(?<!\d)(20\d{2})\s*年")


def _month(token: str) -> int:
    month = parse_numeral(token)  # the importer's one numeral parser: "6", "十二"
    assert month is not None  # _MONTH matched it
    return month


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_deadline(text: str, campaign_year: int | None) -> date | None:
    """The deadline an item's text states, or None.

    Relative wording needs the campaign year; an explicit year ("2021年底前")
    does not. If a text names several deadlines ("6月底前完成摸底，年底前完成
    整治") the latest is the item's deadline: the item is done only then.
    """
    found: list[date] = []

    def year_of(explicit: str | None) -> int | None:
        return int(explicit) if explicit else campaign_year

    for match in _DAY_DEADLINE.finditer(text):
        year = year_of(match.group(1))
        if year is not None:
            day = _safe_date(year, _month(match.group(2)), int(match.group(3)))
            if day is not None:
                found.append(day)
    for match in _MONTH_END.finditer(text):
        year = year_of(match.group(1))
        if year is not None:
            month = _month(match.group(2))
            found.append(date(year, month, calendar.monthrange(year, month)[1]))
    for match in _EXPLICIT_YEAR_END.finditer(text):
        found.append(date(int(match.group(1)), 12, 31))
    for match in _YEAR_END.finditer(text):
        year = year_of(match.group(1))
        if year is not None:
            found.append(date(year, 12, 31))
    if campaign_year is not None and _HALF_YEAR.search(text):
        found.append(date(campaign_year, 6, 30))
    return max(found) if found else None


# A 完成时限 cell that means the whole year: due at its end.
_WHOLE_YEAR = re.compile(r"^(全年|全年度|年度|本年度|长期|持续|常态化|长期坚持|持续推进)")


def find_column_deadline(text: str, campaign_year: int | None) -> date | None:
    """The deadline a 完成时限 cell states: as :func:`find_deadline`, and "全年" = year end."""
    found = find_deadline(text, campaign_year)
    if found is None and campaign_year is not None and _WHOLE_YEAR.match(text.strip()):
        return date(campaign_year, 12, 31)
    return found


def detect_year(title: str | None, lines: Iterable[str]) -> int | None:
    """The campaign year a document is about.

    A year in the title wins; otherwise the most frequent "20xx年"/"20xx年度"
    mention, ties going to the one mentioned first (documents name their own
    year before looking ahead to the next one).
    """
    if title:
        match = _YEAR_MENTION.search(title)
        if match:
            return int(match.group(1))
    counts: Counter[int] = Counter()
    for line in lines:
        for match in _YEAR_MENTION.finditer(line):
            counts[int(match.group(1))] += 1
    if not counts:
        return None
    # Counter.most_common keeps insertion order among equal counts.
    return counts.most_common(1)[0][0]
