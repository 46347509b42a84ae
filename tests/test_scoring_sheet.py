"""The scoring sheet's round trip over the fake Bot API server: /scores sends the 评分表,
the office fills it in Excel (openpyxl here), sends it back captioned /scores, sees a
preview — or every bad cell named by sheet, row and column, with nothing saved — and
saves with the button. Also: the reader refuses what is not a workbook."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.scoring.sheet import UnreadableSheet, read_sheet
from storage.models import ItemScore, ScoreAudit
from tests.office_support import ask_all, press_all
from tests.support import updates as u
from tests.support.botapi import SentMessage
from tests.support.duban import ADMIN, DubanRig

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def upload(rig: DubanRig, content: bytes, name: str = "评分表.xlsx") -> list[SentMessage]:
    ref = rig.api.add_file(content, mime_type=XLSX, file_name=name)
    since = rig.api.mark()
    rig.inject(u.document_message(ADMIN, ref, file_name=name, mime_type=XLSX, caption="/scores"))
    rig.inject(u.command(ADMIN, "/lang ?", u.private_chat(ADMIN)))
    end = await rig.api.wait_for(
        lambda m: m.kind == "send" and "/lang zh" in (m.plain_text or ""),
        chat_id=ADMIN.id,
        since=since,
        timeout=15,
    )
    return [m for m in rig.api.messages_to(ADMIN.id) if since <= m.index < end.index]


async def scored(rig: DubanRig) -> tuple[int, int]:
    async with rig.session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(ItemScore)) or 0),
            int(await session.scalar(select(func.count()).select_from(ScoreAudit)) or 0),
        )


def row_of(ws: object, department: str, code: str) -> int:
    for row in ws.iter_rows(min_row=3):  # type: ignore[attr-defined]
        if row[0].value == department and row[2].value == code:
            return int(row[0].row)
    raise KeyError((department, code))


async def test_the_sheet_goes_out_and_comes_back(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    await rig.ask(ADMIN, "/scheme confirm")
    sent = [m for m in await ask_all(rig, ADMIN, "/scores") if m.files]
    assert len(sent) == 1 and sent[0].files[0].file_name == "评分表.xlsx"
    content = sent[0].files[0].content
    assert content is not None
    book = load_workbook(io.BytesIO(content))
    ws = book["评分表"]
    header = [c.value for c in ws[2]]
    assert header == ["单位", "类别", "编号", "考核要点", "分值", "平时情况", "得分", "扣分理由"]
    assert ws.max_row - 2 == 17 * 8 + 77  # every lead binding of the 2020 document
    a11 = row_of(ws, "区发展改革局", "A1.1")
    assert ws.cell(a11, 5).value == 23 and "逾期" in ws.cell(a11, 6).value

    # Bad cells: each named, nothing saved.
    ws.cell(a11, 7).value = 20
    ws.cell(a11, 8).value = "燃煤锅炉淘汰滞后"
    a12, a13 = row_of(ws, "区发展改革局", "A1.2"), row_of(ws, "区发展改革局", "A1.3")
    g3 = row_of(ws, "区发展改革局", "G3")
    ws.cell(a12, 7).value = "很好"
    ws.cell(a13, 7).value = 30
    ws.cell(g3, 7).value = 2
    ws.cell(ws.max_row + 1, 1).value = "不存在的局"
    ws.cell(ws.max_row, 3).value = "A1.1"
    ws.cell(ws.max_row, 7).value = 1
    buffer = io.BytesIO()
    book.save(buffer)
    before = await scored(rig)
    said = "\n".join(m.plain_text or "" for m in await upload(rig, buffer.getvalue()))
    assert "4 cells of 评分表.xlsx cannot be used. Nothing was saved" in said
    assert f"sheet 评分表, row {a12}, column G: “很好” is not a number of points" in said
    assert f"sheet 评分表, row {a13}, column G: above the item's points (24)" in said
    assert f"sheet 评分表, row {g3}, column H: a score below the points needs a reason" in said
    assert "“不存在的局 A1.1” is no department and item of the campaign" in said
    assert await scored(rig) == before

    # Corrected: a preview, then Save.
    ws.cell(a12, 7).value = None
    ws.cell(a13, 7).value = 24
    ws.cell(g3, 8).value = "专题会议仅召开1次"
    ws.delete_rows(ws.max_row)
    buffer = io.BytesIO()
    book.save(buffer)
    answers = await upload(rig, buffer.getvalue())
    preview = answers[-1]
    text = "\n".join(m.plain_text or "" for m in answers)
    assert "Preview of 评分表.xlsx: 3 scores change" in text
    assert "区发展改革局 A1.1: — → 20 / 23（燃煤锅炉淘汰滞后）" in text
    assert await scored(rig) == before
    done = await press_all(rig, ADMIN, preview, preview.callback_data[0])
    assert any(m.plain_text == "Recorded: 3 scores from the sheet." for m in done)
    after = await scored(rig)
    assert after[0] == before[0] + 3 and after[1] == before[1] + 3
    # The same button again does nothing.
    again = await press_all(rig, ADMIN, preview, preview.callback_data[0])
    assert any("no longer pending" in (m.plain_text or "") for m in again)
    assert await scored(rig) == after


def test_the_reader_refuses_what_is_not_a_workbook() -> None:
    for data in (b"", b"PK\x03\x04 nonsense", b"<?xml version='1.0'?><x/>"):
        with pytest.raises(UnreadableSheet):
            read_sheet(data)
