"""The one date parser (core.text.dates): what it accepts, what it refuses, and the reply."""

from __future__ import annotations

import datetime as dt

import pytest

from core.text.dates import BadDate, parse_date
from core.text.i18n import translator


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-06-30", dt.date(2020, 6, 30)),
        ("2020/6/3", dt.date(2020, 6, 3)),
        ("2020.06.30", dt.date(2020, 6, 30)),
        ("２０２０．６．３０", dt.date(2020, 6, 30)),
        ("２０２０－１０－０１", dt.date(2020, 10, 1)),
        ("2020年12月31日", dt.date(2020, 12, 31)),
        ("2020年10月1", dt.date(2020, 10, 1)),
        (" 2020-10-01 ", dt.date(2020, 10, 1)),
        ("2000-01-01", dt.date(2000, 1, 1)),
        ("2100-12-31", dt.date(2100, 12, 31)),
    ],
)
def test_accepted(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2020-02-30",  # no such day
        "2020-13-01",
        "1999-12-31",  # outside the year range
        "2101-01-01",
        "2202-10-01",
        "2020-6/30",  # mixed separators
        "20200630",
        "10/01/2020",
        "tomorrow",
        "",
    ],
)
def test_refused_with_a_reply_in_the_users_language(text: str) -> None:
    with pytest.raises(BadDate) as caught:
        parse_date(text)
    assert caught.value.reply(translator("en")) == (
        f"“{text[:20]}” is not a date. Write it as YYYY-MM-DD, e.g. 2020-06-30."
    )
    assert "不是有效日期" in caught.value.reply(translator("zh"))
