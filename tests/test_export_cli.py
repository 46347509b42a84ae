"""`python -m bot export` (called in-process through bot.cli.main): the workbook, and the
year-end package whose evidence files are read back and their sha256 checked against
the evidence store, with the folder names, the 索引 sheet, and what happens when a file
is missing or no longer matches."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from bot import cli
from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from core.export.gather import gather_export
from core.reporting.evidence import EvidenceStore
from storage.db import Database
from tests.test_export import PDF, Seeded, check_workbook, rows, seed


@dataclass
class Setup:
    url: str
    evidence_dir: Path
    seeded: Seeded
    tmp: Path

    @property
    def store(self) -> EvidenceStore:
        return EvidenceStore(self.evidence_dir)


@pytest.fixture
def setup(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    evidence_dir = tmp_path / "evidence"

    async def prepare() -> Seeded:
        db = Database(sqlite_url)
        try:
            async with db.session() as session:
                await create_campaign(
                    session, load_file(BUNDLED_DOCUMENT), source_name=BUNDLED_DOCUMENT.name
                )
                await session.commit()
            return await seed(db, EvidenceStore(evidence_dir))
        finally:
            await db.close()

    seeded = asyncio.run(prepare())
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("EVIDENCE_DIR", str(evidence_dir))
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    # The CLI configures the root logger for a process of its own; not inside pytest's.
    monkeypatch.setattr(cli, "setup_logging", lambda *args, **kwargs: None)
    return Setup(sqlite_url, evidence_dir, seeded, tmp_path)


def test_export_writes_the_workbook(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    target = setup.tmp / "out" / "2020.xlsx"
    assert cli.main(["export", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"{target}: campaign 1 (2020), 17 departments, {17 * 8 + 77} bindings" in out
    assert "5 reports, 4 evidence files" in out
    check_workbook(target.read_bytes(), setup.seeded)
    assert not list(target.parent.glob(".export-*"))  # no temporary file left behind


def test_evidence_package_holds_every_file_checked(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    target = setup.tmp / "package.zip"
    assert cli.main(["export", "--evidence", str(target)]) == 0
    captured = capsys.readouterr()
    assert "4 files packed" in captured.out and "warning" not in captured.err

    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    assert "考核汇总.xlsx" in names
    for name in names:
        path = PurePosixPath(name)
        assert not path.is_absolute() and "\\" not in name
        assert all(part not in ("", ".", "..") for part in path.parts), name
    files = {name: data for name, data in contents.items() if name != "考核汇总.xlsx"}
    assert {str(PurePosixPath(n).parent) for n in files} == {
        "区农业农村局/A5.1",
        "区农业农村局/A5.3",
        "区发展改革局/G2",
    }
    assert len(files) == 4
    recorded = {sha for pairs in setup.seeded.evidence.values() for _, sha in pairs}
    stored = {
        sha: setup.store.sha256_of(path)
        for pairs in setup.seeded.evidence.values()
        for path, sha in pairs
    }
    assert all(stored[sha] == sha for sha in recorded)  # the store itself is intact
    assert {hashlib.sha256(data).hexdigest() for data in files.values()} == recorded
    pdf_name = next(n for n in files if n.startswith("区农业农村局/A5.1/") and n.endswith(".pdf"))
    assert files[pdf_name] == PDF and pdf_name.endswith("-台账.pdf")
    evil = next(n for n in files if n.startswith("区发展改革局/G2/"))
    assert PurePosixPath(evil).name.endswith("evil.pdf")

    workbook = load_workbook(io.BytesIO(contents["考核汇总.xlsx"]))
    assert workbook.sheetnames == ["总览", "考核事项", "汇报记录", "佐证材料", "索引"]
    check_workbook(contents["考核汇总.xlsx"], setup.seeded)
    index = rows(workbook["索引"])
    assert len(index) == 4
    for row in index:
        assert row["校验"] == "一致"
        path = str(row["包内路径"])
        assert hashlib.sha256(files[path]).hexdigest() == row["sha256"]
    assert {str(row["包内路径"]) for row in index} == set(files)
    link = next(c for c in workbook["索引"]["F"] if c.row == 3)
    # A relative link as Excel on Windows writes one (backslashes; LibreOffice reads it too).
    assert link.hyperlink is not None
    assert link.hyperlink.target.replace("\\", "/") == index[0]["包内路径"]


def test_package_lists_missing_and_mismatching_files(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    (pdf_path, pdf_sha), _photo = setup.seeded.evidence["a51"]
    [(photo_path, photo_sha)] = setup.seeded.evidence["a53"]
    setup.store.path_of(pdf_path).unlink()
    setup.store.path_of(photo_path).write_bytes(b"changed after it was received")

    target = setup.tmp / "package.zip"
    assert cli.main(["export", "--evidence", str(target)]) == 0
    captured = capsys.readouterr()
    assert "1 evidence file(s) missing" in captured.err
    assert "1 not matching their sha256" in captured.err

    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        workbook = load_workbook(io.BytesIO(archive.read("考核汇总.xlsx")))
    assert not any(n.endswith(".pdf") and n.startswith("区农业农村局/A5.1/") for n in names)
    index = {(row["sha256"], str(row["编号"])): row for row in rows(workbook["索引"])}
    missing = index[(pdf_sha, "A5.1")]
    assert missing["校验"] == "缺失" and missing["包内路径"] == "—"
    changed = index[(photo_sha, "A5.3")]
    actual = hashlib.sha256(b"changed after it was received").hexdigest()
    assert changed["校验"] == f"不一致（实际 {actual}）"
    assert str(changed["包内路径"]) in names  # kept, and flagged, for the office to look at
    assert index[(photo_sha, "A5.1")]["校验"] == "一致"


def test_export_options_and_errors(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export"]) == 1
    assert "give PATH.xlsx, --evidence PATH.zip, or both" in capsys.readouterr().err
    assert cli.main(["export", str(setup.tmp / "x.csv")]) == 1
    assert "must end in .xlsx" in capsys.readouterr().err
    assert cli.main(["export", str(setup.tmp / "x.xlsx"), "--campaign", "99"]) == 1
    assert "there is no campaign 99; campaigns: 1 (2020, active)" in capsys.readouterr().err
    assert not (setup.tmp / "x.xlsx").exists()
    assert cli.main(["export", str(setup.tmp / "x.xlsx"), "--campaign", "1"]) == 0
    assert (setup.tmp / "x.xlsx").exists()


def test_reading_the_export_takes_a_fixed_number_of_queries(setup: Setup) -> None:
    """Nine queries whatever the number of departments, reports and files (the ninth:
    whether the campaign has a scoring scheme, issue 20)."""

    async def count() -> tuple[int, int]:
        db = Database(setup.url)
        statements: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *args: object) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            async with db.session() as session:
                data = await gather_export(session)
        finally:
            await db.close()
        return len(statements), len(data.reports)

    queries, reports = asyncio.run(count())
    assert reports == 5 and queries == 9
