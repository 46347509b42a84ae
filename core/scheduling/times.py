"""When scheduled things are due, computed from a clock reading (never from the scheduler).

PTB's JobQueue runs on real time, but the bot's notion of now is `Services.clock`; the
job callbacks ask these pure functions what is due at `now`, so tests can move the clock
and call the job. Times are aware UTC in, local dates and times out (TIMEZONE).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo


def local_today(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    return now.astimezone(tz).date()


def digest_moment(local_date: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC moment of `local_date` at the local time `at` (DST taken into account)."""
    return dt.datetime.combine(local_date, at.replace(tzinfo=None), tzinfo=tz).astimezone(dt.UTC)


def digest_due(
    now: dt.datetime,
    tz: ZoneInfo,
    at: dt.time,
    is_working: Callable[[dt.date], bool] | None = None,
) -> dt.date | None:
    """The local date whose digest is due at `now`, or None before today's digest time and,
    given `is_working` (the working-day rule reminders follow), on a day off: the next
    digest then covers the days since the last one."""
    today = local_today(now, tz)
    if is_working is not None and not is_working(today):
        return None
    return today if now >= digest_moment(today, at, tz) else None


def within_hours(now: dt.datetime, tz: ZoneInfo, earliest: dt.time, latest: dt.time) -> bool:
    """Whether the local time of `now` is in [earliest, latest) (people are not woken)."""
    local = now.astimezone(tz).time().replace(tzinfo=None)
    earliest, latest = earliest.replace(tzinfo=None), latest.replace(tzinfo=None)
    if earliest <= latest:
        return earliest <= local < latest
    return local >= earliest or local < latest  # a window across midnight


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
