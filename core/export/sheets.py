"""Writing the export workbook (.xlsx) in the office's own shape.

Headers, sheet names and status words are fixed Chinese constants, not translated
messages: the workbook goes into the office's year-end assessment file, whose language
is Chinese whatever language the admin who asked for it reads the bot in. Sheets:
总览 (per department), 考核事项 (every binding), 汇报记录 (every report), 佐证材料 (every
evidence file) and, in the evidence package, 索引 (each file's path in the archive).

Written with XlsxWriter in constant-memory mode: each row goes to disk as soon as the
next one starts, with shared formats, so a million reports take flat memory (about a
minute; openpyxl's write-only mode was slower on the same rows: bench/xlsx_writers.py).
Rows are iterated once, in order, so they can be streamed from the database
(`core.export.run`). A sheet that would pass Excel's 1,048,576 rows continues on a
sheet named "汇报记录（2）" and so on; the overview says so. Text people typed is
always written as text (never a formula, a number or a link) and loses the control
characters XML cannot carry. Times are stored UTC and written as local times of the
configured zone. XlsxWriter is imported when a workbook is written, not with the bot.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.export.gather import EvidenceRow, ExportData
from core.status.model import PENDING_REVIEW, Rules, assess, colour_text, due_date_text
from core.text.i18n import translator

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

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

# Excel's sheet size, and a worksheet's hyperlinks (more are written as plain text).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_LINKS = 65_530
HEAD_ROWS = 2  # the title row and the header row of every sheet
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(text: str) -> str:
    """Text as a cell can hold it: without the control characters XML cannot carry."""
    return _ILLEGAL.sub("", text)


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


def sheet_names(name: str, rows: int, max_rows: int = EXCEL_MAX_ROWS) -> list[str]:
    """The sheets `rows` data rows take: `name`, then `name（2）`, ... when one is full."""
    per_sheet = max_rows - HEAD_ROWS
    parts = max(1, math.ceil(rows / per_sheet))
    return [name] + [f"{name}（{n}）" for n in range(2, parts + 1)]


class _Formats:
    def __init__(self, book: Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "pattern": 1})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.datetime = book.add_format({"num_format": DATETIME_FORMAT})
        self.date = book.add_format({"num_format": DATE_FORMAT})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.thousands = book.add_format({"num_format": "#,##0"})


class _Sheet:
    """A title row, a frozen, filtered header row, then data rows; continued on a new
    sheet (same title and header) when `max_rows` is reached."""

    def __init__(
        self,
        book: Workbook,
        formats: _Formats,
        name: str,
        title: str,
        columns: Sequence[tuple[str, int]],
        max_rows: int = EXCEL_MAX_ROWS,
    ) -> None:
        self.book, self.formats, self.name, self.title = book, formats, name, title
        self.columns = columns
        self.max_rows = max_rows
        self.parts = 0
        self.rows = 0  # data rows on the current part
        self.links = 0
        self.ws = self._new_part()

    def _new_part(self) -> Worksheet:
        if self.parts:
            self.close()
        self.parts += 1
        name = self.name if self.parts == 1 else f"{self.name}（{self.parts}）"
        ws = self.book.add_worksheet(name)
        ws.freeze_panes(HEAD_ROWS, 0)
        for position, (_, width) in enumerate(self.columns):
            ws.set_column(position, position, width)
        ws.write_string(0, 0, clean(self.title), self.formats.title)
        for position, (header, _) in enumerate(self.columns):
            ws.write_string(1, position, header, self.formats.header)
        self.rows = self.links = 0
        self.ws = ws
        return ws

    def next_row(self) -> int:
        """The sheet row of the next data row (a new part when this one is full)."""
        if HEAD_ROWS + self.rows >= self.max_rows:
            self._new_part()
        row = HEAD_ROWS + self.rows
        self.rows += 1
        return row

    def link(self, row: int, col: int, target: str) -> None:
        """A relative link to a file of the package; plain text past Excel's limit."""
        if self.links < EXCEL_MAX_LINKS and len(target) < 2000:
            self.links += 1
            self.ws.write_url(row, col, f"external:{target}", string=target)
        else:
            self.ws.write_string(row, col, target)

    def close(self, filtered_rows: int | None = None) -> None:
        """Autofilter over the header and the data rows (not a total row after them)."""
        rows = self.rows if filtered_rows is None else filtered_rows
        self.ws.autofilter(1, 0, 1 + rows, len(self.columns) - 1)


def _dash(value: Any) -> Any:
    return "—" if value in (None, "") else value


def _when(ws: Worksheet, row: int, col: int, moment: Any, fmt: Format) -> None:
    """A date or time cell, or "—" when there is none."""
    if moment is None:
        ws.write_string(row, col, "—")
    else:
        ws.write_datetime(row, col, moment, fmt)


def write_workbook(
    data: ExportData,
    path: Path,
    tz: ZoneInfo,
    *,
    exported_at: dt.datetime,
    pack: Callable[[EvidenceRow], IndexRow] | None = None,
    yellow_days: int = 7,
    silent_days: int = 14,
    max_rows: int = EXCEL_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write the workbook to `path` (overwritten). CPU work: run it in a thread.

    With `pack` (the evidence package), each evidence row is also handed to `pack`,
    which copies its file, and the returned row goes into the 索引 sheet. `progress`
    is told how many rows were written, every 10,000 or so rows."""
    from xlsxwriter.workbook import Workbook

    book = Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "use_zip64": True,
        },
    )
    try:
        _write(
            book,
            data,
            tz,
            exported_at=exported_at,
            pack=pack,
            yellow_days=yellow_days,
            silent_days=silent_days,
            max_rows=max_rows,
            progress=progress or (lambda _rows: None),
        )
    finally:
        book.close()


def _write(
    book: Workbook,
    data: ExportData,
    tz: ZoneInfo,
    *,
    exported_at: dt.datetime,
    pack: Callable[[EvidenceRow], IndexRow] | None,
    yellow_days: int,
    silent_days: int,
    max_rows: int,
    progress: Callable[[int], None],
) -> None:
    formats = _Formats(book)
    campaign = data.campaign
    heading = f"{campaign.year or ''}年 {campaign.title}".strip()
    stamp = f"导出时间 {local(exported_at, tz):%Y-%m-%d %H:%M}"
    counts = data.counts
    written = 0

    def tick() -> None:
        nonlocal written
        written += 1
        if written % 10_000 == 0:
            progress(written)

    sheet = _Sheet(book, formats, SHEET_OVERVIEW, f"{heading}　{stamp}", OVERVIEW_COLUMNS)
    ws = sheet.ws
    totals = [0] * 6
    last_overall: dt.datetime | None = None
    for d in data.departments:
        numbers = (d.items, d.done, d.pending_review, d.in_progress, d.not_started, d.blocked)
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
        if d.last_reported_at and (last_overall is None or d.last_reported_at > last_overall):
            last_overall = d.last_reported_at
        row = sheet.next_row()
        ws.write_string(row, 0, clean(d.name))
        ws.write_string(row, 1, d.dept_class)
        for col, number in enumerate(numbers, start=2):
            ws.write_number(row, col, number)
        ws.write_number(row, 8, d.rate, formats.percent)
        _when(ws, row, 9, local(d.last_reported_at, tz), formats.date)
    departments = sheet.rows
    rate = totals[1] / totals[0] if totals[0] else 0.0
    row = sheet.next_row()
    ws.write_string(row, 0, "合计", formats.header)
    ws.write_string(row, 1, "")
    for col, number in enumerate(totals, start=2):
        ws.write_number(row, col, number)
    ws.write_number(row, 8, rate, formats.percent)
    _when(ws, row, 9, local(last_overall, tz), formats.date)
    # A sheet too long for Excel continues on further sheets: said here, where one looks.
    for name, rows in (
        (SHEET_ITEMS, counts.bindings),
        (SHEET_REPORTS, counts.reports),
        (SHEET_EVIDENCE, counts.evidence),
    ):
        parts = sheet_names(name, rows, max_rows)
        if len(parts) > 1:
            row = sheet.next_row()
            ws.write_string(
                row,
                0,
                f"注：{name}共 {rows} 行，超过每个工作表 {max_rows - HEAD_ROWS} 行的上限，"
                f"分为 {len(parts)} 个工作表：{'、'.join(parts)}。",
            )
    sheet.close(filtered_rows=departments)

    sheet = _Sheet(book, formats, SHEET_ITEMS, heading, ITEM_COLUMNS, max_rows)
    today = exported_at.astimezone(tz).date()
    rules = Rules(tz, yellow_days, silent_days)
    zh = translator("zh")
    colour_words: dict[object, str] = {}
    for b in data.bindings:
        met = "—" if b.met is None else ("是" if b.met else "否")
        state = assess(b.facts, today, rules)
        if state.colour not in colour_words:
            colour_words[state.colour] = colour_text(state.colour, zh)
        colour = state.colour
        row = sheet.next_row()
        ws = sheet.ws
        ws.write_string(row, 0, clean(b.department))
        ws.write_string(row, 1, KIND_WORDS.get(b.kind, b.kind))
        ws.write_string(row, 2, b.code)
        ws.write_string(row, 3, clean(b.text), formats.wrap)
        if b.deadline is not None:
            _when(ws, row, 4, b.deadline, formats.date)
        else:  # due at the year's end, and says so (core.status.model)
            ws.write_string(row, 4, _dash(due_date_text(state, zh)))
        ws.write_string(row, 5, clean(_dash(b.targets)))
        ws.write_string(row, 6, STATUS_WORDS.get(b.status, b.status))
        ws.write_string(row, 7, colour_words[colour])
        ws.write_string(row, 8, clean(_dash(b.values)))
        ws.write_string(row, 9, met)
        _when(ws, row, 10, local(b.last_reported_at, tz), formats.date)
        ws.write_number(row, 11, b.evidence_count)
        ws.write_string(row, 12, REVIEW_WORDS.get(b.review_state, b.review_state))
        if b.score is not None:
            ws.write_number(row, 13, float(b.score))
        else:
            ws.write_string(row, 13, "—")
        tick()
    sheet.close()

    sheet = _Sheet(book, formats, SHEET_REPORTS, heading, REPORT_COLUMNS, max_rows)
    for r in data.reports:
        row = sheet.next_row()
        ws = sheet.ws
        ws.write_datetime(row, 0, local(r.created_at, tz), formats.datetime)
        ws.write_string(row, 1, clean(r.department))
        ws.write_string(row, 2, r.code)
        ws.write_string(row, 3, STATUS_WORDS.get(r.status, r.status))
        ws.write_string(row, 4, clean(_dash(r.values)))
        ws.write_string(row, 5, clean(r.text), formats.wrap)
        ws.write_number(row, 6, r.evidence_count)
        ws.write_string(row, 7, REVIEW_WORDS.get(r.review_state, r.review_state))
        ws.write_string(row, 8, clean(r.review_comment))
        ws.write_string(row, 9, clean(_dash(r.reporter)))
        tick()
    sheet.close()

    sheet = _Sheet(book, formats, SHEET_EVIDENCE, heading, EVIDENCE_COLUMNS, max_rows)
    index = _Sheet(book, formats, SHEET_INDEX, heading, INDEX_COLUMNS, max_rows) if pack else None
    for e in data.evidence:
        kind = EVIDENCE_KIND_WORDS.get(e.kind, e.kind)
        reused = f"是（首次见汇报 {e.reused_from_report_id}）" if e.reused_from_report_id else "否"
        row = sheet.next_row()
        ws = sheet.ws
        ws.write_number(row, 0, e.report_id)
        ws.write_string(row, 1, clean(e.department))
        ws.write_string(row, 2, e.code)
        ws.write_string(row, 3, clean(_dash(e.file_name)))
        ws.write_string(row, 4, clean(f"{kind}（{e.mime_type}）" if e.mime_type else kind))
        ws.write_number(row, 5, e.size, formats.thousands)
        ws.write_string(row, 6, e.sha256)
        ws.write_string(row, 7, clean(e.stored_path))
        ws.write_string(row, 8, reused)
        if index is not None and pack is not None:
            _index_row(index, pack(e), tz, formats)
        tick()
    sheet.close()
    if index is not None:
        index.close()
    progress(written)


def _index_row(sheet: _Sheet, entry: IndexRow, tz: ZoneInfo, formats: _Formats) -> None:
    row = sheet.next_row()
    ws = sheet.ws
    check = entry.check
    if entry.check == CHECK_MISMATCH:
        check = f"{CHECK_MISMATCH}（实际 {entry.actual_sha256}）"
    ws.write_number(row, 0, entry.report_id)
    _when(ws, row, 1, local(entry.created_at, tz), formats.datetime)
    ws.write_string(row, 2, clean(entry.department))
    ws.write_string(row, 3, entry.code)
    ws.write_string(row, 4, clean(_dash(entry.file_name)))
    if entry.path_in_zip:
        # A relative link: opens the file once the package is unpacked.
        sheet.link(row, 5, entry.path_in_zip)
    else:
        ws.write_string(row, 5, "—")
    ws.write_string(row, 6, entry.sha256)
    ws.write_string(row, 7, check)
