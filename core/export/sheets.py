"""Writing the export workbook (.xlsx) in the office's own shape.

Headers, sheet names and status words are fixed Chinese constants, not translated
messages: the workbook goes into the office's year-end assessment file, whose language
is Chinese whatever language the admin who asked for it reads the bot in. Sheets:
总览 (per department, with its silence by the status model: 长期未报天数), 考核事项
(every binding), 汇报记录 (every report), 佐证材料 (every evidence file) and, in the
evidence package, 索引 (each file's path in the archive). The colours, reasons and
silences are read at the export's moment with the office's rules (a `Reading`).

Written by `core.export.xlsx`, the project's streaming writer: each row becomes one
string of XML deflated straight into the file, so a million reports take flat memory and
well under a minute (XlsxWriter's constant-memory mode and openpyxl's write-only mode
took minutes on the same rows: bench/xlsx_writers.py). Rows are iterated once, in
order, so they can be streamed from the database (`core.export.run`). A sheet that
would pass Excel's 1,048,576 rows continues on a sheet named "汇报记录（2）" and so
on; the overview says so. Text people typed is always written as text (never a formula,
a number or a link) and loses the control characters XML cannot carry. Times are stored
UTC and written as local times of the configured zone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.export.gather import BindingRow, EvidenceRow, ExportData
from core.export.xlsx import EXCEL_MAX_ROWS as EXCEL_MAX_ROWS
from core.export.xlsx import Link, Sheet, Style, Styled, Workbook
from core.scoring.records import (
    DETAIL_COLUMNS,
    RESULT_COLUMNS,
    SHEET_DETAILS,
    SHEET_RESULTS,
    ScoringSheets,
)
from core.status.day import Reading
from core.status.model import (
    PENDING_REVIEW,
    assess,
    colour_text,
    department_quiet_days,
    department_silent,
    due_date,
    due_date_text,
    reasons_text,
)
from core.text.i18n import Translate, translator
from core.yearend.records import (
    APPEAL_COLUMNS,
    SELF_COLUMNS,
    SHEET_APPEALS,
    SHEET_SELF,
    YearEndSheets,
)

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
    # The status model's department silence (the digest's, /status'): days, when silent.
    ("长期未报天数", 12),
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
    # Supervision (issue 22): the model's due date today, why it is coloured so (in the
    # agreed order), the item's original date when extended, every extension, 整改.
    ("当前应完成日期", 22),
    ("预警原因", 24),
    ("原定期限", 12),
    ("延期记录", 40),
    ("整改期限", 12),
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

# A worksheet's hyperlinks (more are written as plain text).
EXCEL_MAX_LINKS = 65_530
HEAD_ROWS = 2  # the title row and the header row of every sheet


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


class _Sheet:
    """A title row, a frozen, filtered header row, then data rows; continued on a new
    sheet (same title and header) when `max_rows` is reached."""

    def __init__(
        self,
        book: Workbook,
        name: str,
        title: str,
        columns: Sequence[tuple[str, int]],
        styles: Sequence[Style] = (),
        max_rows: int = EXCEL_MAX_ROWS,
    ) -> None:
        self.book, self.name, self.title = book, name, title
        self.columns, self.styles = columns, styles
        self.max_rows = max_rows
        self.parts = 0
        self.rows = 0  # data rows on the current part
        self.links = 0
        self.ws = self._new_part()

    def _new_part(self) -> Sheet:
        if self.parts:
            self.close()
        self.parts += 1
        name = self.name if self.parts == 1 else f"{self.name}（{self.parts}）"
        ws = self.book.add_sheet(
            name, [width for _, width in self.columns], self.styles, freeze_rows=HEAD_ROWS
        )
        ws.append([Styled(self.title, Style.TITLE)])
        ws.append([Styled(header, Style.HEADER) for header, _ in self.columns])
        self.rows = self.links = 0
        self.ws = ws
        return ws

    def append(self, values: Sequence[object]) -> None:
        """The next data row (on a new part when this one is full)."""
        if HEAD_ROWS + self.rows >= self.max_rows:
            self._new_part()
        self.rows += 1
        self.ws.append(values)

    def link(self, target: str) -> object:
        """A relative link to a file of the package; plain text past Excel's limit."""
        if self.links < EXCEL_MAX_LINKS and len(target) < 2000:
            self.links += 1
            return Link(target)
        return target

    def close(self, filtered_rows: int | None = None) -> None:
        """Autofilter over the header and the data rows (not a total row after them)."""
        rows = self.rows if filtered_rows is None else filtered_rows
        self.ws.autofilter(HEAD_ROWS, HEAD_ROWS + rows, 0, len(self.columns) - 1)
        self.ws.close()


def _dash(value: Any) -> Any:
    return "—" if value in (None, "") else value


def _when(moment: Any) -> Any:
    """A date or time cell's value, or "—" when there is none."""
    return "—" if moment is None else moment


def write_workbook(
    data: ExportData,
    path: Path,
    reading: Reading,
    *,
    pack: Callable[[EvidenceRow], IndexRow] | None = None,
    max_rows: int = EXCEL_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write the workbook to `path` (overwritten), as read at `reading` (the export's
    moment, stamped on it, and the office's rules: `Settings.reading`). CPU work: run it
    in a thread.

    With `pack` (the evidence package), each evidence row is also handed to `pack`,
    which copies its file, and the returned row goes into the 索引 sheet. `progress`
    is told how many rows were written, every 10,000 or so rows."""
    with Workbook(path, created=reading.now) as book:
        _write(
            book,
            data,
            reading,
            pack=pack,
            max_rows=max_rows,
            progress=progress or (lambda _rows: None),
        )


_ = Style.PLAIN
# Column styles of the sheets (a "—" in a date column shows as the text it is).
OVERVIEW_STYLES = (_,) * 8 + (Style.PERCENT, Style.DATE, _)
ITEM_STYLES = (
    *(_, _, _, Style.WRAP, Style.DATE, _, _, _, _, _, Style.DATE, _, _, _),
    *(_, _, Style.DATE, Style.WRAP, Style.DATE),
)
REPORT_STYLES = (Style.DATETIME, _, _, _, _, Style.WRAP, _, _, _, _)
EVIDENCE_STYLES = (_, _, _, _, _, Style.THOUSANDS, _, _, _)
INDEX_STYLES = (_, Style.DATETIME, _, _, _, _, _, _)
DETAIL_STYLES = (_, _, Style.WRAP, _, _, Style.WRAP, _, Style.DATETIME)
SELF_STYLES = (_, _, Style.WRAP, _, _, Style.WRAP, _, Style.DATETIME)
APPEAL_STYLES = (_, _, _, Style.WRAP, Style.DATETIME, _, _, Style.WRAP, Style.DATETIME)
del _


def year_end_text(b: BindingRow, zh: Translate) -> str:
    """The 完成时限 of an item without one: its campaign year's end, said so."""
    end, _source = due_date(None, b.facts.campaign_year)
    return zh("{date} (year end)").format(date=end.isoformat()) if end else ""


def _write(
    book: Workbook,
    data: ExportData,
    reading: Reading,
    *,
    pack: Callable[[EvidenceRow], IndexRow] | None,
    max_rows: int,
    progress: Callable[[int], None],
) -> None:
    rules, today, exported_at = reading.rules, reading.today, reading.now
    tz = rules.tz
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

    sheet = _Sheet(book, SHEET_OVERVIEW, f"{heading}　{stamp}", OVERVIEW_COLUMNS, OVERVIEW_STYLES)
    totals = [0] * 6
    last_overall: dt.datetime | None = None
    for d in data.departments:
        numbers = (d.items, d.done, d.pending_review, d.in_progress, d.not_started, d.blocked)
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
        if d.last_reported_at and (last_overall is None or d.last_reported_at > last_overall):
            last_overall = d.last_reported_at
        quiet = department_quiet_days(
            d.last_reported_at,
            d.first_bound_at,
            campaign.year,
            campaign.starts_on,
            today,
            tz,
        )
        silent = quiet if department_silent(quiet, rules) else None
        sheet.append(
            (
                d.name,
                d.dept_class,
                *numbers,
                d.rate,
                _when(local(d.last_reported_at, tz)),
                _when(silent),
            )
        )
    departments = sheet.rows
    rate = totals[1] / totals[0] if totals[0] else 0.0
    sheet.append((Styled("合计", Style.HEADER), "", *totals, rate, _when(local(last_overall, tz))))
    # A sheet too long for Excel continues on further sheets: said here, where one looks.
    for name, rows in (
        (SHEET_ITEMS, counts.bindings),
        (SHEET_REPORTS, counts.reports),
        (SHEET_EVIDENCE, counts.evidence),
    ):
        parts = sheet_names(name, rows, max_rows)
        if len(parts) > 1:
            sheet.append(
                (
                    f"注：{name}共 {rows} 行，超过每个工作表 {max_rows - HEAD_ROWS} 行的上限，"
                    f"分为 {len(parts)} 个工作表：{'、'.join(parts)}。",
                )
            )
    sheet.close(filtered_rows=departments)

    sheet = _Sheet(book, SHEET_ITEMS, heading, ITEM_COLUMNS, ITEM_STYLES, max_rows)
    zh = translator("zh")
    colour_words: dict[object, str] = {}
    for b in data.bindings:
        state = assess(b.facts, today, rules)
        if state.colour not in colour_words:
            colour_words[state.colour] = colour_text(state.colour, zh)
        sheet.append(
            (
                b.department,
                KIND_WORDS.get(b.kind, b.kind),
                b.code,
                b.text,
                # Due at the year's end when it has no deadline, and says so.
                b.deadline if b.deadline is not None else _dash(year_end_text(b, zh)),
                _dash(b.targets),
                STATUS_WORDS.get(b.status, b.status),
                colour_words[state.colour],
                _dash(b.values),
                "—" if b.met is None else ("是" if b.met else "否"),
                _when(local(b.last_reported_at, tz)),
                b.evidence_count,
                REVIEW_WORDS.get(b.review_state, b.review_state),
                float(b.score) if b.score is not None else "—",
                _dash(due_date_text(state, zh)),
                _dash(reasons_text(state, zh)),
                state.original_due if state.original_due is not None else "—",
                _dash(b.extensions),
                state.rectification_due if state.rectification_due is not None else "—",
            )
        )
        tick()
    sheet.close()

    sheet = _Sheet(book, SHEET_REPORTS, heading, REPORT_COLUMNS, REPORT_STYLES, max_rows)
    append = sheet.append
    for r in data.reports:
        append(
            (
                local(r.created_at, tz),
                r.department,
                r.code,
                STATUS_WORDS.get(r.status, r.status),
                _dash(r.values),
                r.text,
                r.evidence_count,
                REVIEW_WORDS.get(r.review_state, r.review_state),
                r.review_comment,
                _dash(r.reporter),
            )
        )
        tick()
    sheet.close()

    sheet = _Sheet(book, SHEET_EVIDENCE, heading, EVIDENCE_COLUMNS, EVIDENCE_STYLES, max_rows)
    index = (
        _Sheet(book, SHEET_INDEX, heading, INDEX_COLUMNS, INDEX_STYLES, max_rows) if pack else None
    )
    for e in data.evidence:
        kind = EVIDENCE_KIND_WORDS.get(e.kind, e.kind)
        sheet.append(
            (
                e.report_id,
                e.department,
                e.code,
                _dash(e.file_name),
                f"{kind}（{e.mime_type}）" if e.mime_type else kind,
                e.size,
                e.sha256,
                e.stored_path,
                f"是（首次见汇报 {e.reused_from_report_id}）" if e.reused_from_report_id else "否",
            )
        )
        if index is not None and pack is not None:
            _index_row(index, pack(e), tz)
        tick()
    sheet.close()
    if index is not None:
        index.close()
    if data.scoring is not None:
        _scoring(book, data.scoring, heading, tz)
    if data.yearend is not None:
        _yearend(book, data.yearend, heading, tz)
    progress(written)


def _scoring(book: Workbook, scoring: ScoringSheets, heading: str, tz: ZoneInfo) -> None:
    """考核结果 and 评分明细 (issue 20): the same records as /results and the command line."""
    sheet = _Sheet(book, SHEET_RESULTS, f"{heading}　考核结果", RESULT_COLUMNS)
    for row in scoring.results:
        sheet.append(row)
    sheet.close()
    sheet = _Sheet(book, SHEET_DETAILS, f"{heading}　评分明细", DETAIL_COLUMNS, DETAIL_STYLES)
    for row in scoring.details:
        *values, scored_at = row
        moment = scored_at if isinstance(scored_at, dt.datetime) else None
        sheet.append((*values, _when(local(moment, tz))))
    sheet.close()


def _yearend(book: Workbook, yearend: YearEndSheets, heading: str, tz: ZoneInfo) -> None:
    """自评 and 复核记录 (issue 21): each self-score, and the appeal log."""
    sheet = _Sheet(book, SHEET_SELF, f"{heading}　自评", SELF_COLUMNS, SELF_STYLES)
    for *values, submitted_at in yearend.self_scores:
        moment = submitted_at if isinstance(submitted_at, dt.datetime) else None
        sheet.append((*values, _when(local(moment, tz))))
    sheet.close()
    sheet = _Sheet(book, SHEET_APPEALS, f"{heading}　复核记录", APPEAL_COLUMNS, APPEAL_STYLES)
    for number, name, subject, reason, filed, state, score, decision, decided in yearend.appeals:
        filed_at = filed if isinstance(filed, dt.datetime) else None
        decided_at = decided if isinstance(decided, dt.datetime) else None
        sheet.append(
            (
                number,
                name,
                subject,
                reason,
                _when(local(filed_at, tz)),
                state,
                "—" if score is None else score,
                decision or "—",
                _when(local(decided_at, tz)),
            )
        )
    sheet.close()


def _index_row(sheet: _Sheet, entry: IndexRow, tz: ZoneInfo) -> None:
    check = entry.check
    if entry.check == CHECK_MISMATCH:
        check = f"{CHECK_MISMATCH}（实际 {entry.actual_sha256}）"
    sheet.append(
        (
            entry.report_id,
            _when(local(entry.created_at, tz)),
            entry.department,
            entry.code,
            _dash(entry.file_name),
            # A relative link: opens the file once the package is unpacked.
            sheet.link(entry.path_in_zip) if entry.path_in_zip else "—",
            entry.sha256,
            check,
        )
    )
