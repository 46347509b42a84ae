"""Writing the export workbook (.xlsx) in the office's own shape.

Headers, sheet names and status words are fixed Chinese constants, not translated
messages: the workbook goes into the office's year-end assessment file, whose language
is Chinese whatever language the admin who asked for it reads the bot in. Sheets:
总览 (per department), 考核事项 (every binding), 汇报记录 (every report), 佐证材料 (every
evidence file) and, in the evidence package, 索引 (each file's path in the archive).

openpyxl's write-only mode streams rows to disk; it supports frozen panes, column
widths and autofilter as long as panes and widths are set before the first row.
Times are stored UTC and written as local times of the configured zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from core.export.gather import ExportData
from core.status.model import PENDING_REVIEW, Rules, assess, colour_text, due_date_text
from core.text.i18n import translator

SHEET_OVERVIEW, SHEET_ITEMS, SHEET_REPORTS, SHEET_EVIDENCE, SHEET_INDEX = (
    "总览",
    "考核事项",
    "汇报记录",
    "佐证材料",
    "索引",
)
# (header, column width in characters)
OVERVIEW_COLUMNS = (
    ("单位", 30),
    ("类别", 6),
    ("事项数", 8),
    ("已完成（审核通过）", 12),
    ("待审核", 8),
    ("推进中", 8),
    ("未开始", 8),
    ("有困难", 8),
    ("完成率", 9),
    ("最近汇报日期", 14),
)
ITEM_COLUMNS = (
    ("单位", 26),
    ("类别", 8),
    ("编号", 8),
    ("考核要点", 70),
    ("完成时限", 12),
    ("量化指标", 30),
    ("状态", 9),
    ("预警", 9),
    ("最新数值", 24),
    ("是否达标", 9),
    ("最近汇报日期", 14),
    ("佐证材料数", 10),
    ("审核状态", 9),
    ("分值", 8),  # from table documents (issue 14)
)
REPORT_COLUMNS = (
    ("时间", 17),
    ("单位", 26),
    ("编号", 8),
    ("状态", 9),
    ("数值", 24),
    ("内容", 60),
    ("佐证数", 8),
    ("审核", 9),
    ("审核意见", 30),
    ("汇报人", 14),
)
EVIDENCE_COLUMNS = (
    ("汇报编号", 10),
    ("单位", 26),
    ("编号", 8),
    ("文件名", 30),
    ("类型", 14),
    ("大小（字节）", 13),
    ("sha256", 66),
    ("存储路径", 50),
    ("是否重复使用", 16),
)
INDEX_COLUMNS = (
    ("汇报编号", 10),
    ("汇报时间", 17),
    ("单位", 26),
    ("编号", 8),
    ("文件名", 30),
    ("包内路径", 60),
    ("sha256", 66),
    ("校验", 30),
)

STATUS_WORDS = {
    "not_started": "未开始",
    "in_progress": "推进中",
    "done": "已完成",
    "blocked": "有困难",
    PENDING_REVIEW: "待审核",
}
REVIEW_WORDS = {"none": "—", "pending": "待审核", "accepted": "已通过", "returned": "已退回"}
KIND_WORDS = {"general": "通用", "department": "A类部门", "b_class": "B类部门"}
EVIDENCE_KIND_WORDS = {"photo": "照片", "document": "文件"}
CHECK_OK, CHECK_MISSING, CHECK_MISMATCH = "一致", "缺失", "不一致"
DATETIME_FORMAT, DATE_FORMAT = "yyyy-mm-dd hh:mm", "yyyy-mm-dd"

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TITLE_FONT = Font(bold=True, size=13)
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class IndexRow:
    """One evidence file of the package: where it is in the archive and how it checked."""

    report_id: int
    created_at: dt.datetime
    department: str
    code: str
    file_name: str
    path_in_zip: str  # "" when the file is missing from the store
    sha256: str  # as recorded when the file was received
    check: str  # CHECK_OK / CHECK_MISSING / CHECK_MISMATCH
    actual_sha256: str = ""


def local(moment: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    """A UTC time as the zone's wall-clock time (Excel has no time zones)."""
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


class _Sheet:
    """A write-only sheet: a title row, a frozen, filtered header row, then data rows."""

    def __init__(
        self, ws: WriteOnlyWorksheet, title: str, columns: Sequence[tuple[str, int]]
    ) -> None:
        self.ws = ws
        self.width = len(columns)
        # Panes and widths go into the sheet's head: set before the first row is written.
        ws.freeze_panes = "A3"
        for position, (_, width) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(position)].width = width
        title_cell = self.cell(title)
        title_cell.font = _TITLE_FONT
        ws.append([title_cell])
        ws.append([self._header(name) for name, _ in columns])
        self.rows = 0

    def _header(self, name: str) -> WriteOnlyCell:
        cell = self.cell(name)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        return cell

    def cell(
        self, value: Any, *, number_format: str | None = None, wrap: bool = False
    ) -> WriteOnlyCell:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str) and value.startswith("="):
            # Text people typed is never a formula (no formula injection into Excel).
            cell.data_type = "s"
        if number_format:
            cell.number_format = number_format
        if wrap:
            cell.alignment = _WRAP
        return cell

    def append(self, values: Iterable[Any]) -> None:
        self.ws.append([self._plain(v) if isinstance(v, str) else v for v in values])
        self.rows += 1

    def _plain(self, value: str) -> str | WriteOnlyCell:
        """A plain string where it is safe: a cell object per string made the million-row
        export a third slower (bench/RESULTS.md); only a would-be formula needs one."""
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return self.cell(value) if value.startswith("=") else value

    def close(self, filtered_rows: int | None = None) -> None:
        """Autofilter over the header and the data rows (not a total row after them)."""
        last = 2 + (self.rows if filtered_rows is None else filtered_rows)
        self.ws.auto_filter.ref = f"A2:{get_column_letter(self.width)}{last}"


def _dash(value: Any) -> Any:
    return "—" if value in (None, "") else value


def write_workbook(
    data: ExportData,
    path: Path,
    tz: ZoneInfo,
    *,
    exported_at: dt.datetime,
    index: Sequence[IndexRow] | None = None,
    yellow_days: int = 7,
    silent_days: int = 14,
) -> None:
    """Write the workbook to `path` (overwritten). CPU work: run it in a thread."""
    workbook = Workbook(write_only=True)
    campaign = data.campaign
    heading = f"{campaign.year or ''}年 {campaign.title}".strip()
    stamp = f"导出时间 {local(exported_at, tz):%Y-%m-%d %H:%M}"

    sheet = _Sheet(workbook.create_sheet(SHEET_OVERVIEW), f"{heading}　{stamp}", OVERVIEW_COLUMNS)
    totals = [0] * 6
    last_overall: dt.datetime | None = None
    for d in data.departments:
        counts = (d.items, d.done, d.pending_review, d.in_progress, d.not_started, d.blocked)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        if d.last_reported_at and (last_overall is None or d.last_reported_at > last_overall):
            last_overall = d.last_reported_at
        sheet.append(
            [
                d.name,
                d.dept_class,
                *counts,
                sheet.cell(d.rate, number_format="0.0%"),
                sheet.cell(_dash(local(d.last_reported_at, tz)), number_format=DATE_FORMAT),
            ]
        )
    departments = sheet.rows
    rate = totals[1] / totals[0] if totals[0] else 0.0
    sheet.append(
        [
            sheet._header("合计"),
            "",
            *totals,
            sheet.cell(rate, number_format="0.0%"),
            sheet.cell(_dash(local(last_overall, tz)), number_format=DATE_FORMAT),
        ]
    )
    sheet.close(filtered_rows=departments)

    sheet = _Sheet(workbook.create_sheet(SHEET_ITEMS), heading, ITEM_COLUMNS)
    today = exported_at.astimezone(tz).date()
    rules = Rules(tz, yellow_days, silent_days)
    zh = translator("zh")
    for b in data.bindings:
        met = "—" if b.met is None else ("是" if b.met else "否")
        state = assess(b.facts, today, rules)
        warning = colour_text(state.colour, zh)
        # Without a deadline of its own an item is due at the year's end, and says so.
        due = b.deadline or due_date_text(state, zh)
        sheet.append(
            [
                b.department,
                KIND_WORDS.get(b.kind, b.kind),
                b.code,
                sheet.cell(b.text, wrap=True),
                sheet.cell(_dash(due), number_format=DATE_FORMAT),
                _dash(b.targets),
                STATUS_WORDS.get(b.status, b.status),
                warning,
                _dash(b.values),
                met,
                sheet.cell(_dash(local(b.last_reported_at, tz)), number_format=DATE_FORMAT),
                b.evidence_count,
                REVIEW_WORDS.get(b.review_state, b.review_state),
                _dash(b.score),
            ]
        )
    sheet.close()

    sheet = _Sheet(workbook.create_sheet(SHEET_REPORTS), heading, REPORT_COLUMNS)
    for r in data.reports:
        sheet.append(
            [
                sheet.cell(local(r.created_at, tz), number_format=DATETIME_FORMAT),
                r.department,
                r.code,
                STATUS_WORDS.get(r.status, r.status),
                _dash(r.values),
                sheet.cell(r.text, wrap=True),
                r.evidence_count,
                REVIEW_WORDS.get(r.review_state, r.review_state),
                r.review_comment,
                _dash(r.reporter),
            ]
        )
    sheet.close()

    sheet = _Sheet(workbook.create_sheet(SHEET_EVIDENCE), heading, EVIDENCE_COLUMNS)
    for e in data.evidence:
        kind = EVIDENCE_KIND_WORDS.get(e.kind, e.kind)
        reused = f"是（首次见汇报 {e.reused_from_report_id}）" if e.reused_from_report_id else "否"
        sheet.append(
            [
                e.report_id,
                e.department,
                e.code,
                _dash(e.file_name),
                f"{kind}（{e.mime_type}）" if e.mime_type else kind,
                sheet.cell(e.size, number_format="#,##0"),
                e.sha256,
                e.stored_path,
                reused,
            ]
        )
    sheet.close()

    if index is not None:
        sheet = _Sheet(workbook.create_sheet(SHEET_INDEX), heading, INDEX_COLUMNS)
        for row in index:
            path_cell = sheet.cell(row.path_in_zip or "—")
            if row.path_in_zip:
                # A relative link: opens the file once the package is unpacked.
                path_cell.hyperlink = row.path_in_zip
            check = row.check
            if row.check == CHECK_MISMATCH:
                check = f"{CHECK_MISMATCH}（实际 {row.actual_sha256}）"
            sheet.append(
                [
                    row.report_id,
                    sheet.cell(local(row.created_at, tz), number_format=DATETIME_FORMAT),
                    row.department,
                    row.code,
                    _dash(row.file_name),
                    path_cell,
                    row.sha256,
                    check,
                ]
            )
        sheet.close()
    workbook.save(path)
