"""Working days by the Chinese calendar: weekends, public holidays, adjusted working days.

Reminders (and the weekly summary) go out on working days only. With
WORKDAYS_CALENDAR=cn (the default) the maintained `chinesecalendar` package decides,
including the adjusted working weekends (调休), e.g. Sunday 2020-09-27 was a working day
and Thursday 2020-10-01 a holiday. For years the package does not know yet, and with
WORKDAYS_CALENDAR=none, Monday to Friday are the working days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import chinese_calendar

WorkingDay = Callable[[dt.date], bool]

# The package's English holiday names -> Chinese, for display in Chinese messages.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def is_weekday(day: dt.date) -> bool:
    return day.weekday() < 5


def is_chinese_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no data for yet
        return is_weekday(day)


def working_day_rule(calendar: str) -> WorkingDay:
    """The rule for WORKDAYS_CALENDAR: `cn` or `none`."""
    return is_chinese_working_day if calendar == "cn" else is_weekday


# The default hook, as configured by default (WORKDAYS_CALENDAR=cn).
is_working_day: WorkingDay = is_chinese_working_day


def holiday_name(day: dt.date, calendar: str = "cn", locale: str = "zh") -> str | None:
    """The public holiday `day` falls on, if any (None for plain weekends)."""
    if calendar != "cn":
        return None
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if not on_holiday or not name:
        return None
    text = str(name)
    return HOLIDAY_NAMES_ZH.get(text, text) if locale == "zh" else text


def first_working_day_of_week(
    day: dt.date, is_working: WorkingDay = is_working_day
) -> dt.date | None:
    """The first working day of `day`'s ISO week, or None if the week has none."""
    monday = day - dt.timedelta(days=day.weekday())
    for offset in range(7):
        candidate = monday + dt.timedelta(days=offset)
        if is_working(candidate):
            return candidate
    return None
