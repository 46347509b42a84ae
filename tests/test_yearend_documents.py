"""The year end's Word documents, opened by LibreOffice as the office would open them.

Both .docx files are converted to PDF by LibreOffice; `pdftotext` must find in the
results notice every department with its total and grade, and in a department's
feedback sheet that department's own items and no other department's; `pdffonts` must
show the CJK font embedded; each fits its expected number of A4 pages. The data is the
bundled 2020 document's real departments and items with generated scores.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from core.assessment.importer.loader import parse_text
from core.assessment.importer.model import KIND_GENERAL, ParsedDocument
from core.assessment.importer.samples import ANNEX3_2020
from core.scoring.amounts import show as points_text
from core.text.i18n import translator
from core.yearend.deadlines import recheck_deadline
from core.yearend.documents import (
    Adjustment,
    ClassTable,
    Deduction,
    FeedbackSheet,
    ItemLine,
    RankedLine,
    ResultsNotice,
    feedback_docx,
    notice_docx,
    plan_title,
)
from tests.conftest import IN_CI

TOOLS = ("soffice", "pdftotext", "pdffonts", "pdfinfo")


@pytest.fixture(scope="module")
def document() -> ParsedDocument:
    return parse_text(ANNEX3_2020.read_text(encoding="utf-8"))


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (libreoffice-writer-nogui, poppler-utils)"
        if IN_CI:
            pytest.fail(message + " (CI requires them)")
        pytest.skip(message)


def to_pdf(docx: bytes, name: str, workdir: Path) -> Path:
    source = workdir / f"{name}.docx"
    source.write_bytes(docx)
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{workdir / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    pdf = workdir / f"{name}.pdf"
    assert pdf.exists(), done.stdout + done.stderr
    return pdf


def pdf_text(pdf: Path, *, layout: bool = False) -> str:
    """The PDF's text; with `layout`, a table row stays on one line, as it is seen."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def squeezed(text: str) -> str:
    """Text without whitespace: a table cell wraps its lines wherever the width ends."""
    return re.sub(r"\s+", "", text)


def pages(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+(.*)$", info.stdout, re.M).group(1)  # type: ignore[union-attr]
    return count, size


def embedded_cjk_font(pdf: Path) -> bool:
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    for line in fonts.stdout.splitlines()[2:]:
        columns = line.split()
        # name type... emb sub uni object ID: "emb" is the fourth column from the right.
        if "CJK" in columns[0] and columns[-5] == "yes":
            return True
    return False


GRADES = ((Decimal(90), "优秀"), (Decimal(80), "良好"), (Decimal(60), "合格"))


def grade_of(total: Decimal) -> str:
    return next((name for bound, name in GRADES if total >= bound), "不合格")


# B-class units are not named in the 2020 document (the office adds them with /adddept).
B_CLASS = (
    "区档案馆",
    "区机关事务局",
    "区信访局",
    "区统计局",
    "区医保局",
    "区退役军人事务局",
    "区政务服务中心",
    "区融媒体中心",
    "区供销社",
    "区总工会",
    "团区委",
    "区妇联",
    "区科协",
    "区残联",
    "区工商联",
    "区红十字会",
    "区税务局",
    "区市场监管局雨花分局",
    "区气象局",
    "区消防救援大队",
)


def ranked(names: list[str], seed: int, vetoed: str | None) -> tuple[RankedLine, ...]:
    """Generated totals in steps of 0.5, ranked; equal totals share a rank."""
    totals = {
        name: Decimal(100) - Decimal((index + seed) * 7 % 45) / 2
        for index, name in enumerate(names)
    }
    order = sorted(names, key=lambda name: -totals[name])
    lines = []
    for position, name in enumerate(order):
        rank = position + 1
        if position and totals[order[position - 1]] == totals[name]:
            rank = lines[-1].rank
        veto = name == vetoed
        lines.append(
            RankedLine(
                rank=rank,
                department=name,
                total=totals[name],
                grade="不合格" if veto else grade_of(totals[name]),
                vetoes=("发生重大生态环境事件",) if veto else (),
            )
        )
    return tuple(lines)


def notice_for(document: ParsedDocument) -> ResultsNotice:
    a_class = [dept.name for dept in document.departments]
    return ResultsNotice(
        plan_title="区直单位及市垂直管理单位生态环境保护工作目标考核",
        year=2020,
        approving_body="区生态环境保护委员会",
        document_number="雨环委〔2021〕3号",
        approved_on=dt.date(2021, 2, 26),
        issued_by="区生态环境保护委员会办公室",
        classes=(
            ClassTable("A类单位", ranked(a_class, 0, vetoed=a_class[3])),
            ClassTable("B类单位", ranked(list(B_CLASS), 3, vetoed=None)),
        ),
    )


def sheet_for(document: ParsedDocument, number: int) -> FeedbackSheet:
    department = next(d for d in document.departments if d.number == number)
    general = [item for item in document.items if item.kind == KIND_GENERAL]
    own = [document.item(code) for code in department.item_codes]
    items = []
    for item in general + own:
        points = Decimal("3.5") if item.kind == KIND_GENERAL else Decimal(10)
        deductions = (
            (Deduction(Decimal(1), "台账不完整", "实地核查 2020-12-10"),)
            if item.code.endswith(".1")
            else ()
        )
        items.append(
            ItemLine(
                code=item.code,
                title=item.title,
                points=points,
                score=points - sum((d.points for d in deductions), Decimal(0)),
                deductions=deductions,
            )
        )
    delivered = dt.date(2021, 1, 8)
    return FeedbackSheet(
        plan_title="区直单位及市垂直管理单位生态环境保护工作目标考核",
        year=2020,
        department=department.name,
        class_label="A类单位",
        items=tuple(items),
        total=Decimal("91.5"),
        grade="优秀",
        delivered_on=delivered,
        recheck_deadline=recheck_deadline(delivered, 5),
        recheck_days=5,
        issued_by="区生态环境保护委员会办公室",
        bonus=(Adjustment(Decimal(2), "获评省级生态文明建设示范项目"),),
        penalty=(Adjustment(Decimal("0.5"), "中央环保督察交办件逾期"),),
    )


def test_plan_title_drops_the_documents_yaodian() -> None:
    assert plan_title("区直单位及市垂直管理单位生态环境保护工作目标考核要点") == (
        "区直单位及市垂直管理单位生态环境保护工作目标考核"
    )
    assert plan_title("2023年度生态环境保护目标责任考核") == "2023年度生态环境保护目标责任考核"


def test_amounts_show_halves_and_no_float_digits() -> None:
    """The documents write amounts with the scoring engine's one rule (`show`)."""
    assert points_text(Decimal("91.50")) == "91.5"
    assert points_text(Decimal(100)) == "100"
    assert points_text(Decimal("0.5")) == "0.5"
    assert points_text(Decimal("70.00")) == "70"


def test_notice_pdf_names_every_department_with_total_and_grade(
    document: ParsedDocument, tmp_path: Path
) -> None:
    require_tools()
    notice = notice_for(document)
    pdf = to_pdf(notice_docx(notice, translator("zh")), "notice", tmp_path)
    text = squeezed(pdf_text(pdf))
    assert "雨环委〔2021〕3号" in text and "区生态环境保护委员会" in text and "2020" in text
    lines = [line for table in notice.classes for line in table.lines]
    assert len(lines) == len(document.departments) + len(B_CLASS) == 37
    rows = [squeezed(row) for row in pdf_text(pdf, layout=True).splitlines()]
    for line in lines:
        # Rank, department, total and grade stand together in the department's row.
        row = f"{line.rank}{line.department}{points_text(line.total)}{line.grade}"
        assert any(seen.startswith(row) for seen in rows), line
    assert "一票否决：发生重大生态环境事件" in text
    assert embedded_cjk_font(pdf)
    count, size = pages(pdf)
    assert size.endswith("(A4)")
    assert count == 2  # 37 departments in two class tables


def test_feedback_sheet_pdf_holds_its_own_items_only(
    document: ParsedDocument, tmp_path: Path
) -> None:
    require_tools()
    sheet = sheet_for(document, number=5)
    pdf = to_pdf(feedback_docx(sheet, translator("zh")), "feedback", tmp_path)
    text = squeezed(pdf_text(pdf))
    assert sheet.department in text
    own_codes = {item.code for item in sheet.items}
    for item in sheet.items:
        assert item.code in text
        assert squeezed(item.title)[:14] in text, item.code
    for other in document.departments:
        if other.name == sheet.department:
            continue
        assert other.name not in text
        for code in other.item_codes:
            if code in own_codes:
                continue
            # A code followed by a title: "A6.1" must not be there (nor as part of "A6.10").
            assert not re.search(re.escape(code) + r"(?![0-9])", text), code
            assert squeezed(document.item(code).title)[:14] not in text, code
    assert "−1：台账不完整（实地核查2020-12-10）" in text
    assert "91.5" in text and "优秀" in text
    assert "2021年1月15日" in text  # 5 working days from Monday 11 January
    assert embedded_cjk_font(pdf)
    count, size = pages(pdf)
    assert size.endswith("(A4)")
    assert count == 1  # 15 items and the result on one page


def test_english_sheet_has_english_labels(document: ParsedDocument, tmp_path: Path) -> None:
    require_tools()
    pdf = to_pdf(feedback_docx(sheet_for(document, 1), translator("en")), "en", tmp_path)
    text = pdf_text(pdf)
    assert "Deductions and reasons" in text and "re-check" in text
