"""Reminders follow the Chinese calendar: none on a Saturday, none on National Day, none
during a liaison's leave, but sent on an adjusted working Sunday (调休)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.scheduling.workdays import holiday_name, is_chinese_working_day, working_day_rule
from handlers.base import SERVICES_KEY
from handlers.digest.delivery import reminder_round
from storage.models import Binding, Campaign, Leave
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import DubanRig

FARM = u.TgUser(id=660_001, first_name="农业联络员")
ECO = u.TgUser(id=660_002, first_name="生态联络员")


def shanghai_morning(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def test_the_calendar_knows_holidays_and_adjusted_days() -> None:
    assert not is_chinese_working_day(dt.date(2020, 10, 1))  # National Day, a Thursday
    assert is_chinese_working_day(dt.date(2020, 9, 27))  # an adjusted working Sunday
    assert not is_chinese_working_day(dt.date(2020, 9, 26))  # a plain Saturday
    assert is_chinese_working_day(dt.date(2020, 9, 25))
    assert working_day_rule("none")(dt.date(2020, 10, 1))  # without the calendar: a Thursday
    assert holiday_name(dt.date(2020, 10, 1)) == "国庆节"
    assert holiday_name(dt.date(2020, 9, 26)) is None


@pytest.fixture
async def rig(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    duban = DubanRig(fake_api, sqlite_url, tmp_path / "evidence")
    duban.clock.set(shanghai_morning(dt.date(2020, 9, 1)))
    await duban.import_bundled()
    async with duban.session() as session:
        # Made (and its items bound) on 2020-09-01: silence counts from then.
        start = dt.datetime(2020, 9, 1, tzinfo=dt.UTC)
        await session.execute(update(Campaign).values(created_at=start))
        await session.execute(update(Binding).values(created_at=start))
        await session.commit()
    await duban.start()
    try:
        yield duban
    finally:
        await duban.close()


async def round_on(rig: DubanRig, day: dt.date) -> int:
    rig.clock.set(shanghai_morning(day))
    assert rig.app is not None
    result = await reminder_round(rig.app.bot, rig.app.bot_data[SERVICES_KEY])
    assert result.failed == 0
    return result.sent


async def test_reminders_on_working_days_only(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态")
    async with rig.session() as session:
        session.add(
            Leave(user_tg_id=ECO.id, start_date=dt.date(2020, 9, 27), end_date=dt.date(2020, 10, 9))
        )
        await session.commit()
    assert await round_on(rig, dt.date(2020, 9, 26)) == 0  # Saturday
    assert await round_on(rig, dt.date(2020, 10, 1)) == 0  # National Day
    await rig.api.assert_quiet(seconds=0.2)
    assert await round_on(rig, dt.date(2020, 9, 27)) == 1  # adjusted working Sunday
    to_farm = [m for m in rig.api.messages_to(FARM.id) if "事项提醒" in (m.plain_text or "")]
    assert len(to_farm) == 1
    assert not [
        m for m in rig.api.messages_to(ECO.id) if "事项提醒" in (m.plain_text or "")
    ]  # on leave


DEPUTY = u.TgUser(id=660_003, first_name="农业副联络员")


async def test_deputy_is_reminded_only_when_the_main_liaison_does_not_answer(rig: DubanRig) -> None:
    from tests.support.duban import ADMIN

    await rig.join(FARM, "农业")
    reply = await rig.ask(ADMIN, "/invite 农业 deputy")
    assert "副联络员" in reply.plain_text
    code = next(line for line in reply.plain_text.splitlines() if line.startswith("/join "))
    await rig.ask(DEPUTY, code)
    async with rig.session() as session:
        from storage.models import User

        deputy = await session.scalar(select(User).where(User.tg_id == DEPUTY.id))
        assert deputy is not None and deputy.is_deputy

    def reminders(user: u.TgUser) -> int:
        return len([m for m in rig.api.messages_to(user.id) if "事项提醒" in (m.plain_text or "")])

    await round_on(rig, dt.date(2020, 9, 9))  # 8 days without a report: not silent yet
    assert (reminders(FARM), reminders(DEPUTY)) == (0, 0)
    await round_on(rig, dt.date(2020, 9, 15))  # silent 14 days: the main liaison only
    assert (reminders(FARM), reminders(DEPUTY)) == (1, 0)
    await round_on(rig, dt.date(2020, 9, 22))  # still silent a cadence (7 days) after: both
    assert reminders(DEPUTY) == 1 and reminders(FARM) == 2
