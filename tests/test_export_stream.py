"""The export streamed from the database (core.export.run) on SQLite and PostgreSQL:
small batches, so a report's values and a binding's latest values cross batch
boundaries; the reports sheet continued on further sheets when the (lowered) row limit
is reached, and the overview says so; the rows read back equal those read in memory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from core.export.gather import gather_export, open_export
from core.export.run import write_export
from core.reporting.evidence import EvidenceStore
from core.status.day import Reading
from core.status.model import Rules
from storage.db import Database
from tests.test_export import T0, rows, seed

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)


async def _campaign(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        await create_campaign(
            session, load_file(BUNDLED_DOCUMENT), source_name=BUNDLED_DOCUMENT.name
        )
        await session.commit()  # core functions flush; the caller commits
    await seed(db, EvidenceStore(tmp_path / "evidence"))


async def test_streamed_batches_give_the_rows_read_in_memory(db: Database, tmp_path: Path) -> None:
    await _campaign(db, tmp_path)
    async with db.session() as session:
        whole = await gather_export(session)
        source = await open_export(session, batch_rows=2)
        bindings = [row async for batch in source.bindings() for row in batch]
        reports = [row async for batch in source.reports() for row in batch]
        evidence = [row async for batch in source.evidence() for row in batch]
    assert bindings == list(whole.bindings)
    assert reports == list(whole.reports) and len(reports) == 5
    assert evidence == list(whole.evidence) and len(evidence) == 4
    assert (source.counts.bindings, source.counts.reports, source.counts.evidence) == (
        17 * 8 + 77,
        5,
        4,
    )
    # A5.3's report has two values: both survive being read two rows at a time.
    a53 = next(r for r in reports if r.code == "A5.3")
    assert a53.values.count("；") == 1 and a53.evidence_count == 1


async def test_reports_sheet_continues_past_the_row_limit(db: Database, tmp_path: Path) -> None:
    await _campaign(db, tmp_path)
    path = tmp_path / "x.xlsx"
    async with db.session() as session:
        whole = await gather_export(session)
        source = await open_export(session, batch_rows=3)
        seen: list[tuple[int, int]] = []

        async def progress(done: int, total: int) -> None:
            seen.append((done, total))

        # 4 rows a sheet: the title, the header and 2 data rows.
        await write_export(source, path, Reading(T0, RULES), max_rows=4, progress=progress)
    book = load_workbook(path)
    assert book.sheetnames[:5] == [
        "总览",
        "考核事项",
        "考核事项（2）",
        "考核事项（3）",
        "考核事项（4）",
    ]
    report_sheets = [n for n in book.sheetnames if n.startswith("汇报记录")]
    assert report_sheets == ["汇报记录", "汇报记录（2）", "汇报记录（3）"]
    read_back = [row for name in report_sheets for row in rows(book[name])]
    assert [r["内容"] for r in read_back] == [r.text for r in whole.reports]
    assert [r["时间"] for r in read_back] == [
        r.created_at.astimezone(TZ).replace(tzinfo=None) for r in whole.reports
    ]
    for name in report_sheets:
        sheet = book[name]
        assert sheet.freeze_panes == "A3" and sheet["A2"].value == "时间"
    notes = [
        str(row[0])
        for row in book["总览"].iter_rows(values_only=True)
        if row[0] and str(row[0]).startswith("注：")
    ]
    assert (
        "注：汇报记录共 5 行，超过每个工作表 2 行的上限，分为 3 个工作表："
        "汇报记录、汇报记录（2）、汇报记录（3）。" in notes
    )
    assert any(note.startswith("注：考核事项共 213 行") for note in notes)
    assert seen and seen[-1] == (17 * 8 + 77 + 5 + 4, 17 * 8 + 77 + 5 + 4)


async def test_no_note_and_one_sheet_under_the_limit(db: Database, tmp_path: Path) -> None:
    await _campaign(db, tmp_path)
    path = tmp_path / "x.xlsx"
    async with db.session() as session:
        source = await open_export(session)
        await write_export(source, path, Reading(T0 + dt.timedelta(days=1), RULES))
    book = load_workbook(path)
    assert book.sheetnames == ["总览", "考核事项", "汇报记录", "佐证材料"]
    assert not any(
        str(row[0]).startswith("注：") for row in book["总览"].iter_rows(values_only=True)
    )
