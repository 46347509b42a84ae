"""The two Word documents of the year end, built with python-docx from plain values.

- The results notice (考核结果通报): the plan's title and year, the approving body and the
  document number, one table per class ranked with totals and grades, vetoes noted.
- A department's feedback sheet (考核结果反馈单): its own items with points, score and every
  deduction with its reason, bonus, penalty, veto, total, grade and the re-check deadline.

Both are A4 with every run in one CJK font that LibreOffice embeds when it converts them
to PDF (Noto Sans CJK SC from Debian's fonts-noto-cjk; Word on the office's machines
substitutes its own Song/Hei when the font is missing, which is harmless). The values
come in already decided (totals, grades, ranks from the scoring engine): these functions
lay them out and compute nothing, so the documents cannot disagree with the screens.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from core.scoring.amounts import show
from core.text.i18n import Translate

# Debian's fonts-noto-cjk; the family name fontconfig and LibreOffice know it by.
DOCUMENT_FONT = "Noto Sans CJK SC"
BODY_SIZE = Pt(10.5)  # 五号
TABLE_SIZE = Pt(9)  # 小五
TITLE_SIZE = Pt(16)  # 三号


def plan_title(campaign_title: str) -> str:
    """The assessment's name in a document's title: the imported document is the plan's
    "考核要点" (its points), the notice is about the 考核 itself."""
    title = campaign_title.strip()
    return title.removesuffix("要点") if len(title) > 2 else title


@dataclass(frozen=True)
class RankedLine:
    """One department's line in a class table of the notice."""

    rank: int
    department: str
    total: Decimal
    grade: str
    converted: Decimal | None = None  # 折算分, where the scheme grades by it
    vetoes: tuple[str, ...] = ()  # the veto conditions applied


@dataclass(frozen=True)
class ClassTable:
    label: str  # "A类单位", already in the reader's language
    lines: tuple[RankedLine, ...]  # in rank order


@dataclass(frozen=True)
class ResultsNotice:
    plan_title: str
    year: int
    approving_body: str
    document_number: str
    approved_on: dt.date
    issued_by: str  # the office that circulates it
    classes: tuple[ClassTable, ...]


@dataclass(frozen=True)
class Deduction:
    points: Decimal
    reason: str
    cites: str = ""  # e.g. the site check it rests on


@dataclass(frozen=True)
class ItemLine:
    code: str
    title: str
    points: Decimal
    score: Decimal | None  # None: not scored yet
    deductions: tuple[Deduction, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """A bonus or penalty entry of the department."""

    points: Decimal
    reason: str


@dataclass(frozen=True)
class FeedbackSheet:
    plan_title: str
    year: int
    department: str
    class_label: str
    items: tuple[ItemLine, ...]
    total: Decimal
    grade: str
    delivered_on: dt.date
    recheck_deadline: dt.date
    recheck_days: int
    issued_by: str
    converted: Decimal | None = None
    bonus: tuple[Adjustment, ...] = ()
    penalty: tuple[Adjustment, ...] = ()
    vetoes: tuple[str, ...] = ()
    provisional: bool = True
    remaining: int = 0  # items not scored yet
    notes: tuple[str, ...] = field(default=())


def _new_document() -> DocxDocument:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    normal = document.styles["Normal"]
    normal.font.name = DOCUMENT_FONT
    normal.font.size = BODY_SIZE
    # East Asian text takes its font from w:eastAsia, which python-docx does not set.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), DOCUMENT_FONT)
    # Chinese glyph forms (not the Japanese ones of the same font collection).
    language = normal.element.get_or_add_rPr().makeelement(qn("w:lang"), {})
    language.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(language)
    # The table style's own theme fonts would otherwise win inside tables.
    for style_name in ("Table Grid",):
        style = document.styles[style_name]
        style_fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
            style_fonts.set(qn(attribute), DOCUMENT_FONT)
    return document


def _paragraph(
    document: DocxDocument,
    text: str,
    *,
    size: Pt = BODY_SIZE,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> Paragraph:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size = size
    run.bold = bold
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _table(document: DocxDocument, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    table: Table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = TABLE_SIZE
    for table_row, row in zip(table.rows[1:], rows, strict=True):
        for cell, text in zip(table_row.cells, row, strict=True):
            cell.paragraphs[0].add_run(text).font.size = TABLE_SIZE
    return table


def _widths(table: Table, widths_mm: Sequence[float]) -> None:
    # LibreOffice lays a table out by its grid (w:gridCol), Word by the cells' widths.
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def _save(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _date_text(day: dt.date, _: Translate) -> str:
    return _("{year}-{month:02d}-{day:02d}").format(year=day.year, month=day.month, day=day.day)


def notice_docx(notice: ResultsNotice, _: Translate) -> bytes:
    """The results notice (考核结果通报) as a .docx file's bytes."""
    document = _new_document()
    _paragraph(
        document,
        _("{year} {title}: results notice").format(year=notice.year, title=notice.plan_title),
        size=TITLE_SIZE,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(document, notice.document_number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(
        document,
        _(
            "Approved by {body} on {date} ({number}), the results of the {year} assessment "
            "are circulated as follows."
        ).format(
            body=notice.approving_body,
            date=_date_text(notice.approved_on, _),
            number=notice.document_number,
            year=notice.year,
        ),
    )
    with_converted = any(
        line.converted is not None for table in notice.classes for line in table.lines
    )
    for class_table in notice.classes:
        _paragraph(document, class_table.label, bold=True)
        header = [_("Rank"), _("Department"), _("Score")]
        if with_converted:
            header.append(_("Converted score"))
        header += [_("Grade"), _("Note")]
        rows = []
        for line in class_table.lines:
            row = [str(line.rank), line.department, show(line.total)]
            if with_converted:
                row.append("" if line.converted is None else show(line.converted))
            note = (
                _("Veto: {conditions}").format(conditions="；".join(line.vetoes))
                if line.vetoes
                else ""
            )
            row += [line.grade, note]
            rows.append(row)
        table = _table(document, header, rows)
        widths = [14.0, 58.0, 18.0] + ([18.0] if with_converted else []) + [18.0]
        widths.append(160.0 - sum(widths))
        _widths(table, widths)
    _paragraph(document, "")
    _paragraph(document, notice.issued_by, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, _date_text(notice.approved_on, _), align=WD_ALIGN_PARAGRAPH.RIGHT)
    return _save(document)


def feedback_docx(sheet: FeedbackSheet, _: Translate) -> bytes:
    """A department's feedback sheet (考核结果反馈单) as a .docx file's bytes."""
    document = _new_document()
    _paragraph(
        document,
        _("{year} {title}: feedback sheet").format(year=sheet.year, title=sheet.plan_title),
        size=TITLE_SIZE,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(
        document,
        _("Department: {department} ({class_label})").format(
            department=sheet.department, class_label=sheet.class_label
        ),
        bold=True,
    )
    if sheet.provisional:
        _paragraph(document, _("Preliminary result, subject to re-check and approval."))
    header = [_("Code"), _("Item"), _("Points"), _("Score"), _("Deductions and reasons")]
    rows = []
    for item in sheet.items:
        deductions = "\n".join(
            _("−{points}: {reason}").format(points=show(d.points), reason=d.reason)
            + (f"（{d.cites}）" if d.cites else "")
            for d in item.deductions
        )
        rows.append(
            [
                item.code,
                item.title,
                show(item.points),
                _("not scored") if item.score is None else show(item.score),
                deductions,
            ]
        )
    _widths(_table(document, header, rows), [14.0, 70.0, 14.0, 14.0, 48.0])

    def adjustments(entries: tuple[Adjustment, ...]) -> str:
        if not entries:
            return _("none")
        return "\n".join(f"{show(a.points)}：{a.reason}" for a in entries)

    summary = [
        [_("Bonus"), adjustments(sheet.bonus)],
        [_("Penalty"), adjustments(sheet.penalty)],
        [_("Veto"), "；".join(sheet.vetoes) if sheet.vetoes else _("none")],
        [_("Total"), show(sheet.total)],
    ]
    if sheet.converted is not None:
        summary.append([_("Converted score"), show(sheet.converted)])
    summary.append([_("Grade"), sheet.grade])
    if sheet.remaining:
        summary.append([_("Not scored yet"), str(sheet.remaining)])
    _paragraph(document, "")
    _widths(_table(document, [_("Result"), ""], summary), [30.0, 130.0])
    for note in sheet.notes:
        _paragraph(document, note)
    _paragraph(
        document,
        _(
            "If you disagree, ask for a re-check by {deadline} ({days} working days from the "
            "day after delivery on {delivered}): /appeal in a private chat with the bot."
        ).format(
            deadline=_date_text(sheet.recheck_deadline, _),
            days=sheet.recheck_days,
            delivered=_date_text(sheet.delivered_on, _),
        ),
    )
    _paragraph(document, sheet.issued_by, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return _save(document)
