"""Read a PDF's text layer into source lines and tables for the structure parser.

pdfplumber (on pdfminer.six, both MIT) gives each page's text lines with
their positions, and its tables as rows of cells. From that this module
rebuilds the document's lines:

- page furniture is dropped: a page's first or last line when it stands in
  the top or bottom margin or is a page number ("- 3 -", "第3页", "3/8"), and
  a line repeated at the same height near the top or bottom of several pages;
- a line that runs to the right edge of the text block continues on the next
  line (also across a page break), unless the next one starts a numbered
  item or a heading: the page wrapped it, the author did not;
- a table becomes a :class:`TableGrid`; a slot pdfplumber reports as ``None``
  is covered by a merged cell (down or across), the one whose box holds it.

A PDF without a text layer (a scan) or whose glyphs map to no characters
(``(cid:12)``) cannot be read: :class:`DocumentError` ``pdf_no_text``.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from core.assessment.importer.model import REASON_PDF_NO_TEXT, REASON_UNREADABLE_PDF, DocumentError
from core.assessment.importer.structure import Block, SourceLine, starts_new_line
from core.assessment.importer.tables import Cell, TableGrid

# Page furniture: the outer 6.5 % of the page height holds headers and footers.
_MARGIN = 0.065
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－\s]*\d{1,4}[-—–－\s]*|第\s*\d{1,4}\s*页(?:\s*[，,]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_UNMAPPED = re.compile(r"\(cid:\d+\)|[\ufffd\ue000-\uf8ff]")
Bbox = tuple[float, float, float, float]  # x0, top, x1, bottom
# At least this many readable characters make a text layer.
_MIN_TEXT = 20


class _WithoutFontBBoxWarnings(logging.Filter):
    """pdfminer warns once per font and page that a browser-printed PDF's fonts give no
    FontBBox (Chromium's do not): harmless for text, and a hundred log lines a document."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "FontBBox" not in record.getMessage()


_FONT_LOG_FILTER = _WithoutFontBBoxWarnings()


@dataclass
class _Line:
    text: str
    top: float
    x1: float
    char_width: float


def _no_text(message: str) -> DocumentError:
    return DocumentError(REASON_PDF_NO_TEXT, message)


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    centre_x = (obj["x0"] + obj["x1"]) / 2
    centre_y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= centre_x <= x1 and top <= centre_y <= bottom for x0, top, x1, bottom in boxes)


def _grid(table: Any, number: int) -> TableGrid | None:
    """pdfplumber's table as a grid; a slot it leaves empty (None) is covered by a merged
    cell, found by position: the cell whose box holds the slot's centre."""
    texts: list[list[str | None]] = table.extract()
    boxes: list[list[Bbox | None]] = [list(row.cells) for row in table.rows]
    if not texts or len(texts) != len(boxes):
        return None
    width = max(len(row) for row in boxes)
    edges = sorted({round(box[0], 1) for row in boxes for box in row if box is not None})
    right = max(box[2] for row in boxes for box in row if box is not None)
    columns = [*edges, right] if len(edges) == width else None
    starts: list[tuple[Bbox, Cell]] = []
    grid: list[list[Cell]] = []
    for row_index, (row_texts, row_boxes) in enumerate(zip(texts, boxes, strict=True)):
        cells: list[Cell] = []
        for column, text in enumerate(row_texts):
            box = row_boxes[column] if column < len(row_boxes) else None
            if text is not None and box is not None:
                # Lines in a cell are the page's wrapping: join them as written.
                cell = Cell("".join(text.split("\n")), (row_index, column))
                starts.append((box, cell))
            else:
                covering = _covering(starts, columns, column, table.rows[row_index].bbox)
                if covering is None:
                    above = grid[-1][column] if grid and column < len(grid[-1]) else None
                    cell = above or Cell("", (row_index, column))
                else:
                    cell = covering
            cells.append(cell)
        grid.append(cells)
    lines = [SourceLine(cell.text) for row in grid for cell in dict.fromkeys(row) if cell.text]
    return TableGrid(number, grid, lines)


def _covering(
    starts: list[tuple[Bbox, Cell]], columns: list[float] | None, column: int, row_box: Bbox
) -> Cell | None:
    if columns is None:
        return None
    x = (columns[column] + columns[column + 1]) / 2
    y = (row_box[1] + row_box[3]) / 2
    for (x0, top, x1, bottom), cell in reversed(starts):
        if x0 <= x <= x1 and top <= y <= bottom:
            return cell
    return None


def _page_blocks(page: Any, tables_seen: int) -> list[tuple[float, _Line | TableGrid]]:
    found = page.find_tables()
    boxes = [table.bbox for table in found]
    placed: list[tuple[float, _Line | TableGrid]] = []
    for offset, table in enumerate(found):
        grid = _grid(table, tables_seen + offset + 1)
        if grid is not None:
            placed.append((table.bbox[1], grid))
    text_page = page.filter(lambda obj: not _inside(obj, boxes)) if boxes else page
    for line in text_page.extract_text_lines(return_chars=True):
        widths = [char["x1"] - char["x0"] for char in line["chars"] if char["text"].strip()]
        width = statistics.median(widths) if widths else 10.0
        placed.append((line["top"], _Line(line["text"], line["top"], line["x1"], width)))
    placed.sort(key=lambda entry: entry[0])
    return placed


def _furniture(pages: list[tuple[float, list[tuple[float, _Line | TableGrid]]]]) -> set[int]:
    """ids of the lines that are page headers, footers or page numbers.

    A running head or foot repeats at the same height on several pages, its digits
    aside (a browser's "file:///…/附件3.html 2/9", a date); a page number stands
    alone at the page's top or bottom. A page's first or last line in the outer
    margin is dropped by position only when the document has a single page: with
    narrow margins the text itself reaches there (a heading at a page's foot).
    """
    dropped: set[int] = set()
    repeated: Counter[tuple[str, int]] = Counter()
    for height, blocks in pages:
        for top, block in blocks:
            if isinstance(block, _Line) and (top < height * 0.15 or top > height * 0.85):
                repeated[(_masked(block.text), round(top))] += 1
    for height, blocks in pages:
        lines = [block for _top, block in blocks if isinstance(block, _Line)]
        for index, line in enumerate(lines):
            text = line.text.strip()
            edge = index in {0, len(lines) - 1}
            in_margin = (
                len(pages) == 1
                and edge
                and (line.top < height * _MARGIN or line.top > height * (1 - _MARGIN))
            )
            page_number = edge and _PAGE_NUMBER.match(text) is not None
            near_edge = line.top < height * 0.15 or line.top > height * 0.85
            header = len(pages) > 1 and near_edge and repeated[(_masked(text), round(line.top))] > 1
            if in_margin or page_number or header:
                dropped.add(id(line))
    return dropped


def _masked(text: str) -> str:
    """A running head or foot with its numbers (page, date, time) left out."""
    return re.sub(r"\d+", "#", text.strip())


def read_pdf_blocks(data: bytes) -> list[Block]:
    """Source lines and tables of a PDF; DocumentError if it has no usable text layer."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    font_log = logging.getLogger("pdfminer.pdffont")
    if _FONT_LOG_FILTER not in font_log.filters:
        font_log.addFilter(_FONT_LOG_FILTER)

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as error:
        raise DocumentError(REASON_UNREADABLE_PDF, "The PDF file cannot be opened.") from error
    except Exception as error:  # pdfminer raises many types for broken files
        raise DocumentError(REASON_UNREADABLE_PDF, "The PDF file cannot be opened.") from error
    with pdf:
        pages: list[tuple[float, list[tuple[float, _Line | TableGrid]]]] = []
        tables = 0
        try:
            for page in pdf.pages:
                blocks = _page_blocks(page, tables)
                tables += sum(1 for _top, block in blocks if isinstance(block, TableGrid))
                pages.append((float(page.height), blocks))
        except Exception as error:  # a damaged content stream
            raise DocumentError(REASON_UNREADABLE_PDF, "The PDF file cannot be read.") from error
    _check_text_layer(pages)
    dropped = _furniture(pages)
    right_edge = max(
        (
            block.x1
            for _height, blocks in pages
            for _top, block in blocks
            if isinstance(block, _Line) and id(block) not in dropped
        ),
        default=0.0,
    )
    result: list[Block] = []
    wrapped = False  # the last line ran to the right edge
    for _height, blocks in pages:
        for _top, block in blocks:
            if isinstance(block, TableGrid):
                result.append(block)
                wrapped = False
                continue
            if id(block) in dropped:
                continue
            text = block.text.strip()
            last = result[-1] if result else None
            opened = isinstance(last, SourceLine) and last.text.endswith(("（", "("))
            if isinstance(last, SourceLine) and (
                (wrapped and not starts_new_line(text)) or (opened and wrapped)
            ):
                result[-1] = SourceLine(last.text + text)
            else:
                result.append(SourceLine(text))
            wrapped = block.x1 >= right_edge - 2 * block.char_width
    return result


def _check_text_layer(pages: list[tuple[float, list[tuple[float, _Line | TableGrid]]]]) -> None:
    text = "".join(
        block.text
        if isinstance(block, _Line)
        else "".join(cell.text for row in block.rows for cell in row)
        for _height, blocks in pages
        for _top, block in blocks
    )
    readable = _UNMAPPED.sub("", text)
    readable = "".join(char for char in readable if not char.isspace())
    if len(readable) < _MIN_TEXT:
        raise _no_text("The PDF has no text layer (a scan?); send the document as .docx instead.")
    unmapped = len(_UNMAPPED.findall(text))
    if unmapped > len(readable) * 0.1:
        raise _no_text(
            "The PDF's text cannot be read as characters; send the document as .docx instead."
        )
