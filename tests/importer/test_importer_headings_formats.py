"""Issue 23 beyond plain text: the heading variants as Word lists, a Word table and a PDF;
`python -m bot import` and `/import` in the chat refusing a heading they cannot read."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from core.assessment.importer import ParsedDocument, StructureError, load_document
from tests.importer.heading_variants import (
    HEADING_FORMS,
    items_numbered_in_brackets,
    rewrite_headings,
)
from tests.importer.test_importer_pdf_doc import need_soffice
from tests.support.duban import ADMIN, DubanRig
from tests.test_cli import count, run
from tests.test_import_upload import counts, upload

DOCX_FORMS = [
    "half_width_brackets_digits",
    "chinese_enumeration_alone",
    "digit_enumeration_alone",
    "mixed",
]


def _docx_paragraphs(text: str) -> bytes:
    document = Document()
    for line in text.split("\n"):
        if line.strip():
            document.add_paragraph(line.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(text: str) -> bytes:
    """Every line in a table row of its own: number cell | text cell, as offices lay out
    a plan in a Word table without a header."""
    import re

    document = Document()
    document.add_paragraph("附件3")
    table = document.add_table(rows=0, cols=2)
    for line in text.split("\n"):
        line = line.strip()
        if not line or line == "附件3":
            continue
        cells = table.add_row().cells
        match = re.match(r"^(\d+)\.(.*)$", line)
        if match:
            cells[0].text, cells[1].text = match.group(1) + ".", match.group(2)
        else:
            cells[1].text = line
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _same(doc: ParsedDocument, sample_doc: ParsedDocument) -> None:
    assert [(d.name, d.item_codes) for d in doc.departments] == [
        (d.name, d.item_codes) for d in sample_doc.departments
    ]
    assert doc.items == sample_doc.items


@pytest.mark.parametrize("form", DOCX_FORMS, ids=str)
def test_docx_list(form: str, sample_text: str, sample_doc: ParsedDocument) -> None:
    text = rewrite_headings(sample_text, HEADING_FORMS[form])
    _same(load_document(_docx_paragraphs(text), "附件3.docx"), sample_doc)


@pytest.mark.parametrize("form", DOCX_FORMS, ids=str)
def test_docx_list_with_bracketed_items(
    form: str, sample_text: str, sample_doc: ParsedDocument
) -> None:
    text = items_numbered_in_brackets(rewrite_headings(sample_text, HEADING_FORMS[form]))
    _same(load_document(_docx_paragraphs(text), "附件3.docx"), sample_doc)


@pytest.mark.parametrize("form", DOCX_FORMS, ids=str)
def test_word_table(form: str, sample_text: str, sample_doc: ParsedDocument) -> None:
    text = rewrite_headings(sample_text, HEADING_FORMS[form])
    _same(load_document(_docx_table(text), "附件3.docx"), sample_doc)


def _smudged(sample_text: str) -> str:
    return rewrite_headings(sample_text, lambda n, c, name: f"（？）\n{name}", only=16)


def test_docx_list_and_table_refuse_a_smudged_heading(sample_text: str) -> None:
    for data in (_docx_paragraphs(_smudged(sample_text)), _docx_table(_smudged(sample_text))):
        with pytest.raises(StructureError) as raised:
            load_document(data, "附件3.docx")
        [problem] = raised.value.document.problems
        assert problem.text == "（？） 区交警大队"
        police = next(d for d in raised.value.document.departments if d.name == "区公安分局")
        assert len(police.item_codes) == 4


@pytest.fixture(scope="module")
def variant_pdfs(tmp_path_factory: pytest.TempPathFactory, sample_text: str) -> dict[str, bytes]:
    """The mixed variant and the smudged heading as PDFs printed by LibreOffice."""
    need_soffice()
    folder = tmp_path_factory.mktemp("pdf")
    sources = {
        "mixed": rewrite_headings(sample_text, HEADING_FORMS["mixed"]),
        "smudged": _smudged(sample_text),
    }
    for name, text in sources.items():
        (folder / f"{name}.docx").write_bytes(_docx_paragraphs(text))
    subprocess.run(
        [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *(str(folder / f"{name}.docx") for name in sources),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return {name: (folder / f"{name}.pdf").read_bytes() for name in sources}


def test_pdf(variant_pdfs: dict[str, bytes], sample_doc: ParsedDocument) -> None:
    _same(load_document(variant_pdfs["mixed"], "附件3.pdf"), sample_doc)
    with pytest.raises(StructureError) as raised:
        load_document(variant_pdfs["smudged"], "附件3.pdf")
    assert [p.text for p in raised.value.document.problems] == ["（？） 区交警大队"]


def test_cli_refuses_naming_line_and_number(tmp_path: Path, sample_text: str) -> None:
    path = tmp_path / "附件3.txt"
    text = _smudged(sample_text)
    path.write_text(text, encoding="utf-8")
    line = text.split("\n").index("\t（？）") + 1
    for args in (["import", str(path), "--dry-run"], ["import", str(path)]):
        result = run(args, tmp_path)
        assert result.returncode == 1
        assert f"附件3.txt: line {line}: （？） 区交警大队" in result.stderr
        assert "nothing was imported" in result.stderr
        # The preview on stdout leads with the problem.
        assert result.stdout.splitlines()[1] == (
            f"  ! 第 {line} 行：（？） 区交警大队 —— 单位标题的序号无法识别。"
        )
    assert count(tmp_path, "campaign") == 0


async def test_chat_import_refuses_and_saves_nothing(
    sqlite_rig: DubanRig, sample_text: str
) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    before = await counts(rig)
    text = _smudged(sample_text)
    line = text.split("\n").index("\t（？）") + 1
    refused = await upload(rig, text.encode(), "附件3.txt", mime="text/plain")
    shown = refused.plain_text or ""
    first, second = shown.splitlines()[:2]
    assert first.startswith("This document cannot be imported: 1 department heading(s)")
    assert second == (
        f"  ! Line {line}: （？） 区交警大队 — a department heading whose number cannot be read."
    )
    assert shown.endswith("Nothing was imported.")
    assert not refused.callback_data
    assert await counts(rig) == before

    await rig.ask(ADMIN, "/lang zh")
    refused = await upload(rig, text.encode(), "附件3.txt", mime="text/plain")
    assert f"第 {line} 行" in (refused.plain_text or "")
    assert await counts(rig) == before


@pytest.mark.parametrize("typed", ["（十六）", "(16)", "16、", "十六、", "第十六"])
def test_item_table_units_with_heading_numbers(typed: str) -> None:
    """An item table whose unit cells (or a row of their own) carry the heading number."""
    from core.assessment.importer.structure import parse_lines
    from tests.importer.test_importer_tables import grid

    table = grid(
        [
            ["序号", "责任单位", "考核内容"],
            ["1", f"{typed}区交警大队", "全面开展渣土车专项整治；"],
            ["2", f"{typed}区交警大队", "加强柴油货车路检路查；"],
            ["1", "（十七）市生态环境局雨花分局", "完成工业涂装治理；"],
        ]
    )
    doc = parse_lines([table])
    assert [(d.name, d.item_codes) for d in doc.departments] == [
        ("区交警大队", ("A1.1", "A1.2")),
        ("市生态环境局雨花分局", ("A2.1",)),
    ]
