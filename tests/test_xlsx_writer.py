"""The export's own .xlsx writer (core/export/xlsx.py), read back as an office would:
openpyxl for every cell's value, type and style, and LibreOffice Calc opening the file
(required in CI, where .ci/run installs it)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from core.export.xlsx import EXCEL_MAX_CHARS, Link, Style, Styled, Workbook
from tests.conftest import IN_CI

TRICKY = [
    "A & B <c> \"d\" 'e'",  # escaped, not markup
    "=1+1",  # a formula's shape: stays text
    "0012",  # a number's shape: stays text, zeros kept
    "  两头有空格  ",  # kept, spaces included
    "第一行\n第二行",
    "铃\x07声\x00与\x1b控制符",  # characters XML cannot carry: dropped
    "https://example.org/not-a-link",
]


def write_sample(path: Path) -> None:
    with Workbook(path, created=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)) as book:
        sheet = book.add_sheet(
            "汇报记录",
            widths=[17, 30, 10, 10],
            styles=[Style.DATETIME, Style.WRAP, Style.PLAIN, Style.PERCENT],
            freeze_rows=2,
        )
        sheet.append([Styled("标题", Style.TITLE)])
        sheet.append([Styled(h, Style.HEADER) for h in ("时间", "内容", "数", "率")])
        for n, text in enumerate(TRICKY):
            sheet.append([dt.datetime(2026, 3, 1 + n, 9, 30), text, n, Decimal("0.125") * n])
        sheet.append([None, "x" * (EXCEL_MAX_CHARS + 10), 1.5, None])
        sheet.append([dt.date(2026, 5, 1), Link("农业/A5.1/1-2-照片.jpg"), True, 1])
        sheet.autofilter(2, sheet.rows, 0, 3)
        sheet.close()


def test_cells_read_back_with_their_values_types_and_styles(tmp_path: Path) -> None:
    path = tmp_path / "sample.xlsx"
    write_sample(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇报记录"]
    ws = book["汇报记录"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:D{ws.max_row}"
    assert ws.column_dimensions["B"].width == pytest.approx(30.7)
    assert ws["A1"].value == "标题" and ws["A1"].font.b and ws["A1"].font.sz == 13
    assert ws["B2"].value == "内容" and ws["B2"].fill.fgColor.rgb == "FFDDEBF7"

    rows = list(ws.iter_rows(min_row=3, max_row=2 + len(TRICKY), values_only=True))
    expected_text = [t.replace("\x07", "").replace("\x00", "").replace("\x1b", "") for t in TRICKY]
    assert [r[1] for r in rows] == expected_text
    assert all(isinstance(r[1], str) for r in rows)
    assert rows[0][0] == dt.datetime(2026, 3, 1, 9, 30)
    assert [r[2] for r in rows] == list(range(len(TRICKY)))
    assert rows[3][3] == pytest.approx(0.375)
    assert ws["A3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["D3"].number_format == "0.0%"
    assert ws["B3"].alignment.wrap_text is True

    long_row = 3 + len(TRICKY)
    assert ws.cell(long_row, 1).value is None
    assert len(ws.cell(long_row, 2).value) == EXCEL_MAX_CHARS
    assert ws.cell(long_row, 3).value == 1.5

    last = long_row + 1
    assert ws.cell(last, 1).value == dt.datetime(2026, 5, 1)
    link = ws.cell(last, 2)
    assert link.value == "农业/A5.1/1-2-照片.jpg"
    assert link.hyperlink is not None and link.hyperlink.target == "农业/A5.1/1-2-照片.jpg"
    assert ws.cell(last, 3).value is True


def test_a_sheet_written_beside_another_is_whole(tmp_path: Path) -> None:
    """The package writes 索引 while 佐证材料 is still being written: both come out whole,
    in the workbook's order."""
    path = tmp_path / "two.xlsx"
    with Workbook(path) as book:
        first = book.add_sheet("佐证材料")
        second = book.add_sheet("索引")
        for n in range(20_000):
            first.append([n, f"文件{n}"])
            second.append([f"路径/{n}", n * 2])
        first.close()
        second.close()
        third = book.add_sheet("之后")
        third.append(["最后"])
    book_read = openpyxl.load_workbook(path, read_only=True)
    assert book_read.sheetnames == ["佐证材料", "索引", "之后"]
    firsts = list(book_read["佐证材料"].iter_rows(values_only=True))
    seconds = list(book_read["索引"].iter_rows(values_only=True))
    assert len(firsts) == len(seconds) == 20_000
    assert firsts[-1] == (19_999, "文件19999") and seconds[-1] == ("路径/19999", 39_998)
    assert next(book_read["之后"].iter_rows(values_only=True)) == ("最后",)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


def test_libreoffice_calc_opens_it(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is not installed (CI requires it)")
        pytest.skip("LibreOffice is not installed")
    path = tmp_path / "sample.xlsx"
    write_sample(path)
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = tmp_path / "sample.csv"
    assert converted.exists(), (
        "LibreOffice could not open the workbook (is libreoffice-calc installed?): "
        + done.stdout
        + done.stderr
    )
    rows = list(csv.reader(converted.open(encoding="utf-8")))
    assert rows[0][0] == "标题" and rows[1] == ["时间", "内容", "数", "率"]
    assert [row[1] for row in rows[2 : 2 + len(TRICKY)]][:3] == TRICKY[:3]
    assert rows[2][0].startswith("2026-03-01")
