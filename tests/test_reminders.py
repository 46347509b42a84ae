"""Reminders to liaisons and the leaders' weekly summary, end to end over the fake server.

The round is the scheduler's function, run after moving the bot's clock. The bundled
campaign is imported with its creation (and its bindings') moved to 2020-12-01, so on
2020-12-24 every item has been silent for 23 days and is 7 days from its due date:
A5.2 (区农业农村局) has its own deadline 2020-12-31, the others are due at the year's end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from core.oversight.reminders import deadline_mark, silent_period
from core.scheduling.times import within_hours
from handlers.base import SERVICES_KEY, Services
from handlers.digest.delivery import reminder_round
from storage.models import Binding, Campaign, Department, Leave, ReminderSent, User
from tests.office_support import overdue_text
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig

UTC = dt.UTC
FARM = u.TgUser(id=620_001, first_name="农业联络员")
DEPUTY = u.TgUser(id=620_002, first_name="农业副联络员")


def utc(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2020, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def rig(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    duban = DubanRig(
        fake_api, sqlite_url, tmp_path / "evidence", overrides={"default_locale": "en"}
    )
    duban.clock.set(utc(12, 23, 2))
    await duban.import_bundled()
    async with duban.session() as session:
        await session.execute(update(Campaign).values(created_at=utc(12, 1, 0)))
        await session.execute(update(Binding).values(created_at=utc(12, 1, 0)))
        await session.commit()
    await duban.start()
    try:
        yield duban
    finally:
        await duban.close()


def services(rig: DubanRig) -> Services:
    assert rig.app is not None
    return rig.app.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]


async def round_at(rig: DubanRig, moment: dt.datetime, **kwargs: object) -> int:
    rig.clock.set(moment)
    result = await reminder_round(rig.app.bot, services(rig), **kwargs)  # type: ignore[union-attr, arg-type]
    assert result.failed == 0
    return result.sent


def reminders_to(rig: DubanRig, user: u.TgUser) -> list[str]:
    return [
        m.plain_text or ""
        for m in rig.api.messages_to(user.id)
        if (m.plain_text or "").startswith("⏰ Reminder")
    ]


async def told(rig: DubanRig) -> int:
    async with rig.session() as session:
        return int(await session.scalar(select(func.count(ReminderSent.id))) or 0)


# ---------------------------------------------------------------- pure rules


def test_deadline_marks_and_silent_periods() -> None:
    assert [deadline_mark(d) for d in (45, 31, 30, 8, 7, 2, 1, 0, -1)] == [
        None, None, 30, 30, 7, 7, 1, 1, None,
    ]  # fmt: skip
    # Silent by the model after 14 days (SILENT_DAYS), then reminded every 7 (REMINDER_DAYS).
    start = dt.date(2020, 12, 1)
    assert silent_period(start, 14, 14, 7) == "2020-12-01/14+0"
    assert silent_period(start, 20, 14, 7) == "2020-12-01/14+0"
    assert silent_period(start, 21, 14, 7) == "2020-12-01/14+7"
    assert silent_period(start, 35, 14, 7) == "2020-12-01/14+21"
    tz = ZoneInfo("Asia/Shanghai")
    eight, nine_pm = dt.time(8), dt.time(21)
    assert not within_hours(utc(12, 23, 23, 59), tz, eight, nine_pm)  # 07:59
    assert within_hours(utc(12, 24, 0, 0), tz, eight, nine_pm)  # 08:00
    assert within_hours(utc(12, 24, 12, 59), tz, eight, nine_pm)  # 20:59
    assert not within_hours(utc(12, 24, 13, 0), tz, eight, nine_pm)  # 21:00
    assert within_hours(utc(12, 24, 15, 0), tz, dt.time(22), dt.time(2))  # across midnight


# ---------------------------------------------------------------- liaisons


async def test_reminders_respect_quiet_hours_and_are_not_repeated(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    assert await round_at(rig, utc(12, 23, 13, 30)) == 0  # 21:30 in Shanghai
    assert await round_at(rig, utc(12, 23, 23, 59)) == 0  # 07:59
    await rig.api.assert_quiet(FARM.id, seconds=0.2)

    since = rig.api.mark()
    assert await round_at(rig, utc(12, 24, 0, 0)) == 1  # 08:00 Thursday
    (message,) = rig.api.messages_to(FARM.id)[-1:]
    assert message.index >= since
    text = message.plain_text or ""
    lines = text.split("\n")
    assert lines[0] == "⏰ Reminder for 区农业农村局"
    assert lines[1:3] == ["", "Nothing reported for 14 days or more:"]
    silent = [line for line in lines if line.endswith("— no report yet")]
    assert len(silent) == 15  # 7 own items and 8 general ones, all in one message
    assert "Deadlines coming:" in lines
    coming = lines[lines.index("Deadlines coming:") + 1 : -2]
    assert len(coming) == 15
    # A5.2 has a deadline of its own; the others are due at the end of the campaign's year.
    assert [line for line in coming if line.endswith("— deadline 2020-12-31, in 7 days")] == [
        line for line in coming if line.startswith("• A5.2 ")
    ]
    assert (
        sum(line.endswith("— deadline 2020-12-31 (year end), in 7 days") for line in coming) == 14
    )
    assert lines[-1] == "Report with /report, or see all your items with /items."

    assert await round_at(rig, utc(12, 24, 0, 10)) == 0  # the next check: told already
    assert await round_at(rig, utc(12, 25, 2)) == 0  # same periods the next day
    await rig.api.assert_quiet(FARM.id, seconds=0.2, since=message.index + 1)

    assert await round_at(rig, utc(12, 29, 2)) == 1  # 28 days silent: the next period
    text = rig.api.messages_to(FARM.id)[-1].plain_text or ""
    assert "Nothing reported for 14 days or more:" in text and "Deadlines coming:" not in text
    assert await round_at(rig, utc(12, 30, 2)) == 1  # one day before the deadline
    text = rig.api.messages_to(FARM.id)[-1].plain_text or ""
    assert "Nothing reported" not in text
    assert "deadline 2020-12-31, tomorrow" in text
    assert text.count("deadline 2020-12-31 (year end), tomorrow") == 14
    assert await told(rig) == 15 + 15 + 15 + 15


async def test_silent_is_the_status_models_silence(rig: DubanRig) -> None:
    """An item is reminded as silent exactly when the status model (and so /overdue)
    calls it silent: after SILENT_DAYS (14), not after the reminders' cadence (7)."""
    await rig.join(FARM, "农业")
    # 2020-12-10: bound 9 days ago, 21 days before the due date.
    assert await round_at(rig, utc(12, 10, 2)) == 1
    text = reminders_to(rig, FARM)[-1]
    assert "Nothing reported" not in text and "Deadlines coming:" in text
    assert await round_at(rig, utc(12, 14, 2)) == 0  # 13 days: not silent yet
    assert (await overdue_text(rig, ADMIN)).startswith("Nothing is overdue")
    assert await round_at(rig, utc(12, 15, 2)) == 1  # 14 days: silent, as /overdue says
    text = reminders_to(rig, FARM)[-1]
    assert "Nothing reported for 14 days or more:" in text
    assert sum(line.endswith("— no report yet") for line in text.split("\n")) == 15
    assert "no report for 14 days or more: 213" in await overdue_text(rig, ADMIN)
    assert await round_at(rig, utc(12, 21, 2)) == 0  # 20 days: the same silence, told
    assert await round_at(rig, utc(12, 22, 2)) == 1  # 21 days: a cadence later


async def test_leave_deputies_and_working_days(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(DEPUTY, "农业")
    async with rig.session() as session:
        await session.execute(update(User).where(User.tg_id == DEPUTY.id).values(is_deputy=True))
        session.add(
            Leave(
                user_tg_id=FARM.id, start_date=dt.date(2020, 12, 24), end_date=dt.date(2020, 12, 24)
            )
        )
        await session.commit()
    assert await round_at(rig, utc(12, 26, 2)) == 0  # Saturday
    assert await round_at(rig, utc(12, 24, 2), is_working=lambda day: False) == 0  # a holiday
    await rig.api.assert_quiet(seconds=0.2)

    assert await round_at(rig, utc(12, 24, 2)) == 1  # the main liaison is on leave
    assert reminders_to(rig, FARM) == []
    assert len(reminders_to(rig, DEPUTY)) == 1

    assert await round_at(rig, utc(12, 25, 2)) == 1  # back from leave: the main liaison
    assert len(reminders_to(rig, FARM)) == 1
    assert len(reminders_to(rig, DEPUTY)) == 1


async def test_retry_after_is_honoured(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    rig.api.fail_next("sendMessage", status=429, retry_after=1, chat_id=FARM.id)
    started = time.monotonic()
    assert await round_at(rig, utc(12, 24, 2)) == 1
    assert time.monotonic() - started >= 1.0
    calls = [c for c in rig.api.calls_to("sendMessage") if c.params.get("chat_id") == FARM.id]
    assert [c.status for c in calls[-2:]] == [429, 200]
    assert calls[-1].time - calls[-2].time >= 1.0
    assert len(reminders_to(rig, FARM)) == 1
    assert await round_at(rig, utc(12, 24, 3)) == 0


async def test_a_round_sends_one_message_at_a_time(rig: DubanRig) -> None:
    """Many liaisons: the sends go out one after another, never all at once."""
    async with rig.session() as session:
        departments = list(await session.scalars(select(Department).order_by(Department.id)))
        for n, department in enumerate(departments):
            session.add(User(tg_id=630_000 + n, role="liaison", department_id=department.id))
        await session.commit()
    rig.api.delay("sendMessage", 0.05, times=len(departments))
    started = time.monotonic()
    assert await round_at(rig, utc(12, 24, 2)) == len(departments)
    assert time.monotonic() - started >= 0.05 * len(departments)  # serial, not parallel
    calls = [c for c in rig.api.calls_to("sendMessage") if c.status == 200]
    assert len({c.params["chat_id"] for c in calls}) == len(departments)
    assert all(b.time - a.time >= 0.04 for a, b in itertools.pairwise(calls))


# ---------------------------------------------------------------- leaders


async def test_leaders_get_a_weekly_summary_on_the_first_working_day(rig: DubanRig) -> None:
    await rig.join(LEADER, None)
    assert await round_at(rig, utc(12, 27, 2)) == 0  # Sunday
    assert await round_at(rig, utc(12, 28, 2)) == 1  # Monday morning
    text = rig.api.messages_to(LEADER.id)[-1].plain_text or ""
    assert text.split("\n") == [
        "📊 Weekly summary, 2020-W53",
        "Reports in the last 7 days: 0, departments: 0",
        "Overall completion: 0.0% (0/213)",
        "Items past deadline and not done: 0",
        "Departments silent for 14 days or more: 17",
        "Reports awaiting review: 0 (/review)",
        "/status shows every department.",
    ]
    assert await round_at(rig, utc(12, 28, 5)) == 0
    assert await round_at(rig, utc(12, 29, 2)) == 0
    # When Monday is a holiday, the summary comes on Tuesday.
    holiday = dt.date(2021, 1, 4)
    assert (
        await round_at(
            rig, utc(12, 28, 2) + dt.timedelta(days=7), is_working=lambda d: d != holiday
        )
        == 0
    )
    await asyncio.sleep(0)
    assert (
        await round_at(
            rig, utc(12, 29, 2) + dt.timedelta(days=7), is_working=lambda d: d != holiday
        )
        == 1
    )
    assert (rig.api.messages_to(LEADER.id)[-1].plain_text or "").startswith(
        "📊 Weekly summary, 2021-W01"
    )
