"""Scoring end to end over the project's Bot API server, on the bundled 2020 document.

The office confirms the default scheme (every department 100: common items 30, own
items 70), scores every item of three departments (one deduction proposed by the
past-due rule and confirmed by a button), gives a bonus and a penalty, applies a veto
of each effect; /results then shows the totals, grades and ranks written down here by
hand. Bad input is refused in one line with nothing changed; leaders read, never write.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot import cli
from storage.models import Deduction, ItemScore, ScoreAdjustment, ScoreAudit, VetoRecord
from tests.dashboard_support import dashboard_rig, get
from tests.office_support import ask_all, press_all
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig, FakeClock
from tests.support.webapp import signed_init_data

FARM = u.TgUser(id=730_001, first_name="农业联络员")
NOW = dt.datetime(2021, 1, 11, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, after the year

# What the office types, item by item (code, points given, reason); the default points:
# G1-G7 3.5, G8 5.5; 区发展改革局 A1.1 23, A1.2 23, A1.3 24; 区文旅体局 A7.1 23, A7.2 23,
# A7.3 24; a B-class department's B1 70.
REFORM = [
    ("G2", "3.5", ""),
    ("G3", "3", "专题会议仅召开1次"),
    ("G4", "3.5", ""),
    ("G5", "3.5", ""),
    ("G6", "3.5", ""),
    ("G7", "3.5", ""),
    ("G8", "5.5", ""),
    ("A1.1", "20", "燃煤锅炉淘汰滞后"),
    ("A1.2", "23", ""),
    ("A1.3", "22.5", "资料报送不及时"),
]  # + G1 by the confirmed rule: 3.5 - 2 = 1.5; total 93, bonus +3 -> 96
CULTURE = [(f"G{n}", "3.5", "") for n in range(1, 8)] + [
    ("G8", "5.5", ""),
    ("A7.1", "23", ""),
    ("A7.2", "18", "景区油烟整治未完成"),
    ("A7.3", "24", ""),
]  # 95, penalty -2 -> 93
# 区档案馆 (B) item by item in the /score conversation: G1-G8 full by the button, B1 60
# of 70 typed with its reason -> 90.


async def score_archive_item_by_item(rig: DubanRig) -> None:
    card = await rig.ask(ADMIN, "/score 档案馆")
    assert (card.plain_text or "").startswith("Item 1 of 9\nG1 ")
    assert "Not accepted" in (card.plain_text or "") and "past due" in (card.plain_text or "")
    assert any(data.startswith("ev:") for data in card.callback_data)
    for number in range(2, 10):
        pressed = await press_all(rig, ADMIN, card, "sc:f")
        card = pressed[-1]
        assert (card.plain_text or "").startswith(f"Item {number} of 9"), card.plain_text
    assert "B1 " in (card.plain_text or "") and "Points 70; now: not scored" in (
        card.plain_text or ""
    )
    # Refused input keeps the item open and changes nothing.
    before = await counts(rig)
    for text, expected in (
        ("很好", "is not a number of points"),
        ("80 多了", "between 0 and the item's points (70)"),
        ("60", "A reason is required"),
    ):
        reply = await say(rig, ADMIN, text)
        assert expected in reply, (text, reply)
    assert await counts(rig) == before
    answers = await ask_all(rig, ADMIN, "60 配合工作不到位")
    said = [m.plain_text or "" for m in answers]
    assert said[0] == "Recorded: 区档案馆 B1 60 of 70."
    assert said[1] == "That was the last item of 区档案馆; 0 remain unscored."


@pytest.fixture
async def rig(
    database_url: str, tmp_path: Path, fake_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DubanRig]:
    """The bot with its dashboard, after the year; the command line on the same database."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    monkeypatch.setattr(cli, "setup_logging", lambda *args, **kwargs: None)
    async for duban in dashboard_rig(fake_api, database_url, tmp_path, clock=FakeClock(NOW)):
        yield duban


# What every place must show, written down by hand: department -> (score, grade, rank,
# provisional). 区商务局 is vetoed (不合格) with nothing scored.
EXPECTED = {
    "区发展改革局": ("96", "优秀", 1, False),
    "区文旅体局": ("93", "良好", 2, False),
    "区商务局": ("0", "不合格", 3, True),
    "区档案馆": ("90", "良好", 1, False),
}


async def counts(rig: DubanRig) -> tuple[int, ...]:
    found: list[int] = []
    async with rig.session() as session:
        for table in (ItemScore, Deduction, ScoreAdjustment, VetoRecord, ScoreAudit):
            found.append(int(await session.scalar(select(func.count()).select_from(table)) or 0))
    return tuple(found)


async def say(rig: DubanRig, user: u.TgUser, text: str) -> str:
    return (await rig.ask(user, text)).plain_text or ""


async def test_scoring_from_scheme_to_results(rig: DubanRig) -> None:
    await rig.ask(ADMIN, "/lang en")
    assert (await say(rig, ADMIN, "/adddept 区档案馆 B")).startswith("Added 区档案馆 (class B)")

    scheme = await say(rig, ADMIN, "/scheme")
    assert "18 of 18 departments total 100 points." in scheme
    assert "Not confirmed" in scheme
    # Scoring before confirmation is refused.
    before = await counts(rig)
    refused = await say(rig, ADMIN, "/score 发改 A1.1 20 理由")
    assert (
        refused.startswith("The scoring scheme is not confirmed yet")
        and await counts(rig) == before
    )

    # Points move before confirmation; the department totals are shown at once.
    moved = await say(rig, ADMIN, "/points 发改 A1.1 25")
    assert moved.startswith("A1.1: 25 points for 1 binding(s)") and "区发展改革局 102" in moved
    assert "区发展改革局 100" in await say(rig, ADMIN, "/points 发改 a1.1 23")
    assert "17 of 18 departments" not in await say(rig, ADMIN, "/scheme")
    assert "falling lower bounds" in await say(rig, ADMIN, "/scheme grades 优秀 80 良好 90 差")
    for line in (
        "/scheme grades 优秀 90 良好 80 一般 70 合格 60 不合格",
        "/scheme rule past_due 2",
        "/scheme veto V1 fail 发生重大生态环境事件",
        "/scheme veto V2 no_top 中央环保督察问题整改不力",
        "/scheme veto V3 down_one 被省级以上通报批评",
    ):
        assert (await say(rig, ADMIN, line)).startswith("Scheme changed"), line
    confirmed = await say(rig, ADMIN, "/scheme confirm")
    assert confirmed.startswith("Scheme confirmed")
    assert "Grades: 优秀 ≥ 90, 良好 ≥ 80, 一般 ≥ 70, 合格 ≥ 60, below: 不合格" in confirmed
    # Once confirmed, settings are fixed and points need a reason.
    assert "/scheme reopen REASON" in await say(rig, ADMIN, "/scheme caps 5 5")
    assert "/scheme reopen REASON" in await say(rig, ADMIN, "/points G1 4")

    # The past-due rule proposes; the office confirms one by its button.
    proposals = await ask_all(rig, ADMIN, "/proposals 发改")
    listing = "\n".join(m.plain_text or "" for m in proposals)
    assert "past due at year end (due 2020-12-31)" in listing and "−2" in listing
    with_buttons = next(m for m in proposals if m.callback_data)
    g1 = with_buttons.button(" G1")["callback_data"]
    pressed = await press_all(rig, ADMIN, with_buttons, g1)
    assert any("区发展改革局 G1 −2 confirmed" in (m.plain_text or "") for m in pressed)

    await score_archive_item_by_item(rig)
    for department, lines in (("发改", REFORM), ("文旅", CULTURE)):
        for code, points, reason in lines:
            reply = await say(rig, ADMIN, f"/score {department} {code} {points} {reason}".strip())
            assert reply.startswith("Recorded:"), (department, code, reply)

    assert "bonus +3" in await say(rig, ADMIN, "/bonus 发改 3 获评省级生态文明示范")
    assert "penalty −2" in await say(rig, ADMIN, "/penalty 文旅 2 信息报送迟报")
    assert "(graded 不合格)" in await say(rig, ADMIN, "/veto 商务 V1 辖区发生重大污染事件 区环委会")
    assert "(no top grade)" in await say(rig, ADMIN, "/veto 档案馆 V2 整改不力 区委督查室")
    assert "(down one grade)" in await say(rig, ADMIN, "/veto 文旅 V3 被省厅通报 省生态环境厅")

    # Bad input: one line each, nothing changed.
    before = await counts(rig)
    bad = {
        "/score 发改 A1.1 30 太多": "between 0 and the item's points (23)",
        "/score 发改 A1.1 abc 理由": "is not a number of points",
        "/score 发改 A1.1 20": "A reason is required",
        "/score 发改 A1.1 -1 理由": "is not a number of points",
        "/score 不存在的局 A1.1 1 理由": "No department matches",
        "/score 发改 Z9 1 理由": "There is no item",
        "/score 发改 A5.1 1 理由": "is not bound to A5.1",
        "/bonus 发改 8 再加": "pass the cap of 10 (already 3)",
        "/penalty 文旅 2": "Usage: /penalty",
        "/veto 发改 V9 理由 区环委会": "Unknown veto condition “V9”",
        "/proposals 999999 1 理由": "There is no such proposed deduction",
    }
    for text, expected in bad.items():
        reply = await say(rig, ADMIN, text)
        assert expected in reply and "\n" not in reply, (text, reply)
    # A leader reads, never writes; a liaison learns nothing of any score.
    await rig.join(FARM, "农业")
    await rig.join(LEADER, None)
    await rig.ask(LEADER, "/lang en")
    await rig.ask(FARM, "/lang en")
    assert "not available to you" in await say(rig, LEADER, "/score 发改 A1.1 1 理由")
    assert "not available to you" in await say(rig, LEADER, "/bonus 发改 1 理由")
    assert "not available to you" in await say(rig, FARM, "/results")
    assert await counts(rig) == before

    results = "\n".join(m.plain_text or "" for m in await ask_all(rig, LEADER, "/results"))
    assert "Provisional: " in results
    assert "1*. 区发展改革局  96 (provisional" not in results  # every item of it is scored
    assert "1*. 区发展改革局  96  优秀 · bonus +3" in results
    assert "2*. 区文旅体局  93  良好 · penalty −2 · ⛔ down one grade" in results
    assert "1. 区档案馆  90  良好 · ⛔ no top grade" in results
    assert "区商务局  0 (provisional, 12 to score)  不合格 · ⛔ graded 不合格" in results

    # A department's line leads to its deductions with their reasons.
    message = next(m for m in await ask_all(rig, ADMIN, "/results") if m.callback_data)
    reform_button = message.button("区发展改革局")["callback_data"]
    detail = "\n".join(
        m.plain_text or "" for m in await press_all(rig, ADMIN, message, reform_button)
    )
    assert "G1  1.5 / 3.5" in detail and "−2 past due at year end (due 2020-12-31)" in detail
    assert "A1.1  20 / 23" in detail and "−3 燃煤锅炉淘汰滞后" in detail
    assert "Bonus +3: 获评省级生态文明示范" in detail

    # The dashboard's API, the workbook's two sheets and `assess results --json` agree.
    await agree_everywhere(rig, results)


async def agree_everywhere(rig: DubanRig, results_text: str) -> None:
    status, _type, body = await get(
        rig, "/api/results", signed_init_data(LEADER, rig.api.token, auth_date=rig.clock())
    )
    assert status == 200
    api = {r["department"]: r for r in json.loads(body)["results"]}
    liaison = await get(
        rig, "/api/results", signed_init_data(FARM, rig.api.token, auth_date=rig.clock())
    )
    assert liaison[0] == 403 and "区" not in liaison[2]

    printed: list[str] = []
    code = await asyncio.to_thread(run_cli, ["assess", "results", "--json"], printed.append)
    assert code == 0
    cli_rows = {r["department"]: r for r in json.loads("".join(printed))}

    target = rig.evidence_dir.parent / "export.xlsx"
    assert await asyncio.to_thread(run_cli, ["export", str(target)], lambda _t: None) == 0
    book = load_workbook(target, read_only=True)
    sheet_rows = list(book["考核结果"].iter_rows(min_row=3, values_only=True))
    sheet = {row[0]: row for row in sheet_rows}
    details = list(book["评分明细"].iter_rows(min_row=3, values_only=True))

    assert set(api) == set(cli_rows) == set(sheet) and len(api) == 18
    for name, row in api.items():
        assert cli_rows[name] == row
        excel = sheet[name]
        assert Decimal(str(excel[2])) == Decimal(row["score"]), name
        assert (excel[10], excel[11]) == (row["grade"], row["rank"]), name
        assert (excel[12] != "否") == (row["provisional"] or row["rank_provisional"]), name
    for name, (score, grade, rank, provisional) in EXPECTED.items():
        row = api[name]
        assert (row["score"], row["grade"], row["rank"], row["provisional"]) == (
            score,
            grade,
            rank,
            provisional,
        ), name
        assert f"{name}  {score}" in results_text
    reform_a11 = next(r for r in details if r[0] == "区发展改革局" and r[1] == "A1.1")
    assert Decimal(str(reform_a11[3])) == 23 and Decimal(str(reform_a11[4])) == 20
    # The manual deduction with its reason; the open past-due proposal marked as such.
    assert reform_a11[5].endswith("（待确认）；−3 燃煤锅炉淘汰滞后"), reform_a11[5]
    assert reform_a11[6] not in (None, "", "—") and reform_a11[7] == dt.datetime(2021, 1, 11, 10)


def run_cli(argv: list[str], out: Callable[[str], object]) -> int:
    """`python -m bot ARGV` in this process (in a thread: it runs its own event loop),
    its standard output handed to `out`."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = cli.main(argv)
    out(buffer.getvalue())
    return code
