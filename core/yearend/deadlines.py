"""The re-check deadline (复核期限): N working days counted from the day after delivery.

Feedback delivered on a Friday with N = 5 gives the department the next Monday to Friday;
weekends and public holidays do not count and adjusted working weekends (调休) do, by the
same working-day rule the reminders use (core/scheduling/workdays.py). The deadline is
the last of those days: an appeal is on time through the end of that day, local time.
"""

from __future__ import annotations

import datetime as dt

from core.scheduling.workdays import WorkingDay, is_working_day

DEFAULT_RECHECK_WORKING_DAYS = 5


def recheck_deadline(
    delivered_on: dt.date,
    working_days: int = DEFAULT_RECHECK_WORKING_DAYS,
    is_working: WorkingDay = is_working_day,
) -> dt.date:
    """The last day of `working_days` working days counted from the day after `delivered_on`."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day = delivered_on
    counted = 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        if is_working(day):
            counted += 1
    return day


def appeal_on_time(deadline: dt.date, now: dt.datetime, zone: dt.tzinfo) -> bool:
    """Whether an appeal made at `now` (UTC) is within the deadline (its local day included)."""
    return now.astimezone(zone).date() <= deadline
