"""`python -m bot import` with the new formats: the table preview, JSON with scores, and
the bad-file rule (one clear line, non-zero exit, nothing written) for each format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.test_cli import count, run

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_dry_run_of_a_table_lists_scores_and_deadlines(tmp_path: Path) -> None:
    result = run(["import", str(FIXTURES / "table-2021.docx"), "--dry-run"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "A3.1  分值 5 · 时限 2021-12-31" in result.stdout
    assert "所有内容均已识别。" in result.stdout
    assert count(tmp_path, "campaign") == 0


def test_pdf_json_and_real_import(tmp_path: Path) -> None:
    result = run(["import", str(FIXTURES / "table-2021.pdf"), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    items = {item["code"]: item for item in data["items"]}
    assert items["A1.1"]["score"] == 4 and items["A1.1"]["deadline"] == "2021-09-30"
    assert items["A1.1"]["standard"] == "每少1台扣1分"
    assert data["unplaced_cells"] == []
    assert count(tmp_path, "campaign") == 1 and count(tmp_path, "item") == 16


@pytest.mark.parametrize(
    ("name", "env", "expected"),
    [
        ("scanned.pdf", {}, "no text layer"),
        ("table-2021.doc", {"SOFFICE_PATH": "/nonexistent/soffice"}, "Save As with the .docx"),
        ("table-2021.wps", {"SOFFICE_PATH": "/nonexistent/soffice"}, "Save As with the .docx"),
    ],
)
def test_bad_files_one_line_nonzero_nothing_written(
    tmp_path: Path, name: str, env: dict[str, str], expected: str
) -> None:
    broken = tmp_path / ("broken" + Path(name).suffix)
    shutil.copy(FIXTURES / name, broken)
    result = run(["import", str(broken)], tmp_path, **env)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert count(tmp_path, "campaign") == 0


def test_damaged_pdf_and_doc_are_refused(tmp_path: Path) -> None:
    for name, data in (("x.pdf", b"%PDF-1.4\nbroken"), ("x.doc", b"\xd0\xcf\x11\xe0broken")):
        (tmp_path / name).write_bytes(data)
        result = run(["import", str(tmp_path / name)], tmp_path, SOFFICE_PATH="/nonexistent/x")
        assert result.returncode == 1 and len(result.stderr.strip().split("\n")) == 1
    assert count(tmp_path, "campaign") == 0
