"""The project's streaming writer (core/export/xlsx.py) against XlsxWriter (constant-memory
mode) and openpyxl (write-only mode) on the same report-like rows: which writer the export
uses (core/export/sheets.py).

    .venv/bin/python bench/xlsx_writers.py [--rows 100000]

Each writer runs in its own process (so the peak RSS is its own) on the same seeded
rows of the 汇报记录 sheet's shape: a local time with a date format, department, code,
status, values, a wrapped free text, a count, review state, comment, reporter. Each is
written as the library's documentation recommends for speed: XlsxWriter with shared
formats and one call per cell; openpyxl with plain values and a WriteOnlyCell (with its
number format) for the time cell only; core.export.xlsx with its column styles, a row a
call, as core/export/sheets.py calls it. Prints seconds, rows a second and peak RSS.
A third line writes only the sheet's row XML with f-strings (no workbook, unzipped): a
yardstick of how much of XlsxWriter's time is its per-cell calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEXTS = (
    "已按计划推进，完成阶段性工作，下一步继续落实。",
    "本月召开专题会议一次，印发工作方案，明确责任分工和时间节点，正在组织实施。",
    "受资金到位时间影响，项目进度滞后，已协调财政部门加快拨付。",
)


def rows(count: int) -> Iterator[tuple[Any, ...]]:
    rnd = random.Random(1)
    start = dt.datetime(2026, 1, 1, 8, 0)
    for n in range(count):
        yield (
            start + dt.timedelta(minutes=n),
            f"第{n % 1000}号区直单位",
            f"A{n % 92}.{n % 5}",
            ("推进中", "已完成", "有困难")[n % 3],
            f"完成率 {rnd.randint(60, 120)}%" if n % 3 == 0 else "—",
            TEXTS[n % 3] + f"本期累计投入{rnd.randint(1, 99999)}元。",
            n % 4,
            ("—", "待审核", "已通过")[n % 3],
            "材料齐全，同意。" if n % 7 == 0 else "",
            f"联络员{n % 1000}",
        )


def with_xlsxwriter(path: Path, count: int) -> None:
    from xlsxwriter.workbook import Workbook

    book = Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    ws = book.add_worksheet("汇报记录")
    for r, row in enumerate(rows(count), start=2):
        ws.write_datetime(r, 0, row[0], when)
        ws.write_string(r, 1, row[1])
        ws.write_string(r, 2, row[2])
        ws.write_string(r, 3, row[3])
        ws.write_string(r, 4, row[4])
        ws.write_string(r, 5, row[5], wrap)
        ws.write_number(r, 6, row[6])
        ws.write_string(r, 7, row[7])
        ws.write_string(r, 8, row[8])
        ws.write_string(r, 9, row[9])
    book.close()


def with_openpyxl(path: Path, count: int) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    ws = book.create_sheet("汇报记录")
    for row in rows(count):
        when = WriteOnlyCell(ws, value=row[0])
        when.number_format = "yyyy-mm-dd hh:mm"
        ws.append([when, *row[1:]])
    book.save(path)


def with_duban(path: Path, count: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from core.export.xlsx import Style, Workbook

    p = Style.PLAIN
    styles = (Style.DATETIME, p, p, p, p, Style.WRAP, p, p, p, p)
    with Workbook(path) as book:
        ws = book.add_sheet("汇报记录", [17, 26, 8, 9, 24, 60, 8, 9, 30, 14], styles, freeze_rows=2)
        ws.append(["title"])
        ws.append(["header"])
        for row in rows(count):
            ws.append(row)


def with_row_xml(path: Path, count: int) -> None:
    """Not a workbook: only the sheet's XML, each row one f-string with inline strings,
    as a dedicated writer would produce it. A yardstick for what XlsxWriter's per-cell
    calls cost, not a writer the export uses."""
    from xml.sax.saxutils import escape

    epoch = dt.datetime(1899, 12, 30)
    with path.open("w", encoding="utf-8") as out:
        out.write("<worksheet><sheetData>")
        for r, row in enumerate(rows(count), start=3):
            serial = (row[0] - epoch).total_seconds() / 86400
            strings = "".join(
                f'<c r="{col}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
                for col, value in zip("BCDEFHIJ", (*row[1:6], *row[7:]), strict=True)
            )
            out.write(
                f'<row r="{r}"><c r="A{r}" s="1"><v>{serial}</v></c>{strings}'
                f'<c r="G{r}"><v>{row[6]}</v></c></row>'
            )
        out.write("</sheetData></worksheet>")


def worker(name: str, count: int) -> None:
    write = {
        "core.export.xlsx (the export's)": with_duban,
        "xlsxwriter": with_xlsxwriter,
        "openpyxl": with_openpyxl,
        "row XML only (yardstick)": with_row_xml,
    }[name]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "x.xlsx"
        started = time.perf_counter()
        write(path, count)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mib": rss, "mib": size / 2**20}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.rows)
        return
    print(
        "| writer | rows | seconds | rows/s | peak RSS MiB | file MiB |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: |"
    )
    for name in (
        "core.export.xlsx (the export's)",
        "xlsxwriter",
        "openpyxl",
        "row XML only (yardstick)",
    ):
        done = subprocess.run(
            [sys.executable, __file__, "--worker", name, "--rows", str(args.rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout)
        print(
            f"| {name} | {args.rows} | {figures['seconds']:.1f} | "
            f"{args.rows / figures['seconds']:.0f} | {figures['rss_mib']:.0f} | "
            f"{figures['mib']:.1f} |"
        )


if __name__ == "__main__":
    main()
