"""The scoring sheet (评分表): download, fill in Excel, upload back (caption /scores).

`sheet_bytes` writes one row per binding with its points, the year's record in brief and
the current score and reason, by the export's own streaming writer. `read_sheet` reads
an uploaded .xlsx back with the standard library alone (zip + XML), bounded: at most
`MAX_XLSX_BYTES` compressed, `MAX_PART_BYTES` per part uncompressed, `MAX_ROWS` rows, no
DTD (no entity tricks). `plan` turns the rows into the changes they would make and names
each bad cell by sheet, row and column; nothing is saved until the office confirms, and
then every change goes through `acts.score_item`, the one scoring path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from core.export.xlsx import Style, Styled, Workbook
from core.scoring.acts import current_score
from core.scoring.amounts import ZERO, BadAmount, parse_amount, show
from core.scoring.ports import ScoreBook, ScoreLine, YearRecord
from core.status.model import EFFECTIVE_LABELS
from core.text.formatting import local_date
from core.text.i18n import translator

SHEET_NAME = "评分表"
COLUMNS = (
    ("单位", 28),
    ("类别", 6),
    ("编号", 8),
    ("考核要点", 50),
    ("分值", 7),
    ("平时情况", 50),
    ("得分", 8),
    ("扣分理由", 40),
)
COL_DEPARTMENT, COL_CODE, COL_SCORE, COL_REASON = 0, 2, 6, 7
HEAD_ROWS = 2
MAX_XLSX_BYTES = 5 * 2**20
MAX_PART_BYTES = 40 * 2**20
MAX_ROWS = 20_000
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")


# ---------------------------------------------------------------- writing


def record_brief(record: YearRecord | None, tz: ZoneInfo) -> str:
    """The year in one cell, in Chinese like the rest of the workbook."""
    if record is None:
        return ""
    zh = translator("zh")
    parts = [zh(EFFECTIVE_LABELS.get(record.effective, record.effective))]
    if record.accepted_at is not None:
        parts.append(f"{local_date(record.accepted_at, tz)} 审核通过")
    if record.past_due and record.due is not None:
        parts.append(f"逾期（时限 {record.due.isoformat()}）")
    if record.returns:
        parts.append(f"退回 {record.returns} 次")
    if record.urges:
        parts.append(f"单位被催办 {record.urges} 次")
    parts.append(f"汇报 {record.reports} 次，佐证 {record.evidence} 份")
    return "；".join(parts)


def sheet_bytes(
    book: ScoreBook, records: Mapping[int, YearRecord], *, created: dt.datetime, tz: ZoneInfo
) -> bytes:
    """The 评分表 of the campaign as .xlsx bytes (small: one row per binding)."""
    names = {d.id: (d.name, d.dept_class) for d in book.departments}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "score.xlsx"
        with Workbook(path, created=created) as workbook:
            styles = (Style.PLAIN,) * 3 + (Style.WRAP, Style.PLAIN, Style.WRAP) + (Style.PLAIN,) * 2
            ws = workbook.add_sheet(
                SHEET_NAME, [w for _h, w in COLUMNS], styles, freeze_rows=HEAD_ROWS
            )
            ws.append(
                [
                    Styled(
                        f"{book.campaign.title}　评分表"
                        "（填写“得分”和“扣分理由”后，以 /scores 为说明发回）",
                        Style.TITLE,
                    )
                ]
            )
            ws.append([Styled(header, Style.HEADER) for header, _w in COLUMNS])
            for line in book.lines:
                if line.role == "supporting" or line.points is None:
                    continue
                name, dept_class = names.get(line.department_id, ("", ""))
                score = current_score(line)
                ws.append(
                    (
                        name,
                        dept_class,
                        line.code,
                        line.title,
                        line.points,
                        record_brief(records.get(line.binding_id), tz),
                        "" if score is None else score,
                        line.score_reason,
                    )
                )
            ws.close()
        return path.read_bytes()


# ---------------------------------------------------------------- reading


class UnreadableSheet(Exception):
    """reason: not_xlsx, too_big, no_sheet, too_many_rows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _part(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise UnreadableSheet("not_xlsx") from exc
    if info.file_size > MAX_PART_BYTES:
        raise UnreadableSheet("too_big")
    with archive.open(info) as handle:
        data = handle.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:  # the header lied about the size
        raise UnreadableSheet("too_big")
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
        raise UnreadableSheet("not_xlsx")
    return data


def _xml(data: bytes) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise UnreadableSheet("not_xlsx") from exc


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number - 1


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row's number in Excel
    cells: dict[int, str]  # column index -> text as Excel holds it


def read_sheet(data: bytes) -> list[SheetRow]:
    """The rows of the 评分表 sheet (all of them, header included), as text."""
    if len(data) > MAX_XLSX_BYTES:
        raise UnreadableSheet("too_big")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnreadableSheet("not_xlsx") from exc
    with archive:
        book = _xml(_part(archive, "xl/workbook.xml"))
        rels = _xml(_part(archive, "xl/_rels/workbook.xml.rels"))
        target = None
        for sheet in book.iterfind("m:sheets/m:sheet", _NS):
            if sheet.get("name") == SHEET_NAME:
                rel_id = sheet.get(f"{{{_REL_NS}}}id")
                for rel in rels:
                    if rel.get("Id") == rel_id:
                        target = rel.get("Target", "")
        if not target:
            raise UnreadableSheet("no_sheet")
        target = target.lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        shared: list[str] = []
        if "xl/sharedStrings.xml" in archive.namelist():
            for item in _xml(_part(archive, "xl/sharedStrings.xml")).iterfind("m:si", _NS):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{_NS['m']}}}t")))
        sheet_xml = _xml(_part(archive, path))
    rows: list[SheetRow] = []
    for row in sheet_xml.iterfind("m:sheetData/m:row", _NS):
        if len(rows) >= MAX_ROWS:
            raise UnreadableSheet("too_many_rows")
        cells: dict[int, str] = {}
        number = int(row.get("r") or len(rows) + 1)
        for position, cell in enumerate(row.iterfind("m:c", _NS)):
            match = _CELL_REF.match(cell.get("r") or "")
            column = _column_index(match.group(1)) if match else position
            if match:
                number = int(match.group(2))
            kind = cell.get("t")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))
            else:
                value = cell.find("m:v", _NS)
                text = value.text or "" if value is not None else ""
                if kind == "s" and text.isdigit() and int(text) < len(shared):
                    text = shared[int(text)]
            cells[column] = text
        rows.append(SheetRow(number, cells))
    return rows


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- planning


@dataclass(frozen=True)
class CellError:
    row: int
    column: str  # Excel letters
    problem: str  # above_points / not_number / reason_needed / unknown_row / duplicate
    text: str = ""


@dataclass(frozen=True)
class Change:
    department_id: int
    department: str
    code: str
    points: Decimal
    before: Decimal | None
    score: Decimal
    reason: str


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    errors: tuple[CellError, ...]
    unchanged: int


def _number(text: str) -> Decimal:
    """A score cell: Excel writes numbers like 8, 8.5 or 8.499999999999998."""
    cleaned = text.strip()
    try:
        return parse_amount(cleaned)
    except BadAmount:
        try:
            value = Decimal(cleaned)
        except ArithmeticError as exc:
            raise BadAmount(text) from exc
        if not value.is_finite() or value < ZERO:
            raise BadAmount(text) from None
        rounded = value.quantize(Decimal("0.01"))
        if abs(value - rounded) > Decimal("0.000001"):
            raise BadAmount(text) from None
        return rounded


def plan(book: ScoreBook, rows: list[SheetRow]) -> Plan:
    """What the uploaded rows would change, and every bad cell."""
    by_key: dict[tuple[str, str], tuple[ScoreLine, str]] = {}
    names = {d.id: d.name for d in book.departments}
    for line in book.lines:
        if line.role != "supporting" and line.points is not None:
            name = names.get(line.department_id, "")
            by_key[(name, line.code)] = (line, name)
    changes: list[Change] = []
    errors: list[CellError] = []
    seen: set[tuple[str, str]] = set()
    unchanged = 0
    for row in rows:
        if row.number <= HEAD_ROWS:
            continue
        department = row.cells.get(COL_DEPARTMENT, "").strip()
        code = row.cells.get(COL_CODE, "").strip()
        score_text = row.cells.get(COL_SCORE, "").strip()
        reason = " ".join(row.cells.get(COL_REASON, "").split())
        if not department and not code and not score_text:
            continue
        found = by_key.get((department, code))
        if found is None:
            errors.append(
                CellError(
                    row.number, column_letters(COL_CODE), "unknown_row", f"{department} {code}"[:60]
                )
            )
            continue
        if (department, code) in seen:
            errors.append(
                CellError(row.number, column_letters(COL_CODE), "duplicate", f"{department} {code}")
            )
            continue
        seen.add((department, code))
        line, name = found
        if not score_text:
            unchanged += 1
            continue
        points = line.points if line.points is not None else ZERO
        try:
            score = _number(score_text)
        except BadAmount:
            errors.append(
                CellError(row.number, column_letters(COL_SCORE), "not_number", score_text[:20])
            )
            continue
        if score > points:
            errors.append(
                CellError(row.number, column_letters(COL_SCORE), "above_points", show(points))
            )
            continue
        if score < points and not reason:
            errors.append(CellError(row.number, column_letters(COL_REASON), "reason_needed"))
            continue
        before = current_score(line)
        if before == score and (reason == line.score_reason or score == points):
            unchanged += 1
            continue
        changes.append(Change(line.department_id, name, line.code, points, before, score, reason))
    return Plan(tuple(changes), tuple(errors), unchanged)
