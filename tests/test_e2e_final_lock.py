"""After /finalize no score changes, over the project's Bot API server (issue 21).

The 2020 campaign scored through the engine, fed back, approved and made final; then
every command of the scoring engine that changes a score — /score (quick, the
conversation's button, and typed from its card), /points, /scheme confirm, reopen and
settings, /bonus, /penalty, /veto and their undo, /proposals (new, by number and by the
button of a listing sent before), and the Save of a /scores upload previewed before —
gets exactly one line in the user's language, and nothing changes: not a row, not
/results, not `assess results --json`. The 评分表 can still be downloaded. After
/finalize reopen a /score is recorded again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot import cli
from core.scoring.sql import SqlScoring
from core.scoring.usecases import RULE_PAST_DUE, Actor, confirm_scheme, reopen_scheme, set_rule
from storage.models import (
    BindingPoints,
    Deduction,
    ItemScore,
    ScoreAdjustment,
    ScoreAudit,
    ScoringScheme,
    VetoCondition,
    VetoRecord,
)
from tests.dashboard_support import dashboard_rig
from tests.office_support import ask_all, press_all
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI, SentMessage
from tests.support.duban import ADMIN, LEADER, DubanRig, FakeClock
from tests.test_e2e_scoring import run_cli
from tests.test_scoring_sheet import row_of, upload
from tests.yearend_support import OFFICE_ID, confirm_with_vetoes, score_everything

REVIEW_DAY = dt.datetime(2021, 1, 11, 2, 0, tzinfo=dt.UTC)  # Monday, 10:00 in Shanghai
AFTER_WINDOW = dt.datetime(2021, 1, 19, 2, 0, tzinfo=dt.UTC)  # the re-check ended the 18th
FINAL_ZH = (
    "考核结果已定稿（/finalize），分数不能再更改，本次未作任何更改。"
    "如需更改请先 /finalize reopen 理由。"
)
FINAL_EN = (
    "The results are final (/finalize): scores cannot change any more, and nothing "
    "was changed. /finalize reopen REASON opens them again."
)
TABLES = (
    ItemScore,
    Deduction,
    ScoreAdjustment,
    VetoRecord,
    ScoreAudit,
    BindingPoints,
    ScoringScheme,
    VetoCondition,
)


@pytest.fixture
async def rig(
    database_url: str, tmp_path: Path, fake_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DubanRig]:
    """The bot with its dashboard; the command line on the same database."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    monkeypatch.setattr(cli, "setup_logging", lambda *args, **kwargs: None)
    async for duban in dashboard_rig(fake_api, database_url, tmp_path, clock=FakeClock(REVIEW_DAY)):
        yield duban


async def say(rig: DubanRig, user: u.TgUser, text: str) -> str:
    return (await rig.ask(user, text)).plain_text or ""


async def snapshot(rig: DubanRig) -> tuple[tuple[int, ...], str, str]:
    """Every scoring table's row count, /results as a leader reads it, and the
    command line's results."""
    found: list[int] = []
    async with rig.session() as session:
        for table in TABLES:
            found.append(int(await session.scalar(select(func.count()).select_from(table)) or 0))
    results = "\n".join(m.plain_text or "" for m in await ask_all(rig, LEADER, "/results"))
    printed: list[str] = []
    assert await asyncio.to_thread(run_cli, ["assess", "results", "--json"], printed.append) == 0
    return tuple(found), results, "".join(printed)


def only_sent(messages: list[SentMessage]) -> list[str]:
    return [m.plain_text or "" for m in messages if m.kind == "send"]


async def test_after_finalize_every_score_change_is_refused(rig: DubanRig) -> None:
    await rig.join(LEADER, None)
    # Scored through the engine, with the past-due rule so that proposals exist.
    async with rig.session() as session:
        await confirm_with_vetoes(session, REVIEW_DAY)
        store, actor = SqlScoring(session), Actor(OFFICE_ID, REVIEW_DAY)
        await reopen_scheme(store, store, actor, "加上逾期扣分规则")
        await set_rule(store, store, actor, RULE_PAST_DUE, Decimal(2))
        await confirm_scheme(store, store, actor)
        await score_everything(session, REVIEW_DAY, {})
        await session.commit()
    assert (await say(rig, ADMIN, "/bonus 发改 3 获评省级生态文明示范")).startswith("已记录")
    assert (await say(rig, ADMIN, "/veto 商务 V1 辖区发生重大污染事件 区环委会")).startswith(
        "已记录"
    )
    # Sent before final, used after: a proposals listing, a /score card, a sheet's preview.
    listing = next(m for m in await ask_all(rig, ADMIN, "/proposals 发改") if m.callback_data)
    confirm_button = next(d for d in listing.callback_data if d.startswith("sc:pc:"))
    sent = [m for m in await ask_all(rig, ADMIN, "/scores") if m.files]
    workbook = load_workbook(io.BytesIO(sent[0].files[0].content or b""))
    sheet = workbook["评分表"]
    a11 = row_of(sheet, "区发展改革局", "A1.1")
    sheet.cell(a11, 7).value = 20
    sheet.cell(a11, 8).value = "燃煤锅炉淘汰滞后"
    filled = io.BytesIO()
    workbook.save(filled)
    preview = (await upload(rig, filled.getvalue()))[-1]
    save_button = next(d for d in preview.callback_data if d.startswith("scs:y:"))

    # Fed back, the re-check window over, approved, final.
    assert (await say(rig, ADMIN, "/feedback")).startswith("已向 18 个单位反馈考核结果")
    rig.clock.set(AFTER_WINDOW)
    approved = await say(rig, ADMIN, "/approve 区生态环境保护委员会 2021-01-19 雨环委〔2021〕3号")
    assert approved.startswith("已记录：区生态环境保护委员会"), approved
    card = await rig.ask(ADMIN, "/score 档案馆")  # the conversation is open at /finalize
    assert "sc:f" in card.callback_data, card.plain_text
    assert (await say(rig, ADMIN, "/finalize")).startswith("已定稿")

    before = await snapshot(rig)
    # The /score conversation open since before final: its full-marks button.
    assert only_sent(await press_all(rig, ADMIN, card, "sc:f")) == [FINAL_ZH]
    commands = [
        "/score 发改 A1.1 20 燃煤锅炉淘汰滞后",
        "/score 发改",
        "/points 发改 A1.1 25 调整分值",
        "/points G1 4 调整分值",
        "/scheme confirm",
        "/scheme reopen 重议",
        "/scheme caps 5 5",
        "/scheme grades 优秀 90 良好 80 合格 60 不合格",
        "/scheme rule past_due 3",
        "/scheme veto V9 fail 新条件",
        "/bonus 发改 1 再加",
        "/bonus 发改 undo 撤销",
        "/penalty 文旅 2 迟报",
        "/penalty 文旅 undo 撤销",
        "/veto 发改 V2 整改不力 区委督查室",
        "/veto 商务 undo V1 撤销",
        "/proposals 发改",
        f"/proposals {confirm_button.removeprefix('sc:pc:')} 1 改为1分",
    ]
    for text in commands:
        assert only_sent(await ask_all(rig, ADMIN, text)) == [FINAL_ZH], text
    # Buttons sent before final: the proposal's confirm, the upload's Save.
    assert only_sent(await press_all(rig, ADMIN, listing, confirm_button)) == [FINAL_ZH]
    assert only_sent(await press_all(rig, ADMIN, preview, save_button)) == [FINAL_ZH]
    # A new upload is refused at once; the sheet itself can still be downloaded.
    said = only_sent(await upload(rig, filled.getvalue()))
    assert said[0] == FINAL_ZH, said
    assert [m for m in await ask_all(rig, ADMIN, "/scores") if m.files]
    # In English for an English reader.
    await rig.ask(ADMIN, "/lang en")
    assert only_sent(await ask_all(rig, ADMIN, "/score 发改 A1.1 20 理由")) == [FINAL_EN]
    assert only_sent(await ask_all(rig, ADMIN, "/bonus 发改 1 理由")) == [FINAL_EN]
    await rig.ask(ADMIN, "/lang zh")
    assert await snapshot(rig) == before

    # Reopened: a score is recorded again, and shows.
    assert (await say(rig, ADMIN, "/finalize reopen 审定文号有误")).startswith("已重开")
    recorded = await say(rig, ADMIN, "/score 发改 A1.1 20 燃煤锅炉淘汰滞后")
    assert recorded.startswith("已记录：区发展改革局 A1.1 得 20 分"), recorded
    counts, _results, printed = await snapshot(rig)
    assert counts != before[0]
    reform = next(r for r in json.loads(printed) if r["department"] == "区发展改革局")
    reform_before = next(r for r in json.loads(before[2]) if r["department"] == "区发展改革局")
    assert Decimal(reform["score"]) == Decimal(reform_before["score"]) - 3
