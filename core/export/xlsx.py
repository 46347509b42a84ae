"""A small streaming .xlsx writer: each row becomes one string of XML, straight into the zip.

The export writes a million rows; a general writer (XlsxWriter, openpyxl) costs one
checked Python call per cell and spends most of a million-row export there
(bench/xlsx_writers.py). This one knows the few things the export needs and nothing
else: inline strings (never shared strings, never formulas: text people typed stays
text), numbers, dates and times as Excel serials, a handful of fixed cell styles, column
widths, frozen header rows, an autofilter and relative hyperlinks. Rows are written in
order and forgotten; memory stays flat whatever the row count.

The format is Office Open XML SpreadsheetML (ECMA-376): a zip of a workbook part, one
part per worksheet, a styles part and the package's relationships and content types.
A sheet's rows go to a temporary file as they are written (several sheets can be open at
once: the package's 索引 beside 佐证材料); when the sheet is closed, a thread deflates it
into the zip behind its head, which then knows the sheet's size (`<dimension>`: readers
such as openpyxl's read-only mode need it), while the next sheet is written.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CHARS = 32_767  # of one cell
# zlib's level 1: the sheets' repetitive XML still shrinks about 7x, at a third of the
# default level's time.
COMPRESS_LEVEL = 1
_FLUSH_CHARS = 1 << 18

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# What XML 1.0 cannot carry (dropped), and what must be escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPACE = " \t\r\n"
_EPOCH_ORDINAL = dt.date(1899, 12, 30).toordinal()  # Excel's day 0 (1900 date system)


class Style(IntEnum):
    """The cell styles every workbook has (their index in styles.xml's cellXfs)."""

    PLAIN = 0
    TITLE = 1
    HEADER = 2
    WRAP = 3
    DATETIME = 4
    DATE = 5
    PERCENT = 6
    THOUSANDS = 7
    LINK = 8


_NUMBER_FORMATS = {164: "yyyy-mm-dd hh:mm", 165: "yyyy-mm-dd", 166: "0.0%"}
# (numFmtId, fontId, fillId, wrap) per Style, in order.
_XFS = (
    (0, 0, 0, False),
    (0, 1, 0, False),
    (0, 2, 2, False),
    (0, 0, 0, True),
    (164, 0, 0, False),
    (165, 0, 0, False),
    (166, 0, 0, False),
    (3, 0, 0, False),  # builtin "#,##0"
    (0, 3, 0, False),
)


@dataclass(frozen=True, slots=True)
class Styled:
    """A value with a style other than its column's (a total row's label, say)."""

    value: object
    style: Style


@dataclass(frozen=True, slots=True)
class Link:
    """A relative link (a file of the unpacked package), shown as its target."""

    target: str


def cell_text(text: str) -> str:
    """Text as a cell can hold it: no characters XML cannot carry, at most 32,767."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text[:EXCEL_MAX_CHARS]


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _serial(value: dt.date) -> str:
    """A date or naive (local) datetime as Excel's serial day number."""
    days = value.toordinal() - _EPOCH_ORDINAL
    if isinstance(value, dt.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        if seconds:
            return repr(days + seconds / 86400)
    return str(days)


class Sheet:
    """One worksheet, written row by row. Get it from `Workbook.add_sheet`."""

    def __init__(
        self,
        book: Workbook,
        number: int,
        name: str,
        widths: Sequence[float],
        styles: Sequence[Style],
        freeze_rows: int,
    ) -> None:
        self.book, self.number, self.name = book, number, name
        self.styles = tuple(styles)
        self.freeze_rows = freeze_rows
        self.rows = 0
        self.columns = 0  # the widest row's
        self.links: list[tuple[str, str]] = []  # (cell, target)
        self.filter: tuple[int, int, int, int] | None = None
        self._letters: list[str] = []
        self._style_attrs: list[str] = []
        self._columns_for(max(len(widths), len(styles)))
        self._buffer: list[str] = []
        self._buffered = 0
        self._closed = False
        # The rows go to a temporary file; the head, which names the sheet's size, is
        # known only at the end (`Workbook._store`).
        spool_dir = book.path.parent
        self._spool: IO[bytes] = tempfile.TemporaryFile(prefix="duban-", dir=spool_dir)  # noqa: SIM115
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w + 0.7:.2f}" customWidth="1"/>'
            for i, w in enumerate(widths, start=1)
        )
        selected = ' tabSelected="1"' if number == 1 else ""
        if freeze_rows:
            top = f"A{freeze_rows + 1}"
            view = (
                f'<sheetView{selected} workbookViewId="0"><pane ySplit="{freeze_rows}"'
                f' topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/></sheetView>'
            )
        else:
            view = f'<sheetView{selected} workbookViewId="0"/>'
        self._views = f"<sheetViews>{view}</sheetViews>"
        self._cols = f"<cols>{cols}</cols>" if cols else ""

    def _columns_for(self, count: int) -> None:
        """Column letters and style attributes for at least `count` columns."""
        for index in range(len(self._letters), count):
            style = self.styles[index] if index < len(self.styles) else Style.PLAIN
            self._letters.append(_column_letters(index))
            self._style_attrs.append(f' s="{int(style)}"' if style else "")

    def _write(self, text: str) -> None:
        self._buffer.append(text)
        self._buffered += len(text)
        if self._buffered >= _FLUSH_CHARS:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._spool.write("".join(self._buffer).encode("utf-8", "replace"))
            self._buffer, self._buffered = [], 0

    def append(self, values: Sequence[object]) -> int:
        """Write the next row: str (text), int/float/Decimal (numbers), date and naive
        datetime (serials), None (an empty cell), `Styled`, `Link`. Its row number.
        Past Excel's 1,048,576 rows: ValueError (the caller starts another sheet)."""
        if self.rows >= EXCEL_MAX_ROWS:
            raise ValueError(f"sheet {self.name!r} is full ({EXCEL_MAX_ROWS} rows)")
        self.rows += 1
        if len(values) > self.columns:
            self.columns = len(values)
            self._columns_for(self.columns)
        r = str(self.rows)
        cells = [f'<row r="{r}">']
        add = cells.append
        for letters, style, value in zip(self._letters, self._style_attrs, values, strict=False):
            kind = type(value)
            if kind is str:
                add(self._text_cell(letters + r, style, value))  # type: ignore[arg-type]
            elif kind is int or kind is float:
                add(f'<c r="{letters}{r}"{style}><v>{value!r}</v></c>')
            elif value is None:
                continue
            else:
                add(self._other_cell(letters + r, style, value))
        cells.append("</row>")
        self._write("".join(cells))
        return self.rows

    @staticmethod
    def _text_cell(ref: str, style: str, text: str) -> str:
        if len(text) > EXCEL_MAX_CHARS:
            text = text[:EXCEL_MAX_CHARS]
        if _SPECIAL.search(text):
            text = escape(_ILLEGAL.sub("", text))
        space = (
            ' xml:space="preserve"' if text and (text[0] in _SPACE or text[-1] in _SPACE) else ""
        )
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'

    def _other_cell(self, ref: str, style: str, value: object) -> str:
        if isinstance(value, dt.date):  # datetime too
            return f'<c r="{ref}"{style}><v>{_serial(value)}</v></c>'
        if isinstance(value, Styled):
            inner = value.value
            attr = f' s="{int(value.style)}"' if value.style else ""
            if inner is None:
                return f'<c r="{ref}"{attr}/>'
            if isinstance(inner, str):
                return self._text_cell(ref, attr, inner)
            return self._other_cell(ref, attr, inner)
        if isinstance(value, Link):
            self.links.append((ref, value.target))
            return self._text_cell(ref, f' s="{int(Style.LINK)}"', value.target)
        if isinstance(value, bool):
            return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
        # Decimal, numpy-free numbers: Excel holds doubles.
        return f'<c r="{ref}"{style}><v>{float(value)!r}</v></c>'  # type: ignore[arg-type]

    def autofilter(self, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
        """A filter over rows first..last (1-based) and columns first..last (0-based)."""
        self.filter = (first_row, max(last_row, first_row), first_col, last_col)

    def close(self) -> None:
        """End the sheet: its filter and links, then into the zip."""
        if self._closed:
            return
        self._closed = True
        tail = ["</sheetData>"]
        if self.filter is not None:
            first, last, col0, col1 = self.filter
            tail.append(
                f'<autoFilter ref="{_column_letters(col0)}{first}:{_column_letters(col1)}{last}"/>'
            )
        if self.links:
            tail.append("<hyperlinks>")
            tail.extend(
                f'<hyperlink ref="{ref}" r:id="rId{n}"/>'
                for n, (ref, _target) in enumerate(self.links, start=1)
            )
            tail.append("</hyperlinks>")
        tail.append(
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75"'
            ' header="0.3" footer="0.3"/></worksheet>'
        )
        self._write("".join(tail))
        self._flush()
        self.book._sheet_closed(self)

    def head(self) -> bytes:
        """The sheet's XML before its rows: views, its size, its columns."""
        last = f"{_column_letters(max(self.columns, 1) - 1)}{max(self.rows, 1)}"
        return (
            f'{_HEAD}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">'
            f'<dimension ref="A1:{last}"/>{self._views}'
            f'<sheetFormatPr defaultRowHeight="15"/>{self._cols}<sheetData>'
        ).encode()

    def filter_name(self) -> str | None:
        """The hidden defined name Excel keeps for an autofilter."""
        if self.filter is None:
            return None
        first, last, col0, col1 = self.filter
        quoted = "'" + self.name.replace("'", "''") + "'"
        return f"{quoted}!${_column_letters(col0)}${first}:${_column_letters(col1)}${last}"


class Workbook:
    """An .xlsx file being written; `close()` finishes it (use it as a context manager)."""

    def __init__(self, path: Path, *, created: dt.datetime | None = None) -> None:
        self.path = path
        self.created = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        self._zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
        )
        self._stamp = self.created.timetuple()[:6]
        self.sheets: list[Sheet] = []
        # One thread writes the zip, a sheet at a time, in the order they were closed.
        self._zipper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-zip")
        self._stored: list[Future[None]] = []

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_sheet(
        self,
        name: str,
        widths: Sequence[float] = (),
        styles: Sequence[Style] = (),
        *,
        freeze_rows: int = 0,
    ) -> Sheet:
        """A new worksheet, last in the tab order. `name`: at most 31 characters."""
        sheet = Sheet(self, len(self.sheets) + 1, name[:31], widths, styles, freeze_rows)
        self.sheets.append(sheet)
        return sheet

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    def _sheet_closed(self, sheet: Sheet) -> None:
        """Deflate the closed sheet into the zip in the zipping thread: zlib works
        without the GIL, so the next sheet's rows are built meanwhile."""
        self._stored.append(self._zipper.submit(self._store, sheet))

    def _store(self, sheet: Sheet) -> None:
        spool = sheet._spool
        spool.seek(0)
        name = f"xl/worksheets/sheet{sheet.number}.xml"
        with self._zip.open(self._info(name), "w", force_zip64=True) as out:
            out.write(sheet.head())
            shutil.copyfileobj(spool, out, 1 << 20)
        spool.close()

    def _put(self, name: str, text: str) -> None:
        self._zip.writestr(self._info(name), text.encode("utf-8"))

    def close(self) -> None:
        """Close every sheet still open and write the workbook's parts."""
        if self._zip.fp is None:
            return
        try:
            if not self.sheets:
                self.add_sheet("Sheet1")
            for sheet in self.sheets:
                sheet.close()
            for stored in self._stored:
                stored.result()  # a failure to write the zip is raised here
            self._write_parts()
        finally:
            self._zipper.shutdown(wait=True)
            for sheet in self.sheets:
                sheet._spool.close()
            self._zip.close()

    def _write_parts(self) -> None:
        sheets = "".join(
            f'<sheet name={quoteattr(s.name)} sheetId="{s.number}" r:id="rId{s.number}"/>'
            for s in self.sheets
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.number - 1}"'
            f' hidden="1">{escape(name)}</definedName>'
            for s in self.sheets
            if (name := s.filter_name()) is not None
        )
        self._put(
            "xl/workbook.xml",
            f'{_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>",
        )
        count = len(self.sheets)
        self._put(
            "xl/_rels/workbook.xml.rels",
            _relationships(
                [
                    (f"rId{s.number}", f"{_REL_NS}/worksheet", f"worksheets/sheet{s.number}.xml")
                    for s in self.sheets
                ]
                + [(f"rId{count + 1}", f"{_REL_NS}/styles", "styles.xml")]
            ),
        )
        self._put("xl/styles.xml", _styles())
        for sheet in self.sheets:
            if sheet.links:
                self._put(
                    f"xl/worksheets/_rels/sheet{sheet.number}.xml.rels",
                    _relationships(
                        (f"rId{n}", f"{_REL_NS}/hyperlink", target, True)
                        for n, (_ref, target) in enumerate(sheet.links, start=1)
                    ),
                )
        created = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._put(
            "docProps/core.xml",
            f"{_HEAD}<cp:coreProperties"
            ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:dcterms="http://purl.org/dc/terms/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:creator>Duban</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>'
            "</cp:coreProperties>",
        )
        self._put(
            "docProps/app.xml",
            f"{_HEAD}<Properties"
            ' xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Duban</Application></Properties>",
        )
        self._put(
            "_rels/.rels",
            _relationships(
                [
                    ("rId1", f"{_REL_NS}/officeDocument", "xl/workbook.xml"),
                    (
                        "rId2",
                        "http://schemas.openxmlformats.org/package/2006/relationships/"
                        "metadata/core-properties",
                        "docProps/core.xml",
                    ),
                    ("rId3", f"{_REL_NS}/extended-properties", "docProps/app.xml"),
                ]
            ),
        )
        main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{s.number}.xml"'
            f' ContentType="{main}.worksheet+xml"/>'
            for s in self.sheets
        )
        self._put(
            "[Content_Types].xml",
            f"{_HEAD}<Types"
            ' xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels"'
            ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
            f"{overrides}"
            '<Override PartName="/docProps/core.xml"'
            ' ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>",
        )


def _relationships(entries: Any) -> str:
    """A .rels part: (id, type, target[, external]) per relationship."""
    out = [f'{_HEAD}<Relationships xmlns="{_PKG_REL_NS}">']
    for entry in entries:
        rid, kind, target = entry[:3]
        external = ' TargetMode="External"' if len(entry) > 3 and entry[3] else ""
        out.append(f'<Relationship Id="{rid}" Type="{kind}" Target={quoteattr(target)}{external}/>')
    out.append("</Relationships>")
    return "".join(out)


def _styles() -> str:
    formats = "".join(
        f'<numFmt numFmtId="{number}" formatCode={quoteattr(code)}/>'
        for number, code in _NUMBER_FORMATS.items()
    )
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
    fonts = (
        f"<font>{font}</font>"
        '<font><b/><sz val="13"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
        f"<font><b/>{font}</font>"
        '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/>'
        '<family val="2"/><scheme val="minor"/></font>'
    )
    fills = (
        '<fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
    )
    xfs = []
    for number, font_id, fill_id, wrap in _XFS:
        attrs = f'numFmtId="{number}" fontId="{font_id}" fillId="{fill_id}" borderId="0" xfId="0"'
        if number:
            attrs += ' applyNumberFormat="1"'
        if font_id:
            attrs += ' applyFont="1"'
        if fill_id:
            attrs += ' applyFill="1"'
        if wrap:
            xfs.append(
                f'<xf {attrs} applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
            )
        else:
            xfs.append(f"<xf {attrs}/>")
    return (
        f'{_HEAD}<styleSheet xmlns="{_NS}">'
        f'<numFmts count="{len(_NUMBER_FORMATS)}">{formats}</numFmts>'
        f'<fonts count="4">{fonts}</fonts>'
        f'<fills count="3">{fills}</fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
