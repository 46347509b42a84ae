"""Tables of items (考核细则): header labels, merged cells, one row per item.

Many offices lay the assessment out as a table instead of a list::

    类别 | 责任单位 | 序号 | 考核内容 | 考核标准 | 分值 | 完成时限
    通用 |          |  1   | 专题研究…… | 未研究的扣1分 |  5  | 年底前
    A类  | 区发展改革局 | 1 | 牵头组织…… | ……          |  4  | 6月底前

This module knows the table shape only; readers (Word, PDF) turn their tables
into a :class:`TableGrid` of :class:`Cell` values and the structure parser
asks :func:`read_header` and :func:`read_row` what each row means.

- The header row is the first row whose cells are known labels
  (:data:`_LABELS`, with the usual variants), one of them the item text. A
  second row of labels right under it (责任单位 over 牵头单位 | 配合单位) refines
  the columns it covers. A header repeated further down (on every page) is
  skipped.
- A merged cell is one :class:`Cell` object in every grid position it covers
  (``origin`` is its top-left position), so a department or category merged
  down its rows is read on each of them. Across columns, a merged cell counts
  only for the column it starts in: "通用考核内容" spanning 类别 and 责任单位
  is a category and names no unit.
- A blank category or unit cell means "same as above" within the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.assessment.importer.model import ROLE_LEAD, ROLE_SUPPORTING
from core.assessment.importer.text import normalise_line

if TYPE_CHECKING:  # structure imports this module
    from core.assessment.importer.structure import SourceLine

# Column roles.
COL_CATEGORY = "category"
COL_UNIT = "unit"  # 责任单位 / 牵头单位: lead
COL_SUPPORTING = "supporting"  # 配合单位
COL_NUMBER = "number"
COL_TEXT = "text"
COL_STANDARD = "standard"
COL_SCORE = "score"
COL_DEADLINE = "deadline"
COL_TOPIC = "topic"  # 考核项目: a grouping label, kept out of the item
COL_NOTE = "note"

_LABELS: dict[str, tuple[str, ...]] = {
    COL_CATEGORY: ("类别", "类型", "分类", "考核类别", "单位类别", "部门类别", "考核类型"),
    COL_UNIT: (
        "责任单位",
        "牵头单位",
        "责任部门",
        "牵头部门",
        "承办单位",
        "被考核单位",
        "考核对象",
        "单位",
        "部门",
        "责任主体",
    ),
    COL_SUPPORTING: ("配合单位", "协办单位", "配合部门", "协同单位", "协作单位", "参与单位"),
    COL_NUMBER: ("序号", "编号", "项次"),
    COL_TEXT: (
        "考核内容",
        "考核要点",
        "工作任务",
        "工作内容",
        "目标任务",
        "任务内容",
        "考核指标",
        "主要任务",
        "工作目标",
        "具体任务",
        "内容",
    ),
    COL_STANDARD: (
        "考核标准",
        "评分标准",
        "评分细则",
        "考核办法",
        "计分方法",
        "评分办法",
        "评分方法",
        "考核方式",
        "标准",
    ),
    COL_SCORE: ("分值", "权重", "分数", "标准分", "赋分"),
    COL_DEADLINE: ("完成时限", "时间节点", "完成时间", "时限", "时限要求", "完成期限", "时间要求"),
    COL_TOPIC: ("考核项目", "项目", "指标类别", "考核事项"),
    COL_NOTE: ("备注", "说明"),
}
_LABEL_ROLE = {label: role for role, labels in _LABELS.items() for label in labels}
# "分值（分）", "分值(100分)": a unit in brackets after the label.
_LABEL_SUFFIX = re.compile(r"[（(][^）)]*[）)]$")

# Cells that mean "every unit": a general item.
_ALL_UNITS = re.compile(r"^(各|所有|全部|全体|区直各|区直)(责任|相关|考核|[AB]类)?(单位|部门)")
# Unit lists: "区发展改革局、区财政局", one per line, "；" or "，" between.
_UNIT_SPLIT = re.compile(r"[、，,；;/\n]+")
# Markers inside a unit cell: "区发展改革局（牵头）", "牵头单位：……；配合单位：……".
_LEAD_MARK = re.compile(r"[（(]\s*牵头\s*[）)]")
_SUPPORT_MARK = re.compile(r"[（(]\s*(配合|协办)\s*[）)]")
_ROLE_PREFIX = re.compile(r"(牵头单位|牵头部门|牵头|责任单位|配合单位|配合部门|配合|协办)[：:]")


@dataclass(eq=False)
class Cell:
    """One cell of a table; a merged cell is the same object in all its positions."""

    text: str
    origin: tuple[int, int]  # (row, column) of its top-left grid position, 0-based


@dataclass
class TableGrid:
    """A table as a grid of cells, and the lines the table reads as when it is no item table.

    ``rows[r][c]`` is the cell covering row ``r``, grid column ``c``; rows may
    be shorter than others (Word allows ragged rows).
    """

    number: int  # 1-based, in document order
    rows: list[list[Cell]]
    fallback_lines: list[SourceLine] = field(default_factory=list)


def _label_role(text: str) -> str | None:
    label = normalise_line(text).replace(" ", "").rstrip("：:")
    label = _LABEL_SUFFIX.sub("", label)
    return _LABEL_ROLE.get(label)


@dataclass
class Header:
    """What each grid column holds, and how many rows the header takes."""

    columns: dict[int, str]
    rows: int
    width: int

    @property
    def roles(self) -> set[str]:
        return set(self.columns.values())


def _row_roles(row: list[Cell], row_index: int) -> dict[int, str] | None:
    """Column roles if every cell starting in this row is a label (or blank), else None."""
    roles: dict[int, str] = {}
    labelled = 0
    for cell in row:
        if cell.origin[0] != row_index:
            continue  # merged down from the row above
        if not cell.text.strip():
            continue
        role = _label_role(cell.text)
        if role is None:
            return None
        labelled += 1
        # A label merged across columns names them all; the first is its own.
        for spanned, other in enumerate(row):
            if other is cell:
                roles.setdefault(spanned, role)
    return roles if labelled else None


def read_header(grid: TableGrid, start: int = 0) -> Header | None:
    """The header at row ``start`` (and the row under it), None if that row is none."""
    if start >= len(grid.rows):
        return None
    row = grid.rows[start]
    roles = _row_roles(row, start)
    if roles is None or COL_TEXT not in roles.values() or len(set(roles.values())) < 2:
        return None
    rows = 1
    if start + 1 < len(grid.rows):
        below = _row_roles(grid.rows[start + 1], start + 1)
        if below:
            # 责任单位 over 牵头单位 | 配合单位: the lower labels refine the columns.
            roles.update(below)
            rows = 2
    return Header(roles, rows, max(len(r) for r in grid.rows))


def is_label_row(row: list[Cell], row_index: int) -> bool:
    """A row of labels only: the header repeated (printed on every page), or its second row."""
    return _row_roles(row, row_index) is not None


@dataclass
class RowValues:
    """The cells of one data row by role, each with its grid column (0-based)."""

    row_index: int
    values: dict[str, list[tuple[int, Cell]]]
    stray: list[tuple[int, Cell]]  # filled cells of unknown or note columns

    def first(self, role: str) -> tuple[int, Cell] | None:
        cells = self.values.get(role)
        return cells[0] if cells else None

    def text(self, role: str) -> str:
        return "".join(cell.text for _column, cell in self.values.get(role, []))


def read_row(row: list[Cell], row_index: int, header: Header) -> RowValues:
    """Split a data row into its roles. A merged cell counts once, for the column it starts in."""
    values: dict[str, list[tuple[int, Cell]]] = {}
    stray: list[tuple[int, Cell]] = []
    seen: set[int] = set()
    for column, cell in enumerate(row):
        if id(cell) in seen:
            continue
        seen.add(id(cell))
        role = header.columns.get(cell.origin[1], header.columns.get(column))
        if role is None or role == COL_NOTE:
            if cell.text.strip() and cell.origin[0] == row_index:
                stray.append((column, cell))
            continue
        values.setdefault(role, []).append((column, cell))
    return RowValues(row_index, values, stray)


def is_section_row(row: list[Cell]) -> Cell | None:
    """The one cell of a row that is a single cell merged across the table, if it is one."""
    distinct = {id(cell): cell for cell in row}
    if len(row) >= 2 and len(distinct) == 1:
        return row[0]
    return None


def is_all_units(text: str) -> bool:
    return _ALL_UNITS.match(normalise_line(text).replace(" ", "")) is not None


def split_units(text: str, default_role: str) -> list[tuple[str, str]]:
    """(name, role) of each unit a cell names, in order.

    "区发展改革局（牵头）、区财政局" marks the lead; "牵头单位：甲；配合单位：乙"
    names both roles; without a marker every unit has ``default_role``.
    """
    units: list[tuple[str, str]] = []
    role = default_role
    # Role prefixes switch the role for the names that follow them.
    pieces = _ROLE_PREFIX.split(text)
    for index, piece in enumerate(pieces):
        if index % 2 == 1:
            role = ROLE_SUPPORTING if piece.startswith(("配合", "协办")) else ROLE_LEAD
            continue
        for raw in _UNIT_SPLIT.split(piece):
            name = normalise_line(raw)
            unit_role = role
            if _LEAD_MARK.search(name):
                unit_role, name = ROLE_LEAD, _LEAD_MARK.sub("", name)
            elif _SUPPORT_MARK.search(name):
                unit_role, name = ROLE_SUPPORTING, _SUPPORT_MARK.sub("", name)
            name = name.strip(" 。.：:")
            if name:
                units.append((name, unit_role))
    marked = _LEAD_MARK.search(text) is not None
    if marked and _ROLE_PREFIX.search(text) is None:
        # "甲（牵头）、乙": marking one unit as lead makes the unmarked ones supporting.
        units = [
            (name, role if role != default_role or _marked_lead(text, name) else ROLE_SUPPORTING)
            for name, role in units
        ]
    return units


def _marked_lead(text: str, name: str) -> bool:
    return re.search(re.escape(name) + r"\s*[（(]\s*牵头", normalise_line(text)) is not None
