"""Self-assessment reminders over the Bot API server: private, on working days, within
the reminder hours, to the deputy while the liaison is on leave; once a day; the office
group hears counts only and never a department's or a person's name."""

from __future__ import annotations

import datetime as dt

from core.people.leave import add_leave
from core.people.sql import SqlPeople
from core.scheduling.workdays import is_chinese_working_day
from handlers.base import SERVICES_KEY
from handlers.yearend.reminders import self_assessment_round
from storage import repositories as repo
from storage.models import User
from tests.office_support import GROUP
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig
from tests.test_e2e_yearend import submit
from tests.yearend_support import confirm_with_vetoes

FARM = u.TgUser(id=750_001, first_name="农业联络员")
COMMERCE = u.TgUser(id=750_006, first_name="商务联络员")
COMMERCE_DEPUTY = u.TgUser(id=750_007, first_name="商务副联络员")
MONDAY = dt.datetime(2021, 1, 4, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


async def round_(rig: DubanRig) -> int:
    assert rig.app is not None
    return await self_assessment_round(
        rig.app.bot, rig.app.bot_data[SERVICES_KEY], is_working=is_chinese_working_day
    )


async def test_reminders_go_privately_once_a_working_day(rig: DubanRig) -> None:
    rig.clock.set(MONDAY)
    await rig.join(FARM, "农业")
    await rig.join(COMMERCE, "商务")
    await rig.join(COMMERCE_DEPUTY, "商务")
    async with rig.session() as session:
        deputy = await repo.user_by_tg_id(session, COMMERCE_DEPUTY.id)
        assert isinstance(deputy, User)
        deputy.is_deputy = True
        await add_leave(
            SqlPeople(session),
            tg_id=COMMERCE.id,
            start=dt.date(2021, 1, 4),
            end=dt.date(2021, 1, 5),
            today=dt.date(2021, 1, 4),
            now=MONDAY,
        )
        await repo.put_setting(session, "office_chat_id", str(GROUP.id))
        await confirm_with_vetoes(session, MONDAY)
        await session.commit()
    assert await round_(rig) == 0  # no window open yet
    await rig.ask(ADMIN, "/assess open 2021-01-08")
    for code, points in [(f"G{n}", "3.5") for n in range(1, 8)] + [("G8", "5.5")]:
        await rig.ask(FARM, f"/selfassess {code} {points} 已完成")
    for n in range(1, 8):
        await rig.ask(FARM, f"/selfassess A5.{n} 10 已完成")
    assert "已锁定" in await submit(rig, FARM)

    since = rig.api.mark()
    told = await round_(rig)
    # 17 departments without a liaison get nothing; 商务's deputy (the liaison is on
    # leave), and the group its counts.
    assert told == 2
    to_deputy = rig.api.messages_to(COMMERCE_DEPUTY.id)
    assert [m.plain_text for m in to_deputy if m.index >= since] == [
        "提醒：区商务局 尚未提交年度自评，截止日期 2021年1月8日。/selfassess"
    ]
    assert not [m for m in rig.api.messages_to(COMMERCE.id) if m.index >= since]
    assert not [m for m in rig.api.messages_to(FARM.id) if m.index >= since]
    group = [m.plain_text for m in rig.api.messages_to(GROUP.id) if m.index >= since]
    assert group == ["年度自评：已提交 1 个单位，尚未提交 17 个；截止 2021年1月8日。"]

    assert await round_(rig) == 0  # once a day
    rig.clock.set(dt.datetime(2021, 1, 6, 2, 0, tzinfo=dt.UTC))  # Wednesday: leave is over
    since = rig.api.mark()
    assert await round_(rig) == 2
    assert [m for m in rig.api.messages_to(COMMERCE.id) if m.index >= since]
    assert not [m for m in rig.api.messages_to(COMMERCE_DEPUTY.id) if m.index >= since]
    rig.clock.set(dt.datetime(2021, 1, 6, 14, 0, tzinfo=dt.UTC))  # 22:00: outside the hours
    assert await round_(rig) == 0
    rig.clock.set(dt.datetime(2021, 1, 9, 2, 0, tzinfo=dt.UTC))  # Saturday, past the deadline
    assert await round_(rig) == 0
