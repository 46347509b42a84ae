"""Read a Word (.docx) file into source lines and tables for the structure parser.

Paragraphs are read in body order, including those inside content controls.
Each table of the body becomes a :class:`TableGrid` whose merged cells
(``w:gridSpan`` across, ``w:vMerge`` down) are one cell object in every
position they cover; it also carries the table's text as lines (each cell
once), which is how a table without an item header is read. Word list paragraphs -- whose
number Word draws, so it is not in the paragraph's text -- are marked
``auto_numbered``; the structure parser numbers them 1..n per department.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from docx import Document
from docx.oxml.ns import qn

from core.assessment.importer.model import REASON_UNREADABLE_DOCX, DocumentError
from core.assessment.importer.structure import Block, SourceLine
from core.assessment.importer.tables import Cell, TableGrid

_LIST_STYLE_PREFIXES = ("List Number", "List Bullet")
# A table cell holding only an item number: "1", "1.", "（1）", full-width too.
_BARE_NUMBER = re.compile(r"^[（(]?[0-9０-９]{1,3}[)）.．、]?$")


def _num_pr_active(p_pr: Any) -> bool | None:
    """True/False if this pPr says (not) numbered, None if it says nothing."""
    if p_pr is None:
        return None
    num_pr = p_pr.find(qn("w:numPr"))
    if num_pr is None:
        return None
    num_id = num_pr.find(qn("w:numId"))
    if num_id is None:
        # Only a level: numbering comes from the style.
        return None
    # numId 0 explicitly switches numbering off (e.g. to undo a list style).
    return num_id.get(qn("w:val")) not in {"0", None}


def _style_numbered(style_element: Any, styles: dict[str, Any], depth: int = 0) -> bool:
    if style_element is None or depth > 10:
        return False
    name_element = style_element.find(qn("w:name"))
    name = name_element.get(qn("w:val")) if name_element is not None else ""
    if name and name.startswith(_LIST_STYLE_PREFIXES):
        return True
    active = _num_pr_active(style_element.find(qn("w:pPr")))
    if active is not None:
        return active
    based_on = style_element.find(qn("w:basedOn"))
    if based_on is None:
        return False
    return _style_numbered(styles.get(based_on.get(qn("w:val"))), styles, depth + 1)


def _paragraph_text(paragraph: Any) -> str:
    """Visible text of a w:p: runs, tabs and breaks, also inside hyperlinks.

    Deleted text (tracked changes) and field codes are skipped, as Word would
    not show them.
    """
    parts: list[str] = []
    for element in paragraph.iter():
        tag = element.tag
        if tag == qn("w:t"):
            parts.append(element.text or "")
        elif tag == qn("w:tab"):
            parts.append("\t")
        elif tag in {qn("w:br"), qn("w:cr")}:
            parts.append("\n")
    return "".join(parts)


# No real table is wider; a hostile w:gridSpan="1000000" must not build a huge grid.
_MAX_COLUMNS = 64


def _int_val(element: Any) -> int:
    """The integer w:val of an element such as w:gridSpan; 1 without one (0 for none)."""
    if element is None:
        return 0
    try:
        return max(0, min(int(element.get(qn("w:val")) or 1), _MAX_COLUMNS))
    except ValueError:
        return 1


class _Reader:
    """Walks a document body and yields its lines and tables in reading order."""

    def __init__(self, styles: dict[str, Any], default_style_id: str | None) -> None:
        self.styles = styles
        self.default_style_id = default_style_id
        self.tables = 0

    def paragraph_lines(self, paragraph: Any) -> list[SourceLine]:
        p_pr = paragraph.find(qn("w:pPr"))
        style_id = self.default_style_id
        if p_pr is not None:
            p_style = p_pr.find(qn("w:pStyle"))
            if p_style is not None:
                style_id = p_style.get(qn("w:val"))
        numbered = _num_pr_active(p_pr)
        if numbered is None:
            numbered = _style_numbered(self.styles.get(style_id or ""), self.styles)
        # A line break inside a paragraph starts a new line; only the first
        # carries Word's list number.
        return [
            SourceLine(text, auto_numbered=numbered and index == 0)
            for index, text in enumerate(_paragraph_text(paragraph).split("\n"))
        ]

    def blocks(self, container: Any) -> Iterator[Block]:
        """The body's lines, and each table of the body as one grid."""
        for child in container.iterchildren():
            tag = child.tag
            if tag == qn("w:p"):
                yield from self.paragraph_lines(child)
            elif tag == qn("w:tbl"):
                self.tables += 1
                yield self.table_grid(child, self.tables)
            elif tag in {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")}:
                yield from self.blocks(child)

    def lines(self, container: Any) -> Iterator[SourceLine]:
        """Lines only: a table inside a cell reads as its cells' lines."""
        for child in container.iterchildren():
            tag = child.tag
            if tag == qn("w:p"):
                yield from self.paragraph_lines(child)
            elif tag == qn("w:tbl"):
                for row in child.iterchildren(qn("w:tr")):
                    yield from self.row_lines(row)
            elif tag in {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")}:
                yield from self.lines(child)

    def table_grid(self, table: Any, number: int) -> TableGrid:
        """The table as a grid: a merged cell is the same Cell in each position it covers."""
        rows: list[list[Cell]] = []
        fallback: list[SourceLine] = []
        above: list[Cell] = []
        for row_index, tr in enumerate(table.iterchildren(qn("w:tr"))):
            fallback.extend(self.row_lines(tr))
            row: list[Cell] = []
            tr_pr = tr.find(qn("w:trPr"))
            before = tr_pr.find(qn("w:gridBefore")) if tr_pr is not None else None
            for _skipped in range(_int_val(before)):
                row.append(Cell("", (row_index, len(row))))
            for tc in tr.iterchildren(qn("w:tc")):
                tc_pr = tc.find(qn("w:tcPr"))
                span = _int_val(tc_pr.find(qn("w:gridSpan")) if tc_pr is not None else None)
                v_merge = tc_pr.find(qn("w:vMerge")) if tc_pr is not None else None
                column = len(row)
                continues = v_merge is not None and v_merge.get(qn("w:val")) in {None, "continue"}
                if continues and column < len(above):
                    cell = above[column]
                else:
                    text = "\n".join(line.text for line in self.lines(tc) if line.text.strip())
                    cell = Cell(text, (row_index, column))
                row.extend([cell] * max(span, 1))
            rows.append(row)
            above = row
        return TableGrid(number, rows, fallback)

    def row_lines(self, row: Any) -> Iterator[SourceLine]:
        """Lines of a table row, cell by cell.

        Tables of items often put the number in a cell of its own ("1" |
        "牵头组织……"); such a number is joined to the next cell's first line
        so that the row reads like a numbered paragraph.
        """
        cells = [list(self.lines(cell)) for cell in row.iterchildren(qn("w:tc"))]
        cells = [[line for line in cell if line.text.strip()] or cell for cell in cells]
        if len(cells) >= 2 and cells[0] and cells[1]:
            first = cells[0]
            number = first[0].text.strip()
            head = cells[1][0]
            if len(first) == 1 and _BARE_NUMBER.match(number):
                digits = "".join(char for char in number if char.isdigit())
                cells = [[SourceLine(f"{digits}.{head.text}"), *cells[1][1:]], *cells[2:]]
            elif len(first) == 1 and not number and first[0].auto_numbered:
                cells = [[SourceLine(head.text, auto_numbered=True), *cells[1][1:]], *cells[2:]]
        for cell in cells:
            yield from cell


def read_docx_lines(data: bytes) -> list[Block]:
    """Source lines and tables of a .docx; raises DocumentError("unreadable_docx")."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError(REASON_UNREADABLE_DOCX, "The .docx file is not a Word document.")
    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many types for broken packages
        raise DocumentError(
            REASON_UNREADABLE_DOCX, "The .docx file could not be read as a Word document."
        ) from error
    styles = {
        style.get(qn("w:styleId")): style
        for style in document.styles.element.iterchildren(qn("w:style"))
    }
    default_style_id = next(
        (
            style_id
            for style_id, style in styles.items()
            if style.get(qn("w:type")) == "paragraph"
            and style.get(qn("w:default")) in {"1", "true"}
        ),
        None,
    )
    return list(_Reader(styles, default_style_id).blocks(document.element.body))
