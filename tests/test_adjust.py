"""Admin adjustments end to end over the fake Bot API server: /adddept, /bind, /unbind,
/deadline — each success (and what the database then holds), each bad input (and that
nothing changed), and that only admins may use them. The parsers are tested directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from core.assessment import adjust
from core.reporting.evidence import EvidenceStore
from core.reporting.reports import record_report
from storage import repositories as repo
from storage.models import AuditLog, Binding, Department, Item, Report
from tests.support import updates as u
from tests.support.botapi import SentMessage
from tests.support.duban import ADMIN, DubanRig

FARM = u.TgUser(id=630_001, first_name="农业联络员")


async def binding_of(rig: DubanRig, department: str, code: str) -> Binding | None:
    async with rig.session() as session:
        campaign = await repo.active_campaign(session)
        assert campaign is not None
        return await session.scalar(
            select(Binding)
            .join(Department, Department.id == Binding.department_id)
            .join(Item, Item.id == Binding.item_id)
            .where(
                Binding.campaign_id == campaign.id,
                Department.name == department,
                Item.code == code,
            )
        )


async def audit(rig: DubanRig, action: str) -> list[dict[str, object]]:
    async with rig.session() as session:
        rows = await session.scalars(
            select(AuditLog.detail).where(AuditLog.action == action).order_by(AuditLog.id)
        )
        return list(rows)


async def state(rig: DubanRig) -> tuple[int, int, int]:
    """(departments, bindings, audit rows): unchanged after a refused command."""
    async with rig.session() as session:
        return (
            int(await session.scalar(select(func.count(Department.id))) or 0),
            int(await session.scalar(select(func.count(Binding.id))) or 0),
            int(await session.scalar(select(func.count(AuditLog.id))) or 0),
        )


async def press(rig: DubanRig, message: SentMessage, data: str) -> SentMessage:
    assert data in message.callback_data, message.callback_data
    since = rig.api.mark()
    rig.inject(u.callback_query(ADMIN, data, message))
    return await rig.api.wait_for(lambda m: m.kind == "send", chat_id=ADMIN.id, since=since)


async def test_adjustments_succeed_and_are_recorded(rig: DubanRig) -> None:
    await rig.ask(ADMIN, "/lang en")
    help_text = (await rig.ask(ADMIN, "/help")).plain_text
    for usage in ("/adddept NAME [B]", "/bind DEPT CODE", "/unbind DEPT CODE", "/deadline CODE"):
        assert usage in help_text

    reply = await rig.ask(ADMIN, "/adddept 区生态环境保护督察办 B")
    assert reply.plain_text.startswith("Added 区生态环境保护督察办 (class B), bound to 9 items.")
    async with rig.session() as session:
        added = await session.scalar(
            select(Department).where(Department.name == "区生态环境保护督察办")
        )
        assert added is not None and added.dept_class == "B"
        codes = set(
            await session.scalars(
                select(Item.code)
                .join(Binding, Binding.item_id == Item.id)
                .where(Binding.department_id == added.id)
            )
        )
    assert codes == {f"G{n}" for n in range(1, 9)} | {"B1"}
    reply = await rig.ask(ADMIN, "/adddept 区新设局")
    assert "(class A), bound to 8 items" in reply.plain_text

    reply = await rig.ask(ADMIN, "/bind 农业 a1.1")
    assert reply.plain_text == "Bound A1.1 to 区农业农村局."
    assert await binding_of(rig, "区农业农村局", "A1.1") is not None

    reply = await rig.ask(ADMIN, "/unbind 农业 A1.1")
    assert reply.plain_text == "Removed A1.1 from 区农业农村局."
    assert await binding_of(rig, "区农业农村局", "A1.1") is None

    async with rig.session() as session:
        # As if the item had been told "past its deadline": a new deadline clears that.
        await session.execute(
            update(Binding)
            .where(Binding.item_id.in_(select(Item.id).where(Item.code == "A5.1")))
            .values(red_reported_at=rig.clock())
        )
        await session.commit()
    reply = await rig.ask(ADMIN, "/deadline A5.1 2020-06-30")
    assert reply.plain_text == "Deadline of A5.1 set to 2020-06-30 (was none)."
    reply = await rig.ask(ADMIN, "/deadline A5.1 2020年9月1日")
    assert reply.plain_text == "Deadline of A5.1 set to 2020-09-01 (was 2020-06-30)."
    async with rig.session() as session:
        campaign = await repo.active_campaign(session)
        assert campaign is not None
        item = await session.scalar(
            select(Item).where(Item.campaign_id == campaign.id, Item.code == "A5.1")
        )
        assert item is not None and item.deadline == dt.date(2020, 9, 1)
        marks = set(
            await session.scalars(select(Binding.red_reported_at).where(Binding.item_id == item.id))
        )
        assert marks == {None}

    assert [d["name"] for d in await audit(rig, "add_department")] == [
        "区生态环境保护督察办",
        "区新设局",
    ]
    assert [d["code"] for d in await audit(rig, "bind")] == ["A1.1"]
    assert [d["code"] for d in await audit(rig, "unbind")] == ["A1.1"]
    assert [(d["old"], d["new"]) for d in await audit(rig, "deadline")] == [
        (None, "2020-06-30"),
        ("2020-06-30", "2020-09-01"),
    ]


async def test_bad_input_changes_nothing(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    before = await state(rig)
    cases = {
        "/adddept": "Usage: /adddept NAME [B]",
        "/adddept 区农业农村局": "already has the department 区农业农村局",
        "/adddept 农业农村局 B": "already has the department 区农业农村局",  # its alias
        "/adddept 局": "cannot be a department name",
        "/bind": "Usage: /bind DEPT CODE",
        "/bind 农业": "Usage: /bind DEPT CODE",
        "/bind 农业 Z9": "Usage: /bind DEPT CODE",
        "/bind 农业 A99.9": "There is no item A99.9",
        "/bind 农业 G1": "区农业农村局 is already bound to G1.",
        "/bind 不存在的单位 G1": "No department matches “不存在的单位”.",
        "/unbind 农业 A1.1": "区农业农村局 is not bound to A1.1. Nothing was changed.",
        "/unbind 农业": "Usage: /unbind DEPT CODE",
        "/deadline": "Usage: /deadline CODE YYYY-MM-DD",
        "/deadline A5.1": "Usage: /deadline CODE YYYY-MM-DD",
        "/deadline A5.1 2020-13-01": "“2020-13-01” is not a date",
        "/deadline A5.1 2020-02-30": "“2020-02-30” is not a date",
        "/deadline A5.1 tomorrow": "“tomorrow” is not a date",
        "/deadline A99.1 2020-06-30": "There is no item A99.1",
    }
    for command, expected in cases.items():
        reply = await rig.ask(ADMIN, command)
        assert expected in reply.plain_text, (command, reply.plain_text)
    assert await state(rig) == before


async def test_ambiguous_department_offers_buttons(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    reply = await rig.ask(ADMIN, "/bind 维护中心 A1.1")
    assert "Several departments match “维护中心”" in reply.plain_text
    names = {b["text"]: b["callback_data"] for b in reply.buttons}
    assert set(names) == {"区市容环境卫生维护中心", "区市政设施维护中心"}
    done = await press(rig, reply, names["区市政设施维护中心"])
    assert done.plain_text == "Bound A1.1 to 区市政设施维护中心."
    assert await binding_of(rig, "区市政设施维护中心", "A1.1") is not None
    # The same button again: already bound, nothing new.
    again = await press(rig, reply, names["区市政设施维护中心"])
    assert "already bound" in again.plain_text
    reply = await rig.ask(ADMIN, "/unbind 维护中心 A1.1")
    names = {b["text"]: b["callback_data"] for b in reply.buttons}
    assert all(data.startswith("adj:u:") for data in names.values())
    gone = await press(rig, reply, names["区市政设施维护中心"])
    assert gone.plain_text == "Removed A1.1 from 区市政设施维护中心."
    assert await binding_of(rig, "区市政设施维护中心", "A1.1") is None


async def test_unbind_refuses_a_binding_with_reports(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(ADMIN, "/lang en")
    binding = await binding_of(rig, "区农业农村局", "A5.1")
    assert binding is not None
    async with rig.session() as session:
        target = await session.scalar(select(Item).where(Item.id == binding.item_id))
        assert target is not None
        await session.refresh(target, ["targets"])
        await record_report(
            session,
            EvidenceStore(rig.evidence_dir),
            reporter_tg_id=FARM.id,
            department_id=binding.department_id,
            binding_id=binding.id,
            status="in_progress",
            values={target.targets[0].id: Decimal("80")},
            text="推进中",
            evidence=[],
            source="test",
            now=rig.clock(),
        )
        await session.commit()
    before = await state(rig)
    reply = await rig.ask(ADMIN, "/unbind 农业 A5.1")
    assert reply.plain_text == (
        "区农业农村局 has 1 report(s) on A5.1. Reports are never deleted, so the binding stays."
    )
    assert await state(rig) == before
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Report.id))) == 1


async def test_adjustments_are_for_admins(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/lang en")
    before = await state(rig)
    for command in (
        "/adddept 区某局",
        "/bind 农业 A1.1",
        "/unbind 农业 G1",
        "/deadline G1 2020-06-30",
    ):
        reply = await rig.ask(FARM, command)
        assert "not available to you" in reply.plain_text, command
    assert await state(rig) == before


def test_argument_parsers() -> None:
    assert adjust.parse_department_args(["区某某局", "B"]) == ("区某某局", "B")
    assert adjust.parse_department_args(["区某某局", "b类"]) == ("区某某局", "B")
    assert adjust.parse_department_args(["区 某某 局"]) == ("区 某某 局", "A")
    assert adjust.parse_department_args(["B"]) == ("B", "A")  # a name, not a flag
    assert adjust.split_department_and_code(["农业", "A5.1"]) == ("农业", "A5.1")
    assert adjust.split_department_and_code(["a5.1", "农业", "农村"]) == ("农业 农村", "a5.1")
    assert adjust.split_department_and_code(["农业", "五"]) is None
    assert adjust.clean_department_name(" 区\u200b新设局 ") == "区新设局"
    with pytest.raises(adjust.AdjustRefused):
        adjust.clean_department_name("/start")
