"""The status model (core.status.model) at its boundaries: status, due date, silence, colour."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.status.model import (
    Colour,
    DueSource,
    Facts,
    Rules,
    State,
    assess,
    colour_text,
    due_text,
    effective_status,
    format_rate,
    silent_cutoff,
    tally,
)
from core.text.i18n import translator

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = Rules(SHANGHAI, yellow_days=7, silent_days=14)
DEADLINE = dt.date(2020, 6, 30)
BOUND = dt.datetime(2020, 1, 1, 2, tzinfo=dt.UTC)


def noon(day: dt.date) -> dt.datetime:
    """Noon in Shanghai on `day`, as UTC."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI).astimezone(dt.UTC)


def state(
    today: dt.date,
    *,
    status: str = "in_progress",
    review: str | None = "none",
    last: dt.date | None = None,
    deadline: dt.date | None = DEADLINE,
    year: int | None = 2020,
) -> State:
    last_at = noon(last or today)
    return assess(Facts(status, review, deadline, year, last_at, BOUND), today, RULES)


def test_effective_status_counts_done_only_once_accepted() -> None:
    assert effective_status("done", "accepted") == "done"
    assert effective_status("done", "pending") == "pending_review"
    assert effective_status("done", "none") == "pending_review"
    assert effective_status("done", None) == "pending_review"
    assert effective_status("done", "returned") == "in_progress"
    assert effective_status("blocked", "none") == "blocked"
    assert effective_status("in_progress", "accepted") == "in_progress"
    assert effective_status("not_started", "none") == "not_started"
    counts = tally([("done", "accepted"), ("done", "pending"), ("blocked", "none")])
    assert (counts.done, counts.pending_review, counts.blocked, counts.total) == (1, 1, 1, 3)
    assert format_rate(counts) == "33%"
    assert format_rate(tally([])) == "—"


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
    assert state(today).colour is expected
    assert state(today).past_due is (expected is Colour.RED)


def test_silence_turns_yellow_at_silent_days_in_local_days() -> None:
    today = dt.date(2020, 3, 15)
    assert state(today, last=today - dt.timedelta(days=13)).colour is Colour.GREEN
    fourteen = state(today, last=today - dt.timedelta(days=14))
    assert (fourteen.colour, fourteen.silent, fourteen.quiet_days) == (Colour.YELLOW, True, 14)
    # A report at 23:30 local time (15:30 UTC) is that local day's.
    late = dt.datetime(2020, 3, 1, 15, 30, tzinfo=dt.UTC)
    facts = Facts("in_progress", "none", DEADLINE, 2020, late, BOUND)
    assert assess(facts, today, RULES).quiet_days == 14
    # The SQL cutoff agrees: the report is before it on the 14th day.
    assert late < silent_cutoff(today, RULES) <= late + dt.timedelta(minutes=30)


def test_never_reported_counts_from_binding() -> None:
    facts = Facts("not_started", "none", None, 2020, None, BOUND)
    found = assess(facts, dt.date(2020, 1, 20), RULES)
    assert (found.quiet_days, found.silent) == (19, True)


def test_awaiting_review_is_not_silent_but_can_be_past_due() -> None:
    waiting = state(dt.date(2020, 7, 20), status="done", review="pending", last=dt.date(2020, 6, 1))
    assert (waiting.effective, waiting.silent, waiting.past_due) == ("pending_review", False, True)
    assert waiting.colour is Colour.RED


def test_done_is_green_and_no_deadline_means_year_end() -> None:
    assert state(dt.date(2020, 8, 1), status="done", review="accepted").colour is Colour.GREEN
    assert state(dt.date(2020, 12, 24), deadline=None).colour is Colour.YELLOW
    year_end = state(dt.date(2021, 1, 1), deadline=None)
    assert (year_end.colour, year_end.due, year_end.due_source) == (
        Colour.RED,
        dt.date(2020, 12, 31),
        DueSource.YEAR_END,
    )
    # A campaign without a year gives such items no due date at all.
    assert state(dt.date(2030, 1, 1), deadline=None, year=None).past_due is False


def test_due_text_says_which_deadline() -> None:
    zh, en = translator("zh"), translator("en")
    own = state(dt.date(2020, 7, 1))
    year_end = state(dt.date(2021, 1, 1), deadline=None)
    assert due_text(own, en) == "deadline 2020-06-30"
    assert due_text(year_end, en) == "deadline 2020-12-31 (year end)"
    assert due_text(year_end, zh) == "截止 2020-12-31（年度末）"


def test_colour_text_has_emoji_and_word() -> None:
    assert colour_text(Colour.RED, translator("en")) == "🔴 red"
    assert colour_text(Colour.RED, translator("zh")).startswith("🔴 ")
