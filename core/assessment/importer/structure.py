"""Structure of an assessment document: sections, departments, items.

The document (Annex 3 of a district's plan) looks like::

    附件3
    区直单位及市垂直管理单位生态环境保护工作目标考核要点
    一、通用考核内容
    1.专题研究部署……不少于2次；                      -> G1
    二、A类部门考核内容
    （一）
    区发展改革局                                       -> department 1
    1.牵头组织做好燃煤整治工作；                      -> A1.1
    （十一）区两型社会建设服务中心                     -> department 11
    按要求牵头完成……治理项目。                        -> A11.1 (single, unnumbered)
    三、B类部门考核内容
    根据各自职责，……相关工作。                        -> B1

Lines are first normalised (:mod:`core.assessment.importer.text`), then read by a small
state machine. Rules, in the order they are tried for each line:

1. Blank lines are skipped.
2. Before the first section: an "附件3" line and one title line (it names
   考核/要点/目标/方案 ...) are recognised.
3. A section heading is a short line with a Chinese numeral ("一、", "二." or
   none at all) whose text names 通用, A类 or B类. A numbered heading without
   those keywords starts a section we do not know: it and its lines are
   unplaced.
4. Right after a bare department heading ("（一）"), a short line without
   clause punctuation is the department's name.
5. A department heading (:mod:`core.assessment.importer.headings`) is "（十六）",
   "(16)", "（16）", "十六、", "16、", "第十六" -- any numeral, read by the importer's
   one numeral parser -- alone on its line or before the department's name, inside
   the A (or B) section. "（16）" and "16、" are also item numbers: they are headings
   only before a department's name (on the line or the next). Departments are
   numbered 1..n in document order.

   Structure checks refuse rather than guess whose items follow (issue 23): the
   headings' numbers must run 1, 2, 3 ... without gap or repeat; a heading whose
   number cannot be read ("（？）" before a name); item numbers starting again at 1
   inside one department's run (a heading was missed); a department's name between
   two runs of items without its number. Each is a :class:`StructureProblem` with
   its line; the items after it go to no department, and :func:`parse_lines` raises
   :class:`StructureError` carrying what was read.
6. A numbered line ("1." "1、" "1．" "（1）" "1）" "①", or a Word list
   paragraph whose number is not in its text) is the next item of the current
   scope (general section, department, B section). Items are numbered 1..n in
   order within the scope, so a typo in a number cannot create duplicate
   codes. A numbered line in a *different* numbering style than the scope's
   items, right after an item ending in "：" (or after such a sub-point), is a
   sub-point of that item and joins it with its number ("（1）建立台账；").
7. An unnumbered line continues the previous item when that item's text does
   not yet end with a sentence end (；。; ! ?): Word copies sometimes break one
   item over several lines. After ；or 。 a new unnumbered line is *not*
   joined -- it could be anything, and the admin must see it as unplaced.
8. An unnumbered line in a scope without items yet is that scope's single
   item (e.g. （十四）区市政设施维护中心 has one item with no number: A14.1).
9. Anything else is unplaced, verbatim (stripped).

Tables of items (:mod:`core.assessment.importer.tables`) are read row by row
by :meth:`_Parser.feed_table`: the row's category and unit cells say whose
item it is (general, a department's, the B-class item), its text, standard,
score and deadline cells what it is. Cells that fit nowhere are reported with
their table, row and column.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from core.assessment.importer.cjk_forms import fold_cjk_forms
from core.assessment.importer.deadlines import detect_year, find_column_deadline, find_deadline
from core.assessment.importer.headings import (
    FORM_BRACKET_CHINESE,
    FORM_BRACKET_UNREADABLE,
    Heading,
    has_org_suffix,
    is_department_name,
    read_heading,
    strip_heading_number,
)
from core.assessment.importer.model import (
    KIND_B_CLASS,
    KIND_DEPARTMENT,
    KIND_GENERAL,
    PROBLEM_HEADING_NUMBER,
    PROBLEM_HEADING_WITHOUT_NUMBER,
    PROBLEM_NUMBERING_RESTART,
    PROBLEM_UNREADABLE_HEADING,
    REASON_BINARY,
    REASON_EMPTY,
    REASON_NO_ITEMS,
    ROLE_LEAD,
    ROLE_SUPPORTING,
    BoundUnit,
    DocumentError,
    ParsedDepartment,
    ParsedDocument,
    ParsedItem,
    StructureError,
    StructureProblem,
    UnplacedCell,
)
from core.assessment.importer.numerals import CHINESE_NUMERAL_CHARS
from core.assessment.importer.tables import (
    COL_CATEGORY,
    COL_DEADLINE,
    COL_NUMBER,
    COL_SCORE,
    COL_STANDARD,
    COL_SUPPORTING,
    COL_TEXT,
    COL_UNIT,
    Cell,
    Header,
    RowValues,
    TableGrid,
    is_all_units,
    is_label_row,
    is_section_row,
    read_header,
    read_row,
    split_units,
)
from core.assessment.importer.targets import find_targets
from core.assessment.importer.text import normalise_line, strip_bookmarks
from core.text.matching import Named, match_names, normalize

_CN_NUMERAL = CHINESE_NUMERAL_CHARS

_ANNEX = re.compile(rf"^附件\s*[0-9{_CN_NUMERAL}]+\s*[：:]?$")
_ANNEX_PREFIX = re.compile(rf"^附件\s*[0-9{_CN_NUMERAL}]+\s*[：:]?\s*")
_TITLE_WORDS = re.compile(r"考核|要点|目标|方案|细则|清单|任务|责任")
# "一、通用考核内容", "二．A类部门考核内容", "三B类部门" (spaces between Chinese
# characters are removed by normalisation, so the separator is optional).
_SECTION_NUMBERED = re.compile(rf"^([{_CN_NUMERAL}]{{1,3}})\s*[、.．]?\s*(.+)$")
_SECTION_WORDS = re.compile(r"考核|内容|部门|单位|要点|要求")
# Item numbering styles; the group names the style so that sub-points in
# another style can be told apart.
_ITEM_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "2.5万吨" at the start of a wrapped line is a decimal, not item 2; but
    # "2.6月底前完成" is item 2 about June.
    (
        "dot",
        re.compile(r"^(\d{1,3})\s*(?:、|[.．](?!\d+(?!\d*(?:月|年|日|号|季度|个月|天))))\s*(.*)$"),
    ),
    ("paren", re.compile(r"^（(\d{1,3})）\s*(.*)$")),
    ("half_paren", re.compile(r"^(\d{1,3})）\s*(.*)$")),
    ("circled", re.compile(r"^([\u2460-\u2473])\s*(.*)$")),
)
_CLOSING_PUNCT = ("；", "。", "，", "、", "）", "：", ";", ",", ".", ")")
_CLAUSE_PUNCT = re.compile(r"[，；。：,;:！？!?]")
_SENTENCE_END = ("；", "。", ";", ".", "！", "？", "!", "?")
_TRAILING_PUNCT = "；;。.，,、 "

_CONTINUED_TABLE = re.compile(r"^[（(]?续表\s*[0-9一二三四五六七八九十]*[）)]?[：:]?$")

# Cells that only a row of its own fills (a row split by a page break has them empty).
_ROW_KEYS = (COL_CATEGORY, COL_UNIT, COL_SUPPORTING, COL_NUMBER, COL_SCORE, COL_DEADLINE)

_TITLE_MAX = 24
_NAME_MAX = 40


@dataclass(frozen=True)
class SourceLine:
    """One line of the source document.

    ``auto_numbered`` marks a Word list paragraph: Word draws its number, so
    the number is not part of ``text``.
    """

    text: str
    auto_numbered: bool = False


@dataclass
class _Item:
    kind: str
    department_number: int | None
    parts: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    code: str = ""
    sub_style: str | None = None
    # Table items only: 考核标准, 分值, the 完成时限 cell, units beyond the owner.
    standard: list[str] = field(default_factory=list)
    score: Decimal | None = None
    deadline_cell: tuple[str, UnplacedCell] | None = None
    unit_names: list[tuple[str, str]] = field(default_factory=list)
    text_cell: Cell | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def append(self, text: str, raw: str) -> None:
        # Chinese needs no space between joined lines; Latin words do.
        previous = self.parts[-1][-1:] if self.parts else ""
        if _is_latin(previous) and _is_latin(text[:1]):
            text = " " + text
        self.parts.append(text)
        self.raw.append(raw)


@dataclass
class _Scope:
    """Where items go: the general section, a department, or the B section."""

    kind: str
    department_number: int | None = None
    items: list[_Item] = field(default_factory=list)
    style: str | None = None  # numbering style of the scope's first item


@dataclass
class _Department:
    number: int
    name: str
    dept_class: str
    scope: _Scope


def _is_latin(char: str) -> bool:
    # Letters only: a number broken over two lines ("20" / "20年") joins as is.
    return char.isascii() and char.isalpha()


def _is_name_like(text: str) -> bool:
    return 0 < len(text) <= _NAME_MAX and not _CLAUSE_PUNCT.search(text) and _numbered(text) is None


def _numbered(text: str) -> tuple[str, str] | None:
    """(style, text without its number) if the line starts with item numbering."""
    found = _item_number(text)
    return None if found is None else (found[0], found[2])


def _item_number(text: str) -> tuple[str, int, str] | None:
    """(style, the number, text without it) if the line starts with item numbering."""
    for style, pattern in _ITEM_STYLES:
        match = pattern.match(text)
        if match:
            token = match.group(1)
            number = int(token) if token.isdigit() else ord(token) - 0x2460 + 1
            return style, number, match.group(2).strip()
    return None


def _section_kind(text: str) -> str | None:
    """Kind of a section heading line, None if the line is no section heading.

    "general" / "A" / "B" by keyword; "other" for a numbered heading such as
    "四、考核说明" that names none of them.
    """
    text = text.rstrip("：:")  # "一、通用考核内容："
    if len(text) > 30 or _CLAUSE_PUNCT.search(text):
        return None
    upper = text.upper()
    keyword: str | None = None
    if "通用" in text:
        keyword = "general"
    elif "A类" in upper:
        keyword = "A"
    elif "B类" in upper:
        keyword = "B"
    match = _SECTION_NUMBERED.match(text)
    numbered = match is not None and _SECTION_WORDS.search(match.group(2)) is not None
    if keyword and (numbered or _SECTION_WORDS.search(text)):
        return keyword
    if numbered and match is not None and re.match(r"[、.．]", text[len(match.group(1)) :]):
        # "四、考核说明": clearly a heading, but of a section we do not know.
        return "other"
    return None


def _clean_text(text: str) -> str:
    return text.strip().rstrip(_TRAILING_PUNCT).strip()


# A leading clause that only says on whose authority ("按照市住建局有关部署，") names
# nothing; the title skips it when a clause follows.
_AUTHORITY_CLAUSE = re.compile(r"^(按照|根据|按职责|按要求|依照|遵照)")


def _short_title(text: str) -> str:
    clauses = [c.strip() for c in _CLAUSE_PUNCT.split(text) if c.strip()]
    while len(clauses) > 1 and _AUTHORITY_CLAUSE.match(clauses[0]) and len(clauses[0]) <= 16:
        clauses.pop(0)
    clause = clauses[0] if clauses else text
    if len(clause) > _TITLE_MAX:
        return clause[: _TITLE_MAX - 1] + "…"
    return clause


class _Parser:
    def __init__(self) -> None:
        self.title: str | None = None
        self.seen_section = False
        self.section: str | None = None
        self.scope: _Scope | None = None
        self.departments: list[_Department] = []
        self.items: list[_Item] = []
        self.unplaced: list[str] = []
        self.known_names: set[str] = set()
        self.pending_name: _Department | None = None
        self.b_scope: _Scope | None = None
        self.unplaced_cells: list[UnplacedCell] = []
        # Table state: the header in force (a table split over pages keeps it), and
        # the category and units of the row above ("same as above").
        self.header: Header | None = None
        self.category = ""
        self.lead_text = ""
        self.supporting_text = ""
        self.last_table_item: _Item | None = None
        self.general_scope: _Scope | None = None
        # Structure checks (issue 23): the last department number of the section, the
        # department whose items run now, and what could not be read.
        self.last_number = 0
        self.problems: list[StructureProblem] = []
        self.problem_name_pending = False
        self.also_expected: int | None = None
        self.line_number = 0
        self.following: str | None = None

    # -- scopes ---------------------------------------------------------

    def _start_section(self, kind: str) -> None:
        self.seen_section = True
        self.section = kind
        self.pending_name = None
        self.problem_name_pending = False
        self.also_expected = None
        self.last_number = 0
        if kind == "general":
            self.scope = _Scope(KIND_GENERAL)
        elif kind == "B":
            self.b_scope = self.b_scope or _Scope(KIND_B_CLASS)
            self.scope = self.b_scope
        else:
            # Items of the A section belong to departments; until the first
            # department heading there is nowhere to put them.
            self.scope = None

    def _start_department(self, name: str) -> _Department:
        number = len(self.departments) + 1
        if self.section == "B":
            # Should a copy name B-class departments, their items keep the
            # section's running B codes (B1, B2, ...).
            scope = _Scope(KIND_B_CLASS, number)
            dept_class = "B"
        else:
            scope = _Scope(KIND_DEPARTMENT, number)
            dept_class = "A"
        department = _Department(number, name, dept_class, scope)
        self.departments.append(department)
        self.scope = scope
        return department

    def _add_item(self, text: str, raw: str, style: str) -> None:
        assert self.scope is not None
        scope = self.scope
        item = _Item(scope.kind, scope.department_number)
        item.append(text, raw)
        scope.items.append(item)
        if scope.style is None:
            scope.style = style
        self.items.append(item)

    # -- lines ----------------------------------------------------------

    def feed(self, source: SourceLine, *, number: int = 0, following: str | None = None) -> None:
        """One line; ``number`` counts the document's lines from 1, ``following`` is the
        next non-blank line (normalised), which tells a heading from an item number."""
        raw = fold_cjk_forms(strip_bookmarks(source.text)).strip(" \t\r\n\u3000\u00a0\ufeff")
        line = normalise_line(source.text)
        if not line:
            return
        self.line_number, self.following = number, following
        if self._preamble(line):
            return
        if _CONTINUED_TABLE.match(line):
            return  # "（续表）" between the parts of a table split over pages
        kind = _section_kind(line)
        if kind in {"general", "A", "B"}:
            self._start_section(kind)
            return
        if self.pending_name is not None:
            department, self.pending_name = self.pending_name, None
            name = line.rstrip("：:")
            if not source.auto_numbered and _is_name_like(name):
                department.name = name
                self.known_names.add(name)
                return
        if self.problem_name_pending:
            # The name under a heading that could not be read belongs to the problem.
            self.problem_name_pending = False
            name = line.rstrip("：:")
            if not source.auto_numbered and _is_name_like(name):
                last = self.problems[-1]
                self.problems[-1] = dataclasses.replace(last, text=f"{last.text} {name}")
                return
        if self._department_heading(line, raw, source.auto_numbered):
            return
        if kind == "other" and not source.auto_numbered:
            self._start_section(kind)
            self.unplaced.append(raw)
            return
        numbered = _numbered(line)
        if numbered is not None or source.auto_numbered:
            style, text = numbered if numbered is not None else ("auto", line)
            self._numbered_line(line, text, raw, style)
            return
        self._plain_line(line, raw)

    def _preamble(self, line: str) -> bool:
        if self.seen_section:
            return False
        if _ANNEX.match(line):
            return True
        # "附件3 区直单位……考核要点": the annex number in front of the title.
        annex = _ANNEX_PREFIX.match(line)
        if annex is not None and annex.end() < len(line):
            line = line[annex.end() :]
        if (
            self.title is None
            and len(line) <= 80
            and _TITLE_WORDS.search(line)
            and not line.endswith(_SENTENCE_END)
            and _section_kind(line) is None
        ):
            self.title = line
            return True
        return False

    def _department_heading(self, line: str, raw: str, auto_numbered: bool) -> bool:
        if self.section not in {"A", "B"}:
            return False
        heading = read_heading(line)
        if heading is not None and self._is_heading(heading):
            name = heading.name.rstrip("：:").strip()
            if heading.number is None:
                self._problem(PROBLEM_UNREADABLE_HEADING, raw)
                self.last_number += 1  # it takes its place: the next heading reads on
                self.problem_name_pending = not name
                return True
            expected = self.last_number + 1
            if heading.number == self.also_expected:
                # The number after a heading missed or mistyped before: one problem, not two.
                expected = heading.number
            self.also_expected = None
            self.last_number = heading.number
            if heading.number != expected:
                self._problem(PROBLEM_HEADING_NUMBER, raw, expected=expected, found=heading.number)
                self.also_expected = expected + 1  # if this one was a typo for `expected`
                self.problem_name_pending = not name
                return True
            department = self._start_department(name)
            if name:
                self.known_names.add(name)
            else:
                self.pending_name = department
            return True
        # A Word list paragraph that only names an organisation: the list's
        # "（一）" is drawn by Word.
        if auto_numbered and _is_name_like(line) and has_org_suffix(line):
            self.last_number += 1
            self._start_department(line.rstrip("：:"))
            self.known_names.add(line.rstrip("：:"))
            return True
        return False

    def _is_heading(self, heading: Heading) -> bool:
        """Whether a line shaped like a heading is one, here.

        ``（十六）`` always is (items are never numbered so). ``十六、`` and ``第十六``
        are, alone or before a name. ``（16）``, ``16、`` and ``（？）`` are how items
        are numbered too: they are headings only before a department's name, on their
        line or the next.
        """
        name = heading.name.rstrip("：:").strip()
        known = frozenset(self.known_names)
        if heading.form == FORM_BRACKET_CHINESE:
            return True
        if not heading.digits_only and heading.form != FORM_BRACKET_UNREADABLE:
            return not name or is_department_name(name, known)
        if name:
            return is_department_name(name, known)
        return self.following is not None and is_department_name(self.following, known)

    def _problem(
        self, kind: str, raw: str, *, expected: int | None = None, found: int | None = None
    ) -> None:
        """Record what cannot be read; the items that follow go nowhere until the next
        heading that reads well, never to the department before."""
        department = ""
        if self.scope is not None and self.scope.department_number is not None:
            department = self.departments[self.scope.department_number - 1].name
        self.problems.append(
            StructureProblem(kind, self.line_number, raw, expected, found, department)
        )
        self.scope = None
        self.pending_name = None

    def _numbered_line(self, line: str, text: str, raw: str, style: str) -> None:
        scope = self.scope
        if scope is None:
            self.unplaced.append(raw)
            return
        last = scope.items[-1] if scope.items else None
        if (
            last is not None
            and style != scope.style
            and (last.sub_style == style or (last.sub_style is None and last.text.endswith("：")))
        ):
            # "（1）" under "1.做好以下工作：": a sub-point; it keeps its
            # number inside the item's text.
            last.sub_style = style
            last.append(line if style != "auto" else text, raw)
            return
        numbered = _item_number(line)
        if numbered is not None and numbered[1] == 1 and scope.items and style == scope.style:
            # Items are numbered from 1 under each heading: a second 1 means the heading
            # between them was not recognised.
            self._problem(PROBLEM_NUMBERING_RESTART, raw)
            self.also_expected = self.last_number + 2  # the missed heading had a number
            self.unplaced.append(raw)
            return
        # A number alone on its line gets its text from the next line.
        self._add_item(text, raw, style)

    def _plain_line(self, line: str, raw: str) -> None:
        scope = self.scope
        if scope is None:
            self.unplaced.append(raw)
            return
        if (
            self.section in {"A", "B"}
            and scope.items
            and self.following is not None
            and _restarts(self.following)
            and is_department_name(line, frozenset(self.known_names))
        ):
            # A department's name between two runs of items, without its number.
            self._problem(PROBLEM_HEADING_WITHOUT_NUMBER, raw)
            self.last_number += 1  # it takes its place: the next heading reads on
            return
        last = scope.items[-1] if scope.items else None
        if last is not None and not last.text.endswith(_SENTENCE_END):
            last.append(line, raw)
            return
        if last is None:
            self._add_item(line, raw, scope.style or "single")
            return
        self.unplaced.append(raw)

    # -- tables ---------------------------------------------------------

    def feed_table(self, grid: TableGrid, *, number: int = 0) -> None:
        """Read a table: an item table by its header, any other table as lines.

        ``number`` is the table's place among the document's lines."""
        if not grid.rows:
            return
        width = max(len(row) for row in grid.rows)
        header: Header | None = None
        start = 0
        # A title row merged across the table may stand above the header.
        for start in range(min(3, len(grid.rows))):
            header = read_header(grid, start)
            if header is not None:
                break
        if header is None and self.header is not None and self.header.width == width:
            # The same table continued on the next page, without its header.
            header, start = Header(self.header.columns, 0, width), 0
        if header is None:
            following = _following_lines(grid.fallback_lines)
            for index, line in enumerate(grid.fallback_lines):
                self.feed(line, number=number, following=following[index])
            return
        if self.header is None or header.columns != self.header.columns:
            # Another kind of table: nothing of the last one is "same as above" here.
            self.category = self.lead_text = self.supporting_text = ""
        continued = (
            self.last_table_item
            if self.header is not None and header.columns == self.header.columns
            else None
        )
        self.header = header
        self.seen_section = True
        self.last_table_item = None
        for row_index in range(start):
            self._row_above_header(grid, row_index)
        first = start + header.rows
        if (
            continued is not None
            and first < len(grid.rows)
            and self._split_row(grid, first, header, continued)
        ):
            first += 1
        for row_index in range(first, len(grid.rows)):
            self._table_row(grid, row_index, header)

    def _split_row(self, grid: TableGrid, row_index: int, header: Header, item: _Item) -> bool:
        """A page break splits a row of a PDF table: the rest of the last item comes first,
        with nothing in its number, unit, score and deadline cells."""
        values = read_row(grid.rows[row_index], row_index, header)
        if any(
            values.text(role).strip()
            for role in (
                COL_CATEGORY,
                COL_UNIT,
                COL_SUPPORTING,
                COL_NUMBER,
                COL_SCORE,
                COL_DEADLINE,
            )
        ):
            return False
        text = normalise_line(values.text(COL_TEXT))
        standard = normalise_line(values.text(COL_STANDARD))
        if not text and not standard:
            return False
        if text:
            item.append(text, text)
        if standard:
            if item.standard:
                item.standard[-1] += standard
            else:
                item.standard.append(standard)
        self.last_table_item = item
        return True

    def _cell_unplaced(self, grid: TableGrid, row_index: int, column: int, text: str) -> None:
        self.unplaced_cells.append(
            UnplacedCell(grid.number, row_index + 1, column + 1, normalise_line(text))
        )

    def _row_above_header(self, grid: TableGrid, row_index: int) -> None:
        section = is_section_row(grid.rows[row_index])
        text = normalise_line(section.text) if section is not None else ""
        if section is not None and self.title is None and _TITLE_WORDS.search(text):
            self.title = text
            return
        for column, cell in _own_cells(grid.rows[row_index], row_index):
            self._cell_unplaced(grid, row_index, column, cell.text)

    def _table_row(self, grid: TableGrid, row_index: int, header: Header) -> None:
        row = grid.rows[row_index]
        if not any(cell.text.strip() for cell in row) or is_label_row(row, row_index):
            return
        section = is_section_row(row)
        if section is not None:
            text = normalise_line(section.text).rstrip("：:")
            if _category_kind(text) is not None or _section_kind(text) is not None:
                self.category, self.lead_text, self.supporting_text = text, "", ""
            elif _is_name_like(strip_heading_number(text)) and has_org_suffix(text):
                self.lead_text, self.supporting_text = strip_heading_number(text), ""
            else:
                self._cell_unplaced(grid, row_index, 0, section.text)
            return
        values = read_row(row, row_index, header)
        category = values.first(COL_CATEGORY)
        if category is not None and category[1].text.strip():
            text = normalise_line(category[1].text)
            if text != self.category:
                self.category, self.lead_text, self.supporting_text = text, "", ""
        unit = strip_heading_number(normalise_line(values.text(COL_UNIT)))
        supporting = normalise_line(values.text(COL_SUPPORTING))
        if unit:
            if unit != self.lead_text:
                self.supporting_text = ""
            self.lead_text = unit
        if supporting:
            self.supporting_text = supporting

        text_cell = values.first(COL_TEXT)
        text = normalise_line(text_cell[1].text) if text_cell is not None else ""
        last = self.last_table_item
        if (
            text_cell is not None
            and last is not None
            and last.text_cell is text_cell[1]
            and text_cell[1].origin[0] != row_index
        ):
            # The item's text cell is merged down: this row adds to its standard and score.
            self._item_details(last, grid, values)
            return
        if not text:
            for role in (COL_STANDARD, COL_SCORE, COL_DEADLINE):
                for column, cell in values.values.get(role, []):
                    if cell.origin[0] == row_index and cell.text.strip():
                        self._cell_unplaced(grid, row_index, column, cell.text)
            for column, cell in values.stray:
                self._cell_unplaced(grid, row_index, column, cell.text)
            return
        numbered = _numbered(text)
        if numbered is not None:
            text = numbered[1]
        scope = self._table_scope()
        if scope is None:
            assert text_cell is not None
            self._cell_unplaced(grid, row_index, text_cell[0], text_cell[1].text)
            return
        item = _Item(scope.kind, scope.department_number)
        item.append(text, text)
        item.text_cell = text_cell[1] if text_cell is not None else None
        if scope.kind == KIND_DEPARTMENT:
            item.unit_names = self._units()[1:]
        scope.items.append(item)
        self.items.append(item)
        self.last_table_item = item
        self._item_details(item, grid, values)
        for column, cell in values.stray:
            self._cell_unplaced(grid, row_index, column, cell.text)

    def _units(self) -> list[tuple[str, str]]:
        """The row's units, the owner (first lead) first."""
        units = split_units(self.lead_text, ROLE_LEAD) + split_units(
            self.supporting_text, ROLE_SUPPORTING
        )
        units = [unit for unit in units if not is_all_units(unit[0])]
        leads = [unit for unit in units if unit[1] == ROLE_LEAD]
        if leads:
            units.remove(leads[0])
            units.insert(0, leads[0])
        return units

    def _table_scope(self) -> _Scope | None:
        """Where the current row's item goes, by its category and units."""
        kind = _category_kind(self.category)
        if kind is None and self.section in {"general", "A", "B"}:
            kind = self.section
        units = self._units()
        if kind == "B":
            for name, _role in units:
                self._find_department(name, create_class="B")
            self.b_scope = self.b_scope or _Scope(KIND_B_CLASS)
            return self.b_scope
        if not units:
            if kind in {"general", None}:
                self.general_scope = self.general_scope or _Scope(KIND_GENERAL)
                return self.general_scope
            return None
        department = self._find_department(units[0][0], create_class="A")
        assert department is not None
        return department.scope

    def _find_department(self, name: str, create_class: str | None) -> _Department | None:
        """The department a unit cell names: same name, else a unique abbreviation (发改局)."""
        wanted = normalize(name)
        for department in self.departments:
            if normalize(department.name) == wanted:
                return department
        candidates = [Named(d.number, d.name) for d in self.departments]
        found = match_names(name, candidates)
        if len(found) == 1 and len(wanted) < len(normalize(found[0].name)):
            return self.departments[found[0].id - 1]
        if create_class is None:
            return None
        number = len(self.departments) + 1
        kind = KIND_B_CLASS if create_class == "B" else KIND_DEPARTMENT
        department = _Department(number, name, create_class, _Scope(kind, number))
        self.departments.append(department)
        return department

    def _item_details(self, item: _Item, grid: TableGrid, values: RowValues) -> None:
        row_index = values.row_index
        standard = normalise_line(values.text(COL_STANDARD))
        if standard and standard not in item.standard:
            item.standard.append(standard)
        for column, cell in values.values.get(COL_SCORE, []):
            text = normalise_line(cell.text)
            if not text or cell.origin[0] != row_index:
                continue
            score = _score(text)
            if score is None:
                self._cell_unplaced(grid, row_index, column, cell.text)
            else:
                item.score = score if item.score is None else item.score + score
        deadline = values.first(COL_DEADLINE)
        if deadline is not None and deadline[1].text.strip() and item.deadline_cell is None:
            where = UnplacedCell(
                grid.number, row_index + 1, deadline[0] + 1, normalise_line(deadline[1].text)
            )
            item.deadline_cell = (where.text, where)

    # -- result ---------------------------------------------------------

    def result(self, year: int | None) -> ParsedDocument:
        # Items that never got text (a lone "1.") cannot be stored.
        kept: list[_Item] = []
        for item in self.items:
            if _clean_text(item.text):
                kept.append(item)
            else:
                self.unplaced.extend(item.raw)
        if not kept:
            raise DocumentError(
                REASON_NO_ITEMS,
                "No assessment items found: expected a section heading such as "
                "'一、通用考核内容' followed by numbered items.",
            )
        counters: dict[str, int] = {}
        department_codes: dict[int, list[str]] = {}
        for item in kept:
            if item.kind == KIND_GENERAL:
                key = "G"
            elif item.kind == KIND_B_CLASS:
                key = "B"
            else:
                key = f"A{item.department_number}."
            counters[key] = counters.get(key, 0) + 1
            item.code = f"{key}{counters[key]}"
            if item.department_number is not None:
                department_codes.setdefault(item.department_number, []).append(item.code)
        parsed_items = tuple(
            ParsedItem(
                code=item.code,
                kind=item.kind,
                text=_clean_text(item.text),
                title=_short_title(_clean_text(item.text)),
                deadline=self._deadline(item, year),
                targets=find_targets(item.text),
                department_number=item.department_number,
                standard="；".join(_clean_text(part) for part in item.standard),
                score=item.score,
                units=self._bound_units(item),
            )
            for item in kept
        )
        departments = tuple(
            ParsedDepartment(
                number=department.number,
                name=department.name,
                dept_class=department.dept_class,
                item_codes=tuple(department_codes.get(department.number, [])),
            )
            for department in self.departments
        )
        return ParsedDocument(
            year=year,
            title=self.title,
            departments=departments,
            items=parsed_items,
            unplaced=tuple(self.unplaced),
            unplaced_cells=tuple(self.unplaced_cells),
            problems=tuple(self.problems),
        )

    def _deadline(self, item: _Item, year: int | None) -> date | None:
        if item.deadline_cell is None:
            return find_deadline(item.text, year)
        text, cell = item.deadline_cell
        found = find_column_deadline(text, year)
        if found is None and year is not None:
            self.unplaced_cells.append(cell)  # a 完成时限 we cannot read
        return found

    def _bound_units(self, item: _Item) -> tuple[BoundUnit, ...]:
        units: list[BoundUnit] = []
        for name, role in item.unit_names:
            department = self._find_department(name, create_class="A")
            assert department is not None
            if department.number != item.department_number and all(
                unit.department_number != department.number for unit in units
            ):
                units.append(BoundUnit(department.number, role))
        return tuple(units)


def starts_new_line(text: str) -> bool:
    """Whether a line begins something of its own (an item, a department, a section).

    Readers that must guess where the page wrapped a line (PDF) never join such
    a line to the one before it.
    """
    line = normalise_line(text)
    heading = read_heading(line)
    numbered = _numbered(line)
    return (
        # "4）；" after "（附件" is the rest of a bracket, not item 4.
        (numbered is not None and not numbered[1].startswith(_CLOSING_PUNCT))
        or (
            heading is not None
            and (
                heading.form == FORM_BRACKET_CHINESE
                or not heading.name
                or is_department_name(heading.name)
            )
        )
        or _section_kind(line) is not None
        or _ANNEX.match(line) is not None
    )


def _restarts(line: str) -> bool:
    """Whether a (normalised) line is an item numbered 1."""
    found = _item_number(line)
    return found is not None and found[1] == 1


def _own_cells(row: list[Cell], row_index: int) -> list[tuple[int, Cell]]:
    """Filled cells that start in this row, each once, with its first grid column."""
    seen: set[int] = set()
    cells: list[tuple[int, Cell]] = []
    for column, cell in enumerate(row):
        if id(cell) not in seen and cell.origin[0] == row_index and cell.text.strip():
            seen.add(id(cell))
            cells.append((column, cell))
    return cells


def _category_kind(text: str) -> str | None:
    """ "general" / "A" / "B" for a category cell (通用, A类部门, B类), None for others."""
    upper = text.upper()
    if "B类" in upper:
        return "B"
    if "A类" in upper:
        return "A"
    if any(word in text for word in ("通用", "共性", "共同")):
        return "general"
    return None


_SCORE = re.compile(r"^(\d+(?:\.\d+)?)\s*分?$")


def _score(text: str) -> Decimal | None:
    match = _SCORE.match(text.replace(" ", ""))
    if match is None:
        return None
    try:
        return Decimal(match.group(1))
    except InvalidOperation:
        return None


def _looks_binary(text: str) -> bool:
    """Text with NULs or many control characters is no document."""
    if "\x00" in text:
        return True
    sample = text[:20000]
    controls = sum(
        1 for char in sample if (ord(char) < 32 and char not in "\t\n\r\f\v") or char == "\ufffd"
    )
    return controls > max(2, len(sample) // 100)


Block = SourceLine | TableGrid


def _block_texts(blocks: Sequence[Block]) -> list[str]:
    """Every text of the blocks, a table's cell by cell (a merged cell once)."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, SourceLine):
            texts.append(block.text)
            continue
        for row_index, row in enumerate(block.rows):
            texts.extend(cell.text for _column, cell in _own_cells(row, row_index))
    return texts


def parse_lines(lines: Sequence[Block], *, year: int | None = None) -> ParsedDocument:
    """Parse source lines and tables into a document (see module docstring).

    Raises :class:`DocumentError` (``empty``, ``binary``, ``no_items``).
    """
    texts = _block_texts(lines)
    if not any(text.strip() for text in texts):
        raise DocumentError(REASON_EMPTY, "The document is empty.")
    if _looks_binary("\n".join(texts)):
        raise DocumentError(
            REASON_BINARY, "The document is binary data, not text; send a .docx or .txt file."
        )
    parser = _Parser()
    following = _following_lines(lines)
    for index, block in enumerate(lines):
        if isinstance(block, SourceLine):
            parser.feed(block, number=index + 1, following=following[index])
        else:
            parser.feed_table(block, number=index + 1)
    if year is None:
        year = detect_year(parser.title, (normalise_line(text) for text in texts))
    document = parser.result(year)
    if document.problems:
        raise StructureError(document)
    return document


def _following_lines(lines: Sequence[Block]) -> list[str | None]:
    """For each line, the next non-blank line (normalised); None at a table or the end."""
    following: list[str | None] = [None] * len(lines)
    upcoming: str | None = None
    for index in range(len(lines) - 1, -1, -1):
        following[index] = upcoming
        block = lines[index]
        if isinstance(block, SourceLine):
            text = normalise_line(block.text)
            if text:
                upcoming = text
        else:
            upcoming = None
    return following


def parse_plain_text(text: str, *, year: int | None = None) -> ParsedDocument:
    """Parse a document given as one string (any line endings)."""
    return parse_lines([SourceLine(line) for line in text.splitlines()], year=year)
