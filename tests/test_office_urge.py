"""/urge end to end on SQLite and PostgreSQL: liaisons told privately in their language,
a group note naming the department only, the audit row, and the confirmation asked for
a second urge within the hour."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage import repositories as repo
from storage.models import AuditLog
from tests.office_support import FARM, FARM_EN, GROUP, department_id, speak_english
from tests.support.duban import ADMIN, DubanRig


@pytest.fixture(autouse=True)
def on_a_working_day(rig: DubanRig) -> None:
    """Urges go out on working days only: pin the clock to a Tuesday (2020-06-02)."""
    rig.clock.set(dt.datetime(2020, 6, 2, 2, 0, tzinfo=dt.UTC))


async def urges(rig: DubanRig) -> list[AuditLog]:
    async with rig.session() as session:
        rows = await session.scalars(
            select(AuditLog).where(AuditLog.action == "urge").order_by(AuditLog.id)
        )
        return list(rows.all())


async def set_office_group(rig: DubanRig) -> None:
    async with rig.session() as session:
        await repo.put_setting(session, "office_chat_id", str(GROUP.id))
        await session.commit()


async def test_urge_tells_liaisons_notes_the_group_and_asks_before_repeating(
    rig: DubanRig,
) -> None:
    await rig.join(FARM, "农业")
    await rig.join(FARM_EN, "农业")
    await speak_english(rig, ADMIN, FARM_EN)
    await set_office_group(rig)
    farm = await department_id(rig, "农业")

    since = rig.api.mark()
    reply = await rig.ask(ADMIN, "/urge 农业 请于本周内汇报 秸秆综合利用进展")
    assert reply.plain_text.startswith("Urged 区农业农村局: 2 of 2 liaisons told privately.")
    assert "office group" in reply.plain_text
    zh = await rig.api.wait_for(chat_id=FARM.id, since=since)
    assert "请于本周内汇报 秸秆综合利用进展" in zh.plain_text
    assert "A5.1" in zh.plain_text and "未开始" in zh.plain_text  # their language
    en = await rig.api.wait_for(chat_id=FARM_EN.id, since=since)
    assert "请于本周内汇报" in en.plain_text and "not started" in en.plain_text
    note = await rig.api.wait_for(chat_id=GROUP.id, since=since)
    assert "区农业农村局" in note.plain_text
    # The group learns the department, never a person, nor the text (it may name people).
    for private in ("农业联络员", "Farm", "Deputy", "请于本周内汇报"):
        assert private not in note.plain_text
    (row,) = await urges(rig)
    assert row.actor_tg_id == ADMIN.id
    assert row.detail == {
        "department_id": farm,
        "text": "请于本周内汇报 秸秆综合利用进展",
        "liaison_count": 2,
    }

    # Again within the hour: asked first; "no" sends nothing and records nothing.
    rig.clock.advance(minutes=20)
    ask = await rig.ask(ADMIN, "/urge 农业")
    assert "already urged" in ask.plain_text
    assert ask.callback_data == [f"ug:y:{farm}", "ug:n"]
    since = rig.api.mark()
    no = await rig.press(ADMIN, ask, "ug:n")
    assert no.plain_text == "Nothing was sent."
    await rig.api.assert_quiet(FARM.id, since=since, seconds=0.2)
    assert len(await urges(rig)) == 1
    # The same button pressed again: the question is closed.
    stale = await rig.press(ADMIN, ask, f"ug:y:{farm}")
    assert "no longer open" in stale.plain_text
    assert len(await urges(rig)) == 1

    # "yes" urges again.
    ask = await rig.ask(ADMIN, "/urge 农业 再次提醒")
    since = rig.api.mark()
    yes = await rig.press(ADMIN, ask, f"ug:y:{farm}")
    assert yes.plain_text.startswith("Urged 区农业农村局: 2 of 2")
    assert "再次提醒" in (await rig.api.wait_for(chat_id=FARM.id, since=since)).plain_text
    assert [r.detail["text"] for r in await urges(rig)] == [
        "请于本周内汇报 秸秆综合利用进展",
        "再次提醒",
    ]

    # After the hour, no question.
    rig.clock.advance(minutes=61)
    reply = await rig.ask(ADMIN, "/urge 农业")
    assert reply.plain_text.startswith("Urged 区农业农村局")
    assert len(await urges(rig)) == 3


async def test_urge_without_liaisons_group_or_a_clear_department(rig: DubanRig) -> None:
    await speak_english(rig, ADMIN)
    reply = await rig.ask(ADMIN, "/urge 商务 请汇报")
    assert "区商务局 has no liaison yet" in reply.plain_text
    assert await urges(rig) == []

    await rig.join(FARM, "农业")
    reply = await rig.ask(ADMIN, "/urge 农业")
    assert "Urged 区农业农村局: 1 of 1" in reply.plain_text
    assert "group note was skipped" in reply.plain_text
    assert len(await urges(rig)) == 1

    # Several departments match: choose; the text waits with the choice.
    ask = await rig.ask(ADMIN, "/urge 城 请汇报扬尘治理")
    assert len(ask.callback_data) == 3 and all(d.startswith("ug:d:") for d in ask.callback_data)
    chosen = await rig.press(ADMIN, ask, ask.callback_data[0])
    assert "has no liaison yet" in chosen.plain_text
    assert "No department matches" in (await rig.ask(ADMIN, "/urge 火星局")).plain_text
    assert "Usage: /urge" in (await rig.ask(ADMIN, "/urge")).plain_text
    assert len(await urges(rig)) == 1


async def test_no_urge_on_a_holiday(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    rig.clock.set(dt.datetime(2020, 10, 1, 2, 0, tzinfo=dt.UTC))  # National Day
    since = rig.api.mark()
    reply = await rig.ask(ADMIN, "/urge 农业 请尽快汇报")
    assert "国庆节" in reply.plain_text and "2020-10-01" in reply.plain_text
    await rig.api.assert_quiet(FARM.id, seconds=0.3, since=since)
    assert await urges(rig) == []
