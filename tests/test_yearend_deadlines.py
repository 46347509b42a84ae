"""The re-check deadline: N working days counted from the day after delivery."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from core.scheduling.workdays import is_chinese_working_day, is_weekday
from core.yearend.deadlines import appeal_on_time, recheck_deadline


def test_friday_delivery_gives_the_next_week() -> None:
    assert recheck_deadline(dt.date(2021, 1, 8), 5) == dt.date(2021, 1, 15)


def test_delivery_counts_from_the_next_day_not_the_same() -> None:
    # Monday delivery, one working day: Tuesday, not Monday.
    assert recheck_deadline(dt.date(2021, 1, 11), 1) == dt.date(2021, 1, 12)


def test_spring_festival_and_adjusted_weekend() -> None:
    # Delivered Friday 5 Feb 2021; Sunday 7 Feb was a working day (调休), 11-17 Feb the
    # Spring Festival holiday, Saturday 20 Feb a working day again.
    assert recheck_deadline(dt.date(2021, 2, 5), 5, is_chinese_working_day) == dt.date(2021, 2, 18)
    assert recheck_deadline(dt.date(2021, 2, 5), 5, is_weekday) == dt.date(2021, 2, 12)


def test_on_time_through_the_deadline_day_in_local_time() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    deadline = dt.date(2021, 1, 15)
    # 23:30 local on the deadline day is 15:30 UTC: on time; 00:10 local next day is not.
    assert appeal_on_time(deadline, dt.datetime(2021, 1, 15, 15, 30, tzinfo=dt.UTC), zone)
    assert not appeal_on_time(deadline, dt.datetime(2021, 1, 15, 16, 10, tzinfo=dt.UTC), zone)


@given(
    st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2026, 12, 1)),
    st.integers(min_value=1, max_value=15),
)
def test_against_a_naive_count(delivered: dt.date, days: int) -> None:
    """Reference: list the next 60 calendar days, keep the working ones, take the N-th."""
    following = [delivered + dt.timedelta(days=n) for n in range(1, 61)]
    working = [day for day in following if is_chinese_working_day(day)]
    deadline = recheck_deadline(delivered, days, is_chinese_working_day)
    assert deadline == working[days - 1]
    assert deadline > delivered
