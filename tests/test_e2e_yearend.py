"""The year end over the project's Bot API server, on the bundled 2020 document.

Open the self-assessment (liaisons told privately); two departments self-assess, one is
returned with a comment and resubmits; a site check is recorded and cited by a
deduction; /feedback sends each department its own result and feedback sheet; an appeal
on an item (changed) and one on a veto (upheld); approval after the re-check window;
/finalize locks the year end; reopening is logged. The totals, grades and ranks agree
across the engine, /results, the dashboard's API (/api/results and the 考核 tab's),
`assess results --json`, the workbook and the results notice that `assess report`
writes; the workbook's 自评 and 复核记录 sheets hold the self-scores and the appeal log.
Bad input gets one line and changes nothing.
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
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot import cli
from core.scoring.amounts import show
from core.scoring.engine import in_rank_order
from core.scoring.results import results_of
from core.scoring.sql import SqlScoring
from storage.models import Appeal, ScoreAudit, SelfScore
from tests.dashboard_support import dashboard_rig, get, jpeg
from tests.office_support import ask_all, press_all
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig
from tests.support.webapp import signed_init_data
from tests.test_e2e_scoring import run_cli
from tests.yearend_support import score_everything

FARM = u.TgUser(id=740_001, first_name="农业联络员")
COMMERCE = u.TgUser(id=740_006, first_name="商务联络员")
OPEN_DAY = dt.datetime(2021, 1, 4, 2, 0, tzinfo=dt.UTC)  # Monday, 10:00 in Shanghai
REVIEW_DAY = dt.datetime(2021, 1, 11, 2, 0, tzinfo=dt.UTC)  # Monday
AFTER_WINDOW = dt.datetime(2021, 1, 19, 2, 0, tzinfo=dt.UTC)  # deadline was the 18th

FARM_ITEMS = [(f"G{n}", "3.5") for n in range(1, 8)] + [("G8", "5.5")]
FARM_ITEMS += [(f"A5.{n}", "10") for n in range(1, 8)]
COMMERCE_ITEMS = [(f"G{n}", "3.5") for n in range(1, 8)] + [("G8", "5.5")]
COMMERCE_ITEMS += [("A6.1", "17.5"), ("A6.2", "17.5"), ("A6.3", "17.5"), ("A6.4", "17.5")]


async def say(rig: DubanRig, user: u.TgUser, text: str) -> str:
    return (await rig.ask(user, text)).plain_text or ""


async def changes(rig: DubanRig) -> tuple[int, int, int]:
    async with rig.session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(ScoreAudit)) or 0),
            int(await session.scalar(select(func.count()).select_from(SelfScore)) or 0),
            int(await session.scalar(select(func.count()).select_from(Appeal)) or 0),
        )


async def refused(rig: DubanRig, user: u.TgUser, text: str, expected: str) -> None:
    """`text` gets exactly one reply starting with `expected`, and nothing changes."""
    before = await changes(rig)
    answers = [m for m in await ask_all(rig, user, text) if m.kind == "send"]
    assert len(answers) == 1, [m.plain_text for m in answers]
    assert (answers[0].plain_text or "").startswith(expected), answers[0].plain_text
    assert await changes(rig) == before, text


async def self_assess(rig: DubanRig, user: u.TgUser, items: list[tuple[str, str]]) -> None:
    for code, points in items:
        reply = await say(rig, user, f"/selfassess {code} {points} {code}已按要求完成")
        assert reply.startswith(f"已记录：{code} 自评"), reply


async def submit(rig: DubanRig, user: u.TgUser) -> str:
    form = await ask_all(rig, user, "/selfassess")
    with_button = next(m for m in form if "ya:sub" in m.callback_data)
    pressed = await press_all(rig, user, with_button, "ya:sub")
    return "\n".join(m.plain_text or "" for m in pressed if m.kind == "send")


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    """The real bot with its dashboard, on both databases, the 2020 campaign imported."""
    async for duban in dashboard_rig(fake_api, database_url, tmp_path):
        yield duban


@pytest.fixture
def command_line(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m bot ...` in this process reads the test's database, as an operator's would."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    monkeypatch.setattr(cli, "setup_logging", lambda *args, **kwargs: None)


@pytest.mark.usefixtures("command_line")
async def test_year_end_from_open_to_final(rig: DubanRig, tmp_path: Path) -> None:
    rig.clock.set(OPEN_DAY)
    await rig.join(FARM, "农业")
    await rig.join(COMMERCE, "商务")
    await rig.join(LEADER, None)
    assert (await say(rig, ADMIN, "/adddept 区档案馆 B")).startswith("已添加 区档案馆")

    # Not before the scheme is confirmed.
    await refused(rig, ADMIN, "/assess open 2021-01-08", "评分办法尚未确认")
    for line in (
        "/scheme veto V1 fail 发生重大生态环境事件",
        "/scheme veto V2 no_top 中央环保督察问题整改不力",
        "/scheme confirm",
    ):
        await say(rig, ADMIN, line)

    # -- open: both liaisons are told privately
    since = rig.api.mark()
    opened = await say(rig, ADMIN, "/assess open 2021-01-08")
    assert opened == "年度自评已开启，截止 2021年1月8日；已私信通知 2 名联络员。"
    told = await rig.api.wait_for(chat_id=FARM.id, since=since)
    assert "截止 2021年1月8日" in (told.plain_text or "") and "/selfassess" in (
        told.plain_text or ""
    )
    await refused(rig, LEADER, "/selfassess", "您无权使用此命令")

    # -- self-assessment: bounds, statements, submit; returned, resubmitted
    await refused(rig, FARM, "/selfassess A5.1 11 已完成", "A5.1 的得分应在 0 到其分值 10 之间")
    await refused(rig, FARM, "/selfassess A6.1 5 已完成", "A6.1 不是本单位的考核事项")
    await refused(rig, FARM, "/selfassess A5.1 十分", "“十分”不是有效的分数")
    await refused(rig, FARM, "/selfassess A5.1 9", "A5.1 从未通过审核")
    await self_assess(rig, FARM, FARM_ITEMS)
    report = rig.api.add_file(b"PK self-check", file_name="自查报告.docx")
    attached = await rig.send_and_wait(
        u.document_message(FARM, report, caption="/selfassess"), FARM.id
    )
    assert attached.plain_text == "已记录自查报告。"
    form = "\n".join(m.plain_text or "" for m in await ask_all(rig, FARM, "/selfassess"))
    assert "自查报告：自查报告.docx" in form and "自评合计：100；尚缺：0 项。" in form
    assert "A5.1" in form and "A6.1" not in form
    assert "区农业农村局 的自评（100 分）已锁定" in await submit(rig, FARM)
    await refused(rig, FARM, "/selfassess A5.3 8 补充", "你单位的自评已提交并锁定")
    since = rig.api.mark()
    returned = await say(rig, ADMIN, "/assess return 农业 A5.3请补充养殖户台账")
    assert returned == "已退回 区农业农村局 的自评。"
    back = await rig.api.wait_for(chat_id=FARM.id, since=since)
    assert "A5.3请补充养殖户台账" in (back.plain_text or "")
    assert (await say(rig, FARM, "/selfassess A5.3 8 台账已补充")).startswith("已记录：A5.3")
    assert "（98 分）已锁定" in await submit(rig, FARM)
    await self_assess(rig, COMMERCE, COMMERCE_ITEMS)
    assert "区商务局 的自评（100 分）已锁定" in await submit(rig, COMMERCE)
    office_view = "\n".join(
        m.plain_text or "" for m in await ask_all(rig, ADMIN, "/assess show 农业")
    )
    assert "区农业农村局 自评 · 已提交（已锁定）" in office_view
    assert "A5.3 加强畜禽养殖单位（养殖户）监督指导\n自评 8 / 10" in office_view
    assert "台账已补充" in office_view and "/selfassess CODE" not in office_view
    status = await say(rig, ADMIN, "/assess status")
    assert status.startswith("尚未提交（16）") and "区农业农村局" not in status

    # -- office review: scores, a veto, a site check cited by a deduction
    rig.clock.set(REVIEW_DAY)
    await refused(rig, COMMERCE, "/selfassess A6.1 10 补充", "自评已截止")
    await refused(rig, ADMIN, "/feedback", "以下单位尚有事项未评分")
    async with rig.session() as session:
        await score_everything(
            session,
            REVIEW_DAY,
            {
                ("区农业农村局", "A5.2"): (Decimal(2), "受污染耕地台账不完整"),
                ("区农业农村局", "A5.4"): (Decimal("1.5"), "化肥减量数据未按时报送"),
                ("区商务局", "A6.1"): (Decimal(3), "散煤整治进度滞后"),
            },
        )
        await session.commit()
    await say(rig, ADMIN, "/veto 商务 V1 辖区发生重大污染事件 区环委会")
    checked = await say(
        rig, ADMIN, "/sitecheck 农业 2020-12-10 区环委办 张、李 | 耕地台账缺2个地块"
    )
    assert checked.startswith("已记录：区农业农村局 于 2020年12月10日 的实地核查 S1")
    await refused(rig, ADMIN, "/sitecheck 农业 2020-13-10 张 | 无", "“2020-13-10”不是有效日期")
    await refused(rig, ADMIN, "/sitecheck cite S1 A5.1", "该单位在 A5.1 上没有已确认的扣分")
    photo = rig.api.add_file(jpeg(), mime_type="image/jpeg")
    with_photo = await rig.send_and_wait(
        u.photo_message(ADMIN, photo, caption="/sitecheck 农业 2020-12-11 区环委办 张 | 现场照片"),
        ADMIN.id,
    )
    assert (with_photo.plain_text or "").startswith(
        "已记录：区农业农村局 于 2020年12月11日 的实地核查 S2"
    )
    listed = await say(rig, ADMIN, "/sitecheck 农业")
    assert "S1 2020年12月10日 区环委办 张、李" in listed and "（1 张照片）" in listed
    cited = await say(rig, ADMIN, "/sitecheck cite S1 A5.2")
    assert cited == "已记录：区农业农村局 A5.2 的扣分引用实地核查 S1。"

    # -- feedback: each department its own result and sheet, privately
    await refused(rig, FARM, "/appeal A5.2 不服", "你单位尚未收到考核结果反馈")
    since = rig.api.mark()
    sent = await say(rig, ADMIN, "/feedback")
    assert sent == "已向 18 个单位反馈考核结果，其中 2 个单位有联络员接收。"
    sheet = await rig.api.wait_for(chat_id=FARM.id, since=since, method="sendDocument")
    texts = [
        m.plain_text or ""
        for m in rig.api.messages_to(FARM.id)
        if m.index >= since and m.kind == "send" and m.plain_text
    ]
    result_text = "\n".join(texts)
    assert "区农业农村局：初步考核结果" in result_text
    assert "得分 96.5 · 等次 优秀" in result_text
    assert "A5.2 8/10" in result_text and "−2：受污染耕地台账不完整（S1 2020-12-10）" in result_text
    assert "2021年1月18日" in result_text  # 5 working days from Tuesday the 12th
    assert "区商务局" not in result_text and "A6.1" not in result_text
    [farm_sheet] = sheet.files
    assert farm_sheet.file_name == "考核结果反馈单-区农业农村局.docx"
    in_sheet = docx_text(farm_sheet.content or b"")
    assert "区农业农村局" in in_sheet and "96.5" in in_sheet and "A5.7" in in_sheet
    assert "A6.1" not in in_sheet and "区商务局" not in in_sheet
    assert "2021年1月18日" in in_sheet

    # -- appeals: one on an item, one on the veto; bad ones refused
    await refused(rig, FARM, "/appeal A6.1 不服", "A6.1 是其他单位的事项")
    await refused(rig, FARM, "/appeal veto 不服", "没有可就此申请复核的内容")
    await refused(rig, FARM, "/appeal A5.2", "需要填写理由")
    buttons = next(m for m in await ask_all(rig, FARM, "/appeal") if m.callback_data)
    assert "ya:ap:veto" in buttons.callback_data and "ya:ap:item:A6.1" not in buttons.callback_data
    asked = await rig.press(FARM, buttons, "ya:ap:item:A5.2")
    assert (asked.plain_text or "").startswith("申请复核 A5.2：请在一条消息中发送理由")
    since = rig.api.mark()
    ledger = rig.api.add_file(b"%PDF-1.4 ledger", mime_type="application/pdf", file_name="台账.pdf")
    filed = await rig.send_and_wait(
        u.document_message(FARM, ledger, caption="缺失的2个地块已于12月补录"), FARM.id
    )
    assert filed.plain_text == "已记录：复核申请 1 号（A5.2），办公室将作出决定。"
    async with rig.session() as session:
        first = await session.get(Appeal, 1)
        assert first is not None and first.attachments == [ledger.file_id]
        assert first.reason == "缺失的2个地块已于12月补录"
    office_told = await rig.api.wait_for(chat_id=ADMIN.id, since=since)
    assert "区农业农村局 就 A5.2 申请复核" in (office_told.plain_text or "")
    since = rig.api.mark()
    assert (await say(rig, COMMERCE, "/appeal veto 事件不属于本部门职责")).startswith(
        "已记录：复核申请 2 号"
    )
    # The office is told after the commit: wait for it, or it may land among the replies
    # to the office's next command.
    office_told = await rig.api.wait_for(chat_id=ADMIN.id, since=since)
    assert "区商务局 就 veto 申请复核" in (office_told.plain_text or "")
    await refused(rig, ADMIN, "/approve 区环委会 2021-01-11 雨环委〔2021〕3号", "期限尚未结束")

    # -- the office decides: changed (flows into the result) and upheld
    listing = await say(rig, ADMIN, "/appeal")
    assert "1. A5.2" in listing and "2. veto" in listing
    await refused(rig, ADMIN, "/appeal 1 11 核实", "A5.2 的得分应在 0 到其分值 10 之间")
    since = rig.api.mark()
    assert (await say(rig, ADMIN, "/appeal 1 10 补录台账经核实")).startswith(
        "已记录：区农业农村局 的复核申请 1 号 已改变结果"
    )
    decided = await rig.api.wait_for(chat_id=FARM.id, since=since)
    assert "由 8 改为 10" in (decided.plain_text or "")
    assert (await say(rig, ADMIN, "/appeal 2 upheld 事件经市生态环境局认定")).startswith(
        "已记录：区商务局 的复核申请 2 号 维持原结果"
    )
    await refused(rig, ADMIN, "/appeal 2 upheld 再议", "该复核申请已有结论")

    # -- approval after the window, then final
    rig.clock.set(AFTER_WINDOW)
    await refused(rig, FARM, "/appeal A5.4 数据已报", "复核申请期限（2021年1月18日）已过")
    await refused(rig, ADMIN, "/finalize", "考核结果尚未审定")
    approved = await say(rig, ADMIN, "/approve 区生态环境保护委员会 2021-01-19 雨环委〔2021〕3号")
    assert approved.startswith("已记录：区生态环境保护委员会 于 2021年1月19日 审定")
    assert (await say(rig, ADMIN, "/finalize")).startswith("已定稿")
    await refused(rig, ADMIN, "/appeal 1 9 再改", "考核结果已定稿")
    await refused(rig, ADMIN, "/sitecheck 农业 2021-01-18 张 | 复查", "考核结果已定稿")
    final_view = "\n".join(m.plain_text or "" for m in await ask_all(rig, FARM, "/feedback"))
    assert "区农业农村局：最终考核结果" in final_view and "得分 98.5" in final_view

    # -- one truth: the engine, /results, `assess results --json`, the workbook, the notice
    async with rig.session() as session:
        ranked = in_rank_order(results_of(await SqlScoring(session).book(1)))
    results_text = "\n".join(m.plain_text or "" for m in await ask_all(rig, LEADER, "/results"))
    printed: list[str] = []
    assert await asyncio.to_thread(run_cli, ["assess", "results", "--json"], printed.append) == 0
    cli_rows = {r["department"]: r for r in json.loads("".join(printed))}
    workbook_path = tmp_path / "export.xlsx"
    assert await asyncio.to_thread(run_cli, ["export", str(workbook_path)], lambda _t: None) == 0
    book = load_workbook(workbook_path, read_only=True)
    sheet = {row[0]: row for row in book["考核结果"].iter_rows(min_row=3, values_only=True)}
    path = tmp_path / "通报.docx"
    reported: list[str] = []
    assert await asyncio.to_thread(run_cli, ["assess", "report", str(path)], reported.append) == 0
    assert reported == [f"wrote {path}: 18 departments\n"]
    notice = Document(str(path))
    rows = [[c.text for c in row.cells] for t in notice.tables for row in t.rows[1:]]
    by_name = {row[1]: row for row in rows}
    status, _type, body = await get(
        rig, "/api/results", signed_init_data(LEADER, rig.api.token, auth_date=rig.clock())
    )
    assert status == 200
    api_rows = {r["department"]: r for r in json.loads(body)["results"]}
    status, _type, body = await get(
        rig, "/api/assessment", signed_init_data(LEADER, rig.api.token, auth_date=rig.clock())
    )
    assert status == 200
    tab = {r["name"]: r for t in json.loads(body)["classes"] for r in t["rows"]}
    assert len(rows) == len(ranked) == len(cli_rows) == len(sheet) == len(api_rows) == 18
    assert len(tab) == 18
    for result in ranked:
        score, rank = show(result.score), result.rank
        assert f"{result.name}  {score}" in results_text, result.name
        cli = cli_rows[result.name]
        assert (cli["score"], cli["grade"], cli["rank"]) == (score, result.grade, rank)
        assert api_rows[result.name] == cli
        shown = tab[result.name]
        assert (shown["score"], shown["grade"], shown["rank"]) == (score, result.grade, rank)
        excel = sheet[result.name]
        assert (Decimal(str(excel[2])), excel[10], excel[11]) == (result.score, result.grade, rank)
        in_notice, _name, notice_score, notice_grade, _note = by_name[result.name]
        assert (in_notice, notice_score, notice_grade) == (str(rank), score, result.grade)
    assert by_name["区农业农村局"][2] == "98.5"
    assert by_name["区商务局"][3] == "不合格" and "发生重大生态环境事件" in by_name["区商务局"][4]
    assert "雨环委〔2021〕3号" in "\n".join(p.text for p in notice.paragraphs)

    # The workbook's year-end sheets: every self-score, and the appeal log.
    self_rows = list(book["自评"].iter_rows(min_row=3, values_only=True))
    assert len(self_rows) == len(FARM_ITEMS) + len(COMMERCE_ITEMS)
    a53 = next(r for r in self_rows if r[0] == "区农业农村局" and r[1] == "A5.3")
    assert (Decimal(str(a53[4])), a53[5], a53[6]) == (Decimal(8), "台账已补充", "已提交")
    appeal_rows = list(book["复核记录"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[2], r[5]) for r in appeal_rows] == [
        (1, "区农业农村局", "事项得分 A5.2", "改变"),
        (2, "区商务局", "一票否决", "维持"),
    ]
    assert Decimal(str(appeal_rows[0][6])) == 10 and appeal_rows[0][7] == "补录台账经核实"

    # Reopening is an admin's logged act that returns to before approval.
    reopened = await say(rig, ADMIN, "/finalize reopen 审定文号有误")
    assert reopened == "已重开：审定与锁定已撤销（已记入日志）。"
    async with rig.session() as session:
        logged = await session.scalar(select(ScoreAudit).where(ScoreAudit.action == "reopen"))
        assert logged is not None and logged.reason == "审定文号有误"
        assert logged.actor_tg_id == ADMIN.id
    await refused(rig, ADMIN, "/finalize", "考核结果尚未审定")
