"""PDF text layers, scans, and .doc / .wps through LibreOffice (and without it).

The PDFs were exported by LibreOffice (fixtures/build_fixtures.py) with a page header,
a footer with page numbers, and lines wrapped by the page; the .wps is the .doc under
the name WPS Office gives it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pdfplumber
import pytest

from core.assessment.importer import DocumentError, ParsedDocument, load_document
from core.assessment.importer.convert import convert_to_docx
from core.assessment.importer.pdf_reader import _check_text_layer, _Line

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def load(name: str, **kwargs: str) -> ParsedDocument:
    path = FIXTURES / name
    return load_document(path.read_bytes(), path.name, **kwargs)


def need_soffice() -> None:
    if shutil.which("soffice") is None:
        message = "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui"
        if IN_CI:
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)


def test_pdf_fixture_has_page_furniture_and_wrapped_lines() -> None:
    """What the reader must undo is really in the file."""
    with pdfplumber.open(FIXTURES / "annex-2020.pdf") as pdf:
        assert len(pdf.pages) > 3
        first = pdf.pages[0].extract_text().split("\n")
        last = pdf.pages[-1].extract_text().split("\n")
    assert first[0] == last[0] == "雨花区生态环境保护委员会文件"
    assert first[-1] == "- 1 -" and last[-1] == f"- {len(pdf.pages)} -"
    assert "5.严格落实蓝天保卫战工作，蓝天保卫战专项考核要求详见《2020年度雨花区蓝天保卫" in first


def test_text_pdf_of_the_2020_document_imports_exactly_as_its_txt(
    sample_doc: ParsedDocument,
) -> None:
    doc = load("annex-2020.pdf")
    assert doc == sample_doc
    assert doc.fingerprint() == sample_doc.fingerprint()
    assert len(doc.items) == 86 and doc.unplaced == ()


@pytest.mark.parametrize("name", ["table-2021", "table-features", "mixed-list-table"])
def test_table_pdf_imports_as_its_docx(name: str) -> None:
    """Merges down and across, a two-row header, blank "same as above" cells, lists
    around a table; and a table split over pages (header repeated, a row broken by the
    page) reads whole."""
    from_pdf, from_docx = load(f"{name}.pdf"), load(f"{name}.docx")
    assert from_pdf.items == from_docx.items
    assert from_pdf.departments == from_docx.departments
    assert from_pdf.unplaced_cells == from_docx.unplaced_cells
    assert from_pdf.unplaced == ()


def test_table_pdf_fixture_is_split_over_pages() -> None:
    with pdfplumber.open(FIXTURES / "table-2021.pdf") as pdf:
        assert len(pdf.pages) >= 2
        assert pdf.pages[1].extract_text().split("\n")[0] == "雨花区生态环境保护委员会办公室"


def test_scanned_pdf_is_refused_with_one_line() -> None:
    with pytest.raises(DocumentError) as raised:
        load("scanned.pdf")
    assert raised.value.reason_code == "pdf_no_text"
    assert "\n" not in str(raised.value) and ".docx" in str(raised.value)


def test_unmapped_glyphs_are_no_text_layer() -> None:
    """Fonts without a ToUnicode map come out of pdfminer as "(cid:N)"."""
    garbled = _Line("(cid:1234)(cid:77)" * 30 + "一、二", 100.0, 500.0, 10.0)
    with pytest.raises(DocumentError) as raised:
        _check_text_layer([(792.0, [(100.0, garbled)])])
    assert raised.value.reason_code == "pdf_no_text"


def test_doc_and_wps_convert_with_libreoffice_in_parallel() -> None:
    """Two conversions at once: each has its own LibreOffice profile, neither blocks."""
    need_soffice()
    expected = load("table-2021.docx")
    with ThreadPoolExecutor(max_workers=2) as pool:
        docs = list(pool.map(load, ["table-2021.doc", "table-2021.wps"]))
    for doc in docs:
        assert doc.items == expected.items and doc.departments == expected.departments
        assert doc.unplaced_cells == ()


def test_without_libreoffice_the_message_says_save_as_docx(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such" / "soffice")
    for name in ("table-2021.doc", "table-2021.wps"):
        with pytest.raises(DocumentError) as raised:
            load(name, soffice=missing)
        assert raised.value.reason_code == "needs_docx"
        message = str(raised.value)
        assert "\n" not in message and "Save As" in message and ".docx" in message


def test_a_hanging_conversion_is_killed(tmp_path: Path) -> None:
    """The timeout kills soffice's whole process group; the file gets a clear refusal."""
    pid_file = tmp_path / "pid"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nsleep 60 &\nwait\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    data = (FIXTURES / "table-2021.doc").read_bytes()
    started = time.monotonic()
    with pytest.raises(DocumentError) as raised:
        convert_to_docx(data, ".doc", soffice=str(fake), timeout=1.0)
    assert raised.value.reason_code == "unreadable_doc"
    assert time.monotonic() - started < 10
    pid = int(pid_file.read_text())
    table = subprocess.run(["ps", "-eo", "pgid=,stat="], capture_output=True, text=True).stdout
    running = [line for line in table.splitlines() if line.split()[0] == str(pid)]
    # Neither the shell nor its sleep runs on (a killed orphan may linger as a zombie).
    assert all(line.split()[1].startswith("Z") for line in running)


def test_a_failing_conversion_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    data = (FIXTURES / "table-2021.doc").read_bytes()
    with pytest.raises(DocumentError) as raised:
        convert_to_docx(data, ".wps", soffice=str(fake))
    assert raised.value.reason_code == "unreadable_doc"
