"""/import by document upload, end to end over the fake Bot API server: the dry run and
its buttons, creating the campaign (the new one active, the old one untouched, the
liaisons following their department), cancelling, bad files, the same document twice."""

from __future__ import annotations

import io
import os
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.assessment.campaigns import BUNDLED_DOCUMENT
from handlers.assessment.import_upload import split_text
from storage.models import AuditLog, Binding, Campaign, ConversationDraft, Department, User
from tests.support import updates as u
from tests.support.botapi import SentMessage
from tests.support.duban import ADMIN, DubanRig

FARM = u.TgUser(id=620_001, first_name="农业联络员")
DEV = u.TgUser(id=620_002, first_name="发改联络员")
NEWCOMER = u.TgUser(id=620_003, first_name="新联络员")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SCANNED_PDF = Path(__file__).resolve().parent / "importer" / "fixtures" / "scanned.pdf"


def next_year_docx(year: int = 2021) -> bytes:
    """The bundled document as next year's Word file, one department renamed."""
    text = BUNDLED_DOCUMENT.read_text(encoding="utf-8")
    text = text.replace("2020", str(year)).replace("区发展改革局", "区发展和改革局")
    document = Document()
    for line in text.split("\n"):
        if line.strip():
            document.add_paragraph(line.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def upload(
    rig: DubanRig,
    content: bytes,
    name: str,
    *,
    user: u.TgUser = ADMIN,
    caption: str = "/import",
    mime: str = DOCX,
    declared_size: int | None = None,
) -> SentMessage:
    """Send a document captioned /import; the bot's last reply (the one with buttons, if
    the dry run ran)."""
    ref = rig.api.add_file(content, mime_type=mime, file_name=name, declared_size=declared_size)
    since = rig.api.mark()
    rig.inject(u.document_message(user, ref, file_name=name, mime_type=mime, caption=caption))
    return await rig.api.wait_for(
        lambda m: (
            m.kind == "send"
            and (bool(m.callback_data) or "Dry run" not in (m.text or ""))
            and not _is_acknowledgement(m)
        ),
        chat_id=user.id,
        since=since,
        timeout=15,
    )


def _is_acknowledgement(message: SentMessage) -> bool:
    """The upload's (or the button's) immediate answer; the outcome follows it."""
    text = message.text or ""
    return text.startswith(("Reading ", "正在读取")) or text in {
        "Creating the campaign…",
        "正在创建考核方案…",
    }


async def press(rig: DubanRig, message: SentMessage, data: str) -> SentMessage:
    """Press a button; the bot's next new message (taking the buttons off is an edit)."""
    assert data in message.callback_data
    since = rig.api.mark()
    rig.inject(u.callback_query(ADMIN, data, message))
    return await rig.api.wait_for(
        lambda m: m.kind == "send" and not _is_acknowledgement(m),
        chat_id=message.chat_id,
        since=since,
        timeout=20,
    )


async def counts(rig: DubanRig) -> tuple[int, int, int]:
    """(campaigns, pending import drafts, import audit rows)."""
    async with rig.session() as session:
        campaigns = await session.scalar(select(func.count(Campaign.id)))
        drafts = await session.scalar(
            select(func.count())
            .select_from(ConversationDraft)
            .where(ConversationDraft.name == "import")
        )
        imports = await session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "import")
        )
    return int(campaigns or 0), int(drafts or 0), int(imports or 0)


async def test_import_creates_the_new_campaign_and_moves_liaisons(rig: DubanRig) -> None:
    await rig.ask(ADMIN, "/lang en")
    await rig.join(FARM, "农业")
    await rig.join(DEV, "发展改革")
    async with rig.session() as session:
        old = await session.scalar(select(Campaign).where(Campaign.active.is_(True)))
        assert old is not None
        old_bindings = await session.scalar(
            select(func.count(Binding.id)).where(Binding.campaign_id == old.id)
        )
    unused_invite = await rig.invite_code("农业")  # made last year, used after the switch
    before = await counts(rig)

    content = next_year_docx()
    dry_run = await upload(rig, content, "2021年考核要点.docx")
    assert "Dry run of 2021年考核要点.docx" in dry_run.plain_text
    assert "Year: 2021" in dry_run.plain_text and "区发展和改革局" in dry_run.plain_text
    assert len(dry_run.callback_data) == 2
    yes = next(d for d in dry_run.callback_data if d.startswith("imp:y:"))
    assert await counts(rig) == (before[0], 1, before[2])  # only the pending upload

    reply = await press(rig, dry_run, yes)
    text = reply.plain_text
    assert "Campaign 2021 created and now active: 17 departments, 86 items" in text
    assert f"{17 * 8 + 77} bindings" in text
    assert "The previous campaign (2020" in text
    assert "Liaisons moved to the new campaign's departments: 1." in text
    assert "Liaisons not moved, their department is not in the new document: 1 (区发展改革局)" in (
        text
    )
    assert await counts(rig) == (before[0] + 1, 0, before[2] + 1)
    # The dry run loses its buttons: nobody creates the campaign twice by pressing again.
    await rig.api.wait_for(chat_id=ADMIN.id, method="editMessageReplyMarkup", timeout=10)
    current = rig.api.current_message(ADMIN.id, dry_run.message_id or 0)
    assert current is not None and not current.get("reply_markup")

    async with rig.session() as session:
        campaigns = (await session.scalars(select(Campaign).order_by(Campaign.id))).all()
        assert [(c.year, c.active) for c in campaigns] == [(2020, False), (2021, True)]
        assert (
            await session.scalar(
                select(func.count(Binding.id)).where(Binding.campaign_id == old.id)
            )
            == old_bindings
        )
        farm = await session.scalar(select(User).where(User.tg_id == FARM.id))
        dev = await session.scalar(select(User).where(User.tg_id == DEV.id))
        assert farm is not None and dev is not None
        farm_department = await session.get(Department, farm.department_id)
        dev_department = await session.get(Department, dev.department_id)
        assert farm_department is not None and dev_department is not None
        assert (farm_department.name, farm_department.campaign_id) == (
            "区农业农村局",
            campaigns[1].id,
        )
        assert (dev_department.name, dev_department.campaign_id) == ("区发展改革局", old.id)
        moved = await session.scalar(select(AuditLog).where(AuditLog.action == "liaisons_moved"))
        assert moved is not None and moved.detail["moved"] == 1 and moved.detail["unmoved"] == 1

    # An invite made before the switch joins the new campaign's department.
    await rig.ask(NEWCOMER, f"/join {unused_invite}")
    async with rig.session() as session:
        newcomer = await session.scalar(select(User).where(User.tg_id == NEWCOMER.id))
        assert newcomer is not None and newcomer.department_id == farm.department_id

    # The liaison works in the new campaign at once.
    items = await rig.ask(FARM, "/items")
    shown = [int(d.split(":")[1]) for d in items.callback_data if d.startswith("item:")]
    async with rig.session() as session:
        owners = set(
            await session.scalars(select(Binding.campaign_id).where(Binding.id.in_(shown)))
        )
    assert shown and owners == {campaigns[1].id}

    # Adding the department the new document lacks brings its liaison along.
    added = await rig.ask(ADMIN, "/adddept 区发展改革局")
    assert "Liaisons of 区发展改革局 in an earlier campaign now belong to it: 1." in (
        added.plain_text
    )
    async with rig.session() as session:
        dev = await session.scalar(select(User).where(User.tg_id == DEV.id))
        assert dev is not None
        dev_department = await session.get(Department, dev.department_id)
        assert dev_department is not None and dev_department.campaign_id == campaigns[1].id

    # The old campaign stays readable: /export 2020 still exports it as it was.
    since = rig.api.mark()
    rig.inject(u.command(ADMIN, "/export 2020"))
    sent = await rig.api.wait_for(chat_id=ADMIN.id, method="sendDocument", since=since, timeout=20)
    assert sent.plain_caption is not None and sent.plain_caption.startswith("2020 ")
    workbook = load_workbook(io.BytesIO(sent.files[0].content or b""))
    names = [row[0] for row in workbook["总览"].iter_rows(min_row=3, values_only=True)]
    assert "区发展改革局" in names and "区发展和改革局" not in names

    # The same document again: "already imported" at once, nothing new.
    again = await upload(rig, content, "copy.docx")
    assert "already imported" in again.plain_text and not again.callback_data
    assert await counts(rig) == (before[0] + 1, 0, before[2] + 1)


async def test_cancel_writes_nothing_and_old_buttons_die(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    before = await counts(rig)
    first = await upload(rig, next_year_docx(2022), "a.docx", caption="/import 2023")
    assert "Year: 2023" in first.plain_text  # the caption's year wins
    # A second upload replaces the first: the first one's buttons no longer work.
    second = await upload(rig, next_year_docx(2022), "b.docx")
    assert "Year: 2022" in second.plain_text
    await rig.restart()  # the pending upload is in the database, not in memory
    stale = await press(rig, first, first.callback_data[0])
    assert "no longer pending" in stale.plain_text
    cancel = next(d for d in second.callback_data if d.startswith("imp:n:"))
    reply = await press(rig, second, cancel)
    assert reply.plain_text == "Import cancelled. Nothing was saved."
    assert await counts(rig) == (before[0], 0, before[2])
    # Pressing create after cancelling does nothing either.
    yes = next(d for d in second.callback_data if d.startswith("imp:y:"))
    late = await press(rig, second, yes)
    assert "no longer pending" in late.plain_text
    assert await counts(rig) == (before[0], 0, before[2])


async def test_bad_files_get_a_clear_reply_and_write_nothing(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    before = await counts(rig)
    cases = [
        (os.urandom(3000), "要点.txt", "text/plain", "not a text document"),
        (b"%PDF-1.4\n%fake", "要点.pdf", "application/pdf", "This PDF file cannot be read"),
        (SCANNED_PDF.read_bytes(), "扫描件.pdf", "application/pdf", "has no readable text"),
        (b"PK\x03\x04", "要点.xlsx", "application/zip", "Only .docx, .pdf, .doc, .wps or .txt"),
        (b"PK\x03\x04 not really a zip", "要点.docx", DOCX, "cannot be read"),
        (b"", "empty.txt", "text/plain", "The file is empty"),
        ("没有任何考核要点的文字。\n".encode(), "note.txt", "text/plain", "No assessment items"),
    ]
    for content, name, mime, expected in cases:
        reply = await upload(rig, content, name, mime=mime)
        assert expected in reply.plain_text, (name, reply.plain_text)
        assert "Nothing was imported" in reply.plain_text
        assert not reply.callback_data
    big = await upload(rig, b"x" * 10, "big.txt", mime="text/plain", declared_size=25 << 20)
    assert "larger than 20 MB" in big.plain_text
    odd = await upload(rig, b"x", "a.txt", mime="text/plain", caption="/import next year")
    assert "/import YEAR" in odd.plain_text
    assert await counts(rig) == before


async def test_import_is_for_admins_in_private(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/lang en")
    before = await counts(rig)
    refused = await upload(rig, next_year_docx(), "x.docx", user=FARM)
    assert "not available to you" in refused.plain_text
    # A typed /import explains how; a stranger's is refused.
    await rig.ask(ADMIN, "/lang en")
    how = await rig.ask(ADMIN, "/import")
    assert "caption /import" in how.plain_text
    assert "not available to you" in (await rig.ask(FARM, "/import")).plain_text
    assert await counts(rig) == before


def test_long_summaries_are_split_at_lines() -> None:
    text = "\n".join(f"A{n}.1  指标 ≥ {n}%" for n in range(2000))
    chunks = split_text(text, limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks) and len(chunks) > 1
    assert "\n".join(chunks) == text  # nothing lost, every cut between two lines
    assert split_text("x" * 2500, limit=1000) == ["x" * 1000, "x" * 1000, "x" * 500]


async def test_a_failed_download_on_confirm_keeps_the_upload_pending(
    sqlite_rig: DubanRig,
) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    before = await counts(rig)
    dry_run = await upload(rig, next_year_docx(2024), "2024.docx")
    yes = next(d for d in dry_run.callback_data if d.startswith("imp:y:"))
    rig.api.fail_next("download", status=502)
    reply = await press(rig, dry_run, yes)
    assert reply.plain_text == (
        "Could not download the document again. Please press the button again."
    )
    assert await counts(rig) == (before[0], 1, before[2])
    reply = await press(rig, dry_run, yes)
    assert reply.plain_text.startswith("Campaign 2024 created and now active")
    assert await counts(rig) == (before[0] + 1, 0, before[2] + 1)
