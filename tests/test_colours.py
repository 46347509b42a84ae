"""Three-colour warnings at their boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from core.oversight.colours import Colour, colour_of, colour_text
from core.text.i18n import translator

DEADLINE = dt.date(2020, 6, 30)


def colour(
    today: dt.date,
    *,
    done: bool = False,
    last: dt.date | None = None,
    deadline: dt.date | None = DEADLINE,
) -> Colour:
    return colour_of(
        done=done,
        deadline=deadline,
        campaign_year=2020,
        last_activity=last or today,
        today=today,
        yellow_days=7,
        silent_days=14,
    )


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2020, 6, 22), Colour.GREEN),  # 8 days ahead
        (dt.date(2020, 6, 23), Colour.YELLOW),  # 7 days ahead: yellow begins
        (dt.date(2020, 6, 30), Colour.YELLOW),  # the deadline itself is still yellow
        (dt.date(2020, 7, 1), Colour.RED),  # the day after: red
    ],
)
def test_deadline_boundaries(today: dt.date, expected: Colour) -> None:
    assert colour(today) is expected


def test_silence_turns_yellow_at_silent_days() -> None:
    today = dt.date(2020, 3, 15)
    assert colour(today, last=today - dt.timedelta(days=13)) is Colour.GREEN
    assert colour(today, last=today - dt.timedelta(days=14)) is Colour.YELLOW


def test_done_is_green_and_no_deadline_means_year_end() -> None:
    assert colour(dt.date(2020, 8, 1), done=True) is Colour.GREEN
    assert colour(dt.date(2020, 12, 24), deadline=None) is Colour.YELLOW
    assert colour(dt.date(2021, 1, 1), deadline=None) is Colour.RED


def test_colour_text_has_emoji_and_word() -> None:
    assert colour_text(Colour.RED, translator("en")) == "🔴 red"
    assert colour_text(Colour.RED, translator("zh")).startswith("🔴 ")
