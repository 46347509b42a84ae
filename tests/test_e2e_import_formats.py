"""/import of the documents offices really send, end to end over the fake Bot API server:
a Word table (preview with scores and deadlines, then /item and the export show the
score), a .wps converted by LibreOffice, a .doc without LibreOffice, and a scanned PDF."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig
from tests.test_import_upload import counts, press, upload

FIXTURES = Path(__file__).resolve().parent / "importer" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
WPS = "application/vnd.ms-works"


async def test_word_table_preview_then_item_and_export_show_scores(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    dry_run = await upload(rig, (FIXTURES / "table-2021.docx").read_bytes(), "考核细则.docx")
    shown = dry_run.plain_text or ""
    assert "Items found: 16 (3 general, 12 in 5 departments, 1 for B-class departments)" in shown
    assert "Scores and deadlines:" in shown
    assert "A1.1  score 4 · due 2021-09-30" in shown
    assert "G3  score 2 · due 2021-12-31" in shown  # 全年
    assert "Every line was placed." in shown
    created = await press(rig, dry_run, dry_run.callback_data[0])
    assert "Campaign 2021 created and now active" in (created.plain_text or "")

    item = await rig.ask(ADMIN, "/item A1.1")
    assert "Score: 4" in (item.plain_text or "")
    assert "Standard: 每少1台扣1分" in (item.plain_text or "")

    since = rig.api.mark()
    rig.inject(u.command(ADMIN, "/export"))
    sent = await rig.api.wait_for(chat_id=ADMIN.id, method="sendDocument", since=since, timeout=30)
    workbook = load_workbook(io.BytesIO(sent.files[0].content or b""))
    sheet = workbook["考核事项"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    header = list(rows[0])
    score = {row[header.index("编号")]: row[header.index("分值")] for row in rows[1:]}
    assert score["A1.1"] == 4 and score["A5.3"] == 3 and score["G3"] == 2


async def test_wps_is_converted_and_doc_without_libreoffice_gets_save_as(
    sqlite_rig: DubanRig,
) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    data = (FIXTURES / "table-2021.doc").read_bytes()
    if shutil.which("soffice") is None:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is not installed (CI requires it)")
    else:
        converted = await upload(rig, data, "细则.wps", mime=WPS)
        assert "Items found: 16" in (converted.plain_text or "")
        assert converted.callback_data  # the buttons of a dry run
    before = await counts(rig)
    await rig.close()
    rig.overrides["soffice_path"] = "/nonexistent/libreoffice/soffice"
    await rig.start()
    refused = await upload(rig, data, "细则.doc", mime="application/msword")
    assert "open it in WPS or Word, choose Save As, pick the .docx format" in (
        refused.plain_text or ""
    )
    assert not refused.callback_data
    scan = await upload(rig, (FIXTURES / "scanned.pdf").read_bytes(), "扫描.pdf", mime="x/pdf")
    assert "This PDF has no readable text" in (scan.plain_text or "")
    assert await counts(rig) == before


async def test_supporting_units_are_bound_and_marked_in_item(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    dry_run = await upload(rig, (FIXTURES / "table-features.docx").read_bytes(), "细则.docx")
    shown = dry_run.plain_text or ""
    assert "A1.1  score 4 · due 2021-06-30 · supporting: 区财政局" in shown
    assert "  ? table 1, row 9, column 7: 优秀" in shown
    await press(rig, dry_run, dry_run.callback_data[0])
    item = (await rig.ask(ADMIN, "/item A1.1")).plain_text or ""
    assert "区发展改革局" in item and "区财政局 (supporting)" in item
    assert "区发展改革局 (supporting)" not in item
