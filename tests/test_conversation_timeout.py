"""One timeout reply for every conversation, with the configured minutes (issue 10, part 4).

CONVERSATION_TIMEOUT_MINUTES is 10 here, not the default 30: /report and the review
return, left that long, both say "10 minutes", drop their draft, and change nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import ConversationDraft, Report
from tests.office_support import FARM, speak_english
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, DubanRig
from tests.test_office_review import PNG, quick_report, review_messages


@pytest.fixture
async def rig_10(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    rig = DubanRig(
        fake_api, sqlite_url, tmp_path / "evidence", overrides={"conversation_timeout_minutes": 10}
    )
    await rig.import_bundled()
    await rig.start()
    try:
        yield rig
    finally:
        await rig.close()


async def drafts_left(rig: DubanRig) -> int:
    async with rig.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ConversationDraft)) or 0)


async def test_report_times_out_after_the_configured_minutes(rig_10: DubanRig) -> None:
    rig = rig_10
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/report A5.1")
    rig.clock.advance(minutes=9)
    still_open = await rig.ask(FARM, "推进中")
    assert "秸秆综合利用率 ≥ 90%" in still_open.plain_text  # within 10 minutes: the next question
    rig.clock.advance(minutes=11)
    told = await rig.ask(FARM, "92")
    assert told.plain_text == (
        "10 分钟内没有收到回复，已自动结束。 未保存任何内容。请发送 /report 重新开始。"
    )
    assert await drafts_left(rig) == 0


async def test_review_return_times_out_after_the_configured_minutes(rig_10: DubanRig) -> None:
    rig = rig_10
    await rig.join(FARM, "农业")
    await speak_english(rig, ADMIN)
    await quick_report(rig, "#A5.1 92% 秸秆综合利用已完成", PNG + b"timeout")
    (report_id,) = [r async for r in report_ids(rig)]
    _head, (pending,) = await review_messages(rig)
    await rig.press(ADMIN, pending, f"rv:r:{report_id}")
    rig.clock.advance(minutes=11)
    told = await rig.ask(ADMIN, "请补充台账")
    assert told.plain_text == (
        "No answer came within 10 min, so this was closed. "
        "The report was not returned; it still awaits review."
    )
    assert await drafts_left(rig) == 0
    async with rig.session() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.review_state == "pending"


async def report_ids(rig: DubanRig) -> AsyncIterator[int]:
    async with rig.session() as session:
        for report_id in (await session.scalars(select(Report.id))).all():
            yield report_id
