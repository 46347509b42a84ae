"""Supervision end to end (issue 22), over the fake Bot API server, on SQLite and PostgreSQL.

The bundled 2020 campaign, bound on 1 January. On Friday 2020-10-09 区农业农村局 reports G1
("不少于2次", paced: 1.5 of 2 expected by now) and A5.1 (a rate, "秸秆综合利用率达到90%"),
both in progress at 0: G1 turns yellow, behind pace, on /items, /dept, the digest, the
export and the dashboard, while A5.1 in the same state stays green. The office gives A5.2
a milestone (2020-10-15); it warns before, and once it passes unmet the item is red on it.
The office moves G2's deadline to 2020-11-30; the farm liaison asks to extend it to
2020-12-20, an admin approves with the button, and /item shows the new date with the
original and who approved it, while 生态环境's binding of G2 keeps 2020-11-30; a request
too close to the due date is refused and changes nothing. A returned report of A5.3 opens
a rectification due 2020-10-14: "under rectification", then red when missed, then cleared
by an accepted report.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from core.export.gather import gather_export
from core.export.sheets import SHEET_ITEMS, write_workbook
from storage.models import Binding, Campaign
from tests.dashboard_support import dashboard_rig, get
from tests.office_support import ECO, FARM, accept, ask_all, department_id, overdue_text, report
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig, FakeClock
from tests.support.webapp import signed_init_data

BOUND = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
FRIDAY = dt.datetime(2020, 10, 9, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
AFTER = dt.datetime(2020, 10, 16, 2, tzinfo=dt.UTC)  # the milestone and rectification passed
LATE = dt.datetime(2020, 11, 26, 2, tzinfo=dt.UTC)  # Thursday: 2 working days before 11-30
GROUP = u.group_chat()
FARM_NAME, ECO_NAME = "区农业农村局", "市生态环境局雨花分局"
ITEM_LINE = re.compile(r"^(🔴|🟡|🟢) ([GAB]\d+(?:\.\d+)?) ", re.M)


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    clock = FakeClock(BOUND)
    async for duban in dashboard_rig(
        fake_api, database_url, tmp_path, clock=clock, default_locale="en"
    ):
        async with duban.session() as session:
            await session.execute(update(Campaign).values(created_at=BOUND))
            await session.execute(update(Binding).values(created_at=BOUND))
            await session.commit()
        yield duban


async def text_of(rig: DubanRig, command: str, user: u.TgUser = ADMIN) -> str:
    return "\n".join(m.plain_text or "" for m in await ask_all(rig, user, command))


def block(text: str, code: str) -> str:
    """An item's lines on /items or /dept: its head line and the indented ones after it."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if ITEM_LINE.match(line) and f" {code} " in line)
    rest = [line for line in lines[start + 1 :]]
    end = next((i for i, line in enumerate(rest) if not line.startswith("   ")), len(rest))
    return "\n".join([lines[start], *rest[:end]])


def department_block(text: str, name: str) -> str:
    """A department's lines on /item: its line and the indented ones after it."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if f" {name}: " in line)
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if not line.startswith("   ")), len(rest))
    return "\n".join([lines[start], *rest[:end]])


async def api(rig: DubanRig, path: str) -> Any:
    init_data = signed_init_data(LEADER, rig.api.token, auth_date=rig.clock())
    status, _, body = await get(rig, path, init_data)
    assert status == 200, (path, body)
    return json.loads(body)


async def digest_text(rig: DubanRig) -> str:
    since = rig.api.mark()
    reply = await rig.ask(ADMIN, "/digest", timeout=30)
    assert "digest was sent to the office group" in (reply.plain_text or "")
    return "\n".join(
        m.plain_text or ""
        for m in rig.api.messages_to(GROUP.id)
        if m.index >= since and m.method == "sendMessage"
    )


async def exported(rig: DubanRig) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The export's items sheet: (department, code) -> (colour, 当前应完成日期, 预警原因,
    原定期限, 延期记录, 整改期限)."""
    async with rig.session() as session:
        data = await gather_export(session, None)
    path = rig.evidence_dir.parent / f"export-{uuid.uuid4().hex}.xlsx"
    write_workbook(data, path, rig.settings.reading(rig.clock()))
    sheet = load_workbook(path, read_only=True)[SHEET_ITEMS]
    rows = {
        (row[0], row[2]): (str(row[7])[0], row[14], row[15], row[16], row[17], row[18])
        for row in sheet.iter_rows(min_row=3, values_only=True)
    }
    path.unlink()
    return rows


async def test_pace_milestones_extensions_and_rectification(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态环境")
    await rig.join(LEADER, None)
    for user in (ADMIN, FARM, ECO):
        assert (await rig.ask(user, "/lang en")).plain_text == "Language set to English."
    await rig.ask(ADMIN, "/setgroup", chat=GROUP)
    rig.clock.set(FRIDAY)

    # The office's edits: a milestone for A5.2, a deadline for G2 (bound to everyone).
    reply = await rig.ask(ADMIN, "/milestones A5.2 2020-10-15")
    assert reply.plain_text == "Milestones of A5.2: 2020-10-15 (were none)."
    assert (await rig.ask(ADMIN, "/milestones A5.2 2021-02-30")).plain_text == (
        "“2021-02-30” is not a date; write it as 2020-06-30."
    )
    await rig.ask(ADMIN, "/deadline G2 2020-11-30")

    # ---- pace: G1 (cumulative) behind, A5.1 (a rate) in the same state green.
    await report(rig, "农业", "G1", "in_progress", "0", at=rig.clock())
    await report(rig, "农业", "A5.1", "in_progress", "0", at=rig.clock())
    items = await text_of(rig, "/items", FARM)
    assert block(items, "G1").startswith("🟡 G1 ")
    assert "   ⚑ behind pace" in block(items, "G1").split("\n")
    assert "📈 pace: 1.5 expected by today, 0 reported (target 2)" in block(items, "G1")
    assert block(items, "A5.1").startswith("🟢 A5.1 ") and "⚑" not in block(items, "A5.1")
    # The milestone is due next: A5.2 is due on it, soon, and never reported (silent).
    assert "deadline 2020-10-15 (milestone)" in block(items, "A5.2")
    assert "   ⚑ due soon · silent" in block(items, "A5.2").split("\n")

    dept = await text_of(rig, "/dept 农业")
    assert block(dept, "G1").startswith("🟡 G1 ") and "⚑ behind pace" in block(dept, "G1")
    assert block(dept, "A5.1").startswith("🟢 A5.1 ") and "⚑" not in block(dept, "A5.1")

    digest = await digest_text(rig)
    assert "Behind pace: " in digest
    assert f"{FARM_NAME} G1: 0 of 1.5 expected by today (target 2)" in digest
    assert f"{FARM_NAME} A5.1" not in digest.split("Behind pace: ")[1].split("\n\n")[0]

    sheet = await exported(rig)
    assert sheet[(FARM_NAME, "G1")][0] == "🟡" and sheet[(FARM_NAME, "G1")][2] == "进度滞后"
    assert sheet[(FARM_NAME, "A5.1")][0] == "🟢" and sheet[(FARM_NAME, "A5.1")][2] == "—"

    farm_id = await department_id(rig, "农业")
    page = await api(rig, f"/api/departments/{farm_id}")
    rows = {row["code"]: row for row in page["items"]}
    assert (rows["G1"]["colour"], rows["G1"]["reasons"]) == ("yellow", ["behind_pace"])
    assert (rows["A5.1"]["colour"], rows["A5.1"]["reasons"]) == ("green", [])
    trend = (await api(rig, "/api/items/G1"))["trend"]
    assert Decimal(trend["target"]) == 2
    assert [(day, Decimal(v)) for day, v in trend["pace"]] == [
        ("2020-01-01", 0),
        ("2020-12-31", 2),
    ]
    farm_line = next(line for line in trend["lines"] if line["department"] == FARM_NAME)
    assert [(day, Decimal(v)) for day, v in farm_line["points"]] == [("2020-10-09", 0)]

    # ---- a rectification: A5.3 done, returned with a rectification due 2020-10-14.
    await report(rig, "农业", "A5.3", "done", "80", at=rig.clock())
    answers = await ask_all(rig, ADMIN, "/review")
    assert (answers[0].plain_text or "").startswith("1 report awaits review"), answers
    message = next(m for m in answers if any(d.startswith("rv:r:") for d in m.callback_data))
    returning = next(d for d in message.callback_data if d.startswith("rv:r:"))
    await rig.press(ADMIN, message, returning)
    since = rig.api.mark()
    done = await rig.ask(ADMIN, "整改 2020-10-14 台账不全，请补充")
    assert done.plain_text.startswith("Returned with your comment: A5.3 of 区农业农村局.")
    told = await rig.api.wait_for(chat_id=FARM.id, since=since)
    assert "Rectification (整改) due 2020-10-14" in told.plain_text
    assert "/measures A5.3" in told.plain_text
    measures = await rig.ask(FARM, "/measures A5.3 补齐秸秆台账")
    assert measures.plain_text == "Measures for A5.3 recorded; rectification due 2020-10-14."
    dept = await text_of(rig, "/dept 农业")
    a53 = block(dept, "A5.3")
    assert "⚑ due soon · under rectification" in a53
    assert "🛠 under rectification until 2020-10-14; measures: 补齐秸秆台账" in a53
    assert "deadline 2020-10-14 (rectification)" in a53

    # ---- an extension of G2 for 区农业农村局 only.
    since = rig.api.mark()
    asked = await rig.ask(FARM, "/extend G2 2020-12-20 等待省级验收")
    assert asked.plain_text == (
        "Your extension of G2 to 2020-12-20 was sent to the office for approval."
    )
    request = await rig.api.wait_for(chat_id=ADMIN.id, since=since)
    assert "Extension asked (延期申请): 区农业农村局, G2" in request.plain_text
    assert "Due 2020-11-30 → asked 2020-12-20" in request.plain_text
    approve = next(d for d in request.callback_data if d.startswith("ex:a:"))
    since = rig.api.mark()
    decided = await rig.press(ADMIN, request, approve)
    assert decided.kind == "edit" or "Approved: G2" in (decided.plain_text or "")
    told = await rig.api.wait_for(chat_id=FARM.id, since=since)
    assert (
        told.plain_text == "Your extension of G2 was approved: now due 2020-12-20 (was 2020-11-30)."
    )
    item = await text_of(rig, "/item G2")
    farm = department_block(item, FARM_NAME)
    assert "deadline 2020-12-20 (extended from 2020-11-30)" in farm
    assert "⏩ extended 2020-11-30 → 2020-12-20, approved by" in farm
    assert "等待省级验收" in farm
    eco = department_block(item, ECO_NAME)
    assert "deadline 2020-11-30" in eco and "extended" not in eco
    sheet = await exported(rig)
    assert sheet[(FARM_NAME, "G2")][1] == "2020-12-20（原定 2020-11-30，已延期）"
    assert sheet[(FARM_NAME, "G2")][3].date() == dt.date(2020, 11, 30)  # 原定期限, a date cell
    assert sheet[(FARM_NAME, "G2")][4].startswith("2020-11-30→2020-12-20 已批准")
    assert sheet[(ECO_NAME, "G2")][1] == "2020-11-30" and sheet[(ECO_NAME, "G2")][4] == "—"
    g2 = {r["department"]: r for r in (await api(rig, "/api/items/G2"))["departments"]}
    assert (g2[FARM_NAME]["deadline"], g2[FARM_NAME]["original_due"]) == (
        "2020-12-20",
        "2020-11-30",
    )
    assert g2[FARM_NAME]["extensions"][0]["state"] == "approved"
    assert g2[ECO_NAME]["deadline"] == "2020-11-30" and g2[ECO_NAME]["extensions"] == []
    # A second one is over the limit of one per binding.
    again = await rig.ask(FARM, "/extend G2 2020-12-25 再延")
    assert again.plain_text == "This item's extensions are used up (1 per department)."

    # ---- a week later: the milestone passed unmet, the rectification missed.
    rig.clock.set(AFTER)
    dept = await text_of(rig, "/dept 农业")
    a52 = block(dept, "A5.2")
    assert a52.startswith("🔴 A5.2 ") and "deadline 2020-10-15 (milestone)" in a52
    assert "⚑ past due · silent" in a52
    a53 = block(dept, "A5.3")
    assert a53.startswith("🔴 A5.3 ") and "⚑ rectification overdue · under rectification" in a53
    overdue = await overdue_text(rig, ADMIN)
    assert re.search(r"^🔴 A5\.2 .*deadline 2020-10-15 \(milestone\)", overdue, re.M)
    assert re.search(r"^🔴 A5\.3 .*rectification overdue", overdue, re.M)

    # Cleared by an accepted report.
    await accept(rig, await report(rig, "农业", "A5.3", "done", "92", at=rig.clock()))
    dept = await text_of(rig, "/dept 农业")
    a53 = block(dept, "A5.3")
    assert a53.startswith("🟢 A5.3 ") and "⚑" not in a53 and "🛠" not in a53

    # ---- too late: 生态环境 asks two working days before G2's 2020-11-30.
    rig.clock.set(LATE)
    late = await rig.ask(ECO, "/extend G2 2020-12-15 人手不足")
    assert late.plain_text == (
        "Too late: an extension must be asked at least 3 working days before the due date "
        "2020-11-30. The item stays as it is."
    )
    eco = department_block(await text_of(rig, "/item G2"), ECO_NAME)
    assert "deadline 2020-11-30" in eco and "⏩" not in eco
