"""/import by document upload (admin, private chat).

/import: a .docx, .pdf, .doc, .wps or .txt sent with the caption `/import [YEAR]` is
downloaded and parsed (.doc / .wps converted by LibreOffice, SOFFICE_PATH); the dry-run
summary comes back with "create campaign" / "cancel" buttons. Nothing is saved but the
pending upload, a draft in the draft store (`storage.drafts`, name "import") holding the
file id, file name, year, the parse's fingerprint and a one-time token. On confirm the
file is downloaded and parsed again and must give the same fingerprint. Keeping the file
id rather than the parsed JSON keeps one code path from bytes to campaign (the importer's
types have no JSON reader, and a JSON copy could drift from what the parser does), keeps
the draft small, and Telegram file ids do not expire; the fingerprint check catches a
parser changed by an upgrade between upload and confirm.

Callback data: `imp:y:<token>` create, `imp:n:<token>` cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import secrets
import unicodedata
from pathlib import PurePath
from typing import Any

from telegram import Document, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from core.assessment.importer import (
    IMPORT_SUFFIXES,
    REASON_BINARY,
    REASON_EMPTY,
    REASON_NEEDS_DOCX,
    REASON_NO_ITEMS,
    REASON_PDF_NO_TEXT,
    REASON_UNREADABLE_DOC,
    REASON_UNREADABLE_DOCX,
    REASON_UNREADABLE_PDF,
    DocumentError,
    ParsedDocument,
    StructureError,
    format_refusal,
    format_summary,
    load_document,
)
from core.assessment.switch import Switched, already_imported, import_as_active
from core.reporting.evidence import MAX_DOWNLOAD_BYTES
from core.text.i18n import Translate
from handlers.base import Turn, use_case
from storage import drafts
from storage.db import DuplicateRow
from storage.drafts import DraftKey
from storage.models import Campaign

DRAFT_NAME = drafts.IMPORT
DRAFT_TTL = dt.timedelta(days=1)
IMPORT_TYPES = IMPORT_SUFFIXES
MESSAGE_LIMIT = 4000  # under Telegram's 4096
CAPTION_PATTERN = r"^/import(@\w+)?(\s|$)"
_CAPTION = re.compile(r"^/import(?:@\w+)?\s*(.*)$", re.DOTALL)


class _Unusable(Exception):
    """The upload cannot be imported; `text` is the reply."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def document_error_text(reason: str, _: Translate) -> str:
    texts = {
        REASON_EMPTY: _("The file is empty. Nothing was imported."),
        REASON_BINARY: _(
            "This file is not a text document; send the assessment document as .docx or "
            ".txt. Nothing was imported."
        ),
        REASON_NO_ITEMS: _(
            "No assessment items were found in this document. Nothing was imported."
        ),
        REASON_UNREADABLE_DOCX: _(
            "This Word file cannot be read (damaged, or not really .docx). Nothing was imported."
        ),
        REASON_PDF_NO_TEXT: _(
            "This PDF has no readable text (a scan, or its text cannot be extracted); send "
            "the document as .docx. Nothing was imported."
        ),
        REASON_UNREADABLE_PDF: _(
            "This PDF file cannot be read (damaged, or not really a PDF). Nothing was imported."
        ),
        REASON_NEEDS_DOCX: _(
            "This .doc/.wps file cannot be read here: open it in WPS or Word, choose Save As, "
            "pick the .docx format and send that file. Nothing was imported."
        ),
        REASON_UNREADABLE_DOC: _(
            "This .doc/.wps file could not be converted (damaged?); save it as .docx and send "
            "that file. Nothing was imported."
        ),
    }
    return texts.get(
        reason,
        _("Only .docx, .pdf, .doc, .wps or .txt documents can be imported. Nothing was imported."),
    )


def caption_year(caption: str | None, _: Translate) -> int | None:
    """The YEAR of `/import YEAR`, None without one; _Unusable for anything else."""
    match = _CAPTION.match((caption or "").strip())
    rest = unicodedata.normalize("NFKC", match.group(1)).strip() if match else ""
    if not rest:
        return None
    if re.fullmatch(r"[0-9]{4}", rest) and 2000 <= int(rest) <= 2100:
        return int(rest)
    raise _Unusable(
        _("Send the document with the caption /import, or /import YEAR (e.g. /import 2021).")
    )


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Messages of at most `limit` characters, cut at blank lines, then at lines."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip() or not chunks:
        chunks.append(current)
    return chunks


async def _download(turn: Turn, file_id: str) -> bytes:
    _ = turn._
    too_big = _("This file is larger than 20 MB, which bots cannot download. Nothing was imported.")
    try:
        telegram_file = await turn.context.bot.get_file(file_id)
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise _Unusable(too_big) from exc
        raise
    if telegram_file.file_size and telegram_file.file_size > MAX_DOWNLOAD_BYTES:
        raise _Unusable(too_big)
    return bytes(await telegram_file.download_as_bytearray())


def _check_document(document: Document, _: Translate) -> str:
    name = document.file_name or ""
    if PurePath(name).suffix.lower() not in IMPORT_TYPES:
        raise _Unusable(
            _(
                "Only .docx, .pdf, .doc, .wps or .txt documents can be imported. Nothing was "
                "imported."
            )
        )
    if document.file_size and document.file_size > MAX_DOWNLOAD_BYTES:
        raise _Unusable(
            _("This file is larger than 20 MB, which bots cannot download. Nothing was imported.")
        )
    return name


async def _parse(turn: Turn, data: bytes, name: str, year: int | None) -> ParsedDocument:
    try:
        return await asyncio.to_thread(
            load_document, data, name, year=year, soffice=turn.services.settings.soffice_path
        )
    except StructureError as exc:
        # Headings that cannot be read: the problems first, no buttons, nothing saved.
        raise _Unusable(format_refusal(exc.document, turn._)) from exc
    except DocumentError as exc:
        raise _Unusable(document_error_text(exc.reason_code, turn._)) from exc


def campaign_label(campaign: Campaign) -> str:
    return f"{campaign.year or '?'} {campaign.title}".strip()


# ---------------------------------------------------------------- upload and dry run


@use_case("import")
async def import_command(turn: Turn) -> None:
    """/import typed as a command: the document must come with it."""
    await turn.reply(
        turn._(
            "Send the assessment document (.docx, .pdf, .doc, .wps or .txt) as a file with the "
            "caption /import "
            "(or /import YEAR). You will see what was found before anything is saved."
        )
    )


@use_case("import")
async def import_upload(turn: Turn) -> None:
    """A document captioned /import: parse it and show the dry run with two buttons."""
    _ = turn._
    message = turn.message
    if message is None:
        return
    if message.document is None:
        await turn.reply(
            _(
                "Only .docx, .pdf, .doc, .wps or .txt documents can be imported. Nothing was "
                "imported."
            )
        )
        return
    try:
        year = caption_year(message.caption, _)
        name = _check_document(message.document, _)
        data = await _download(turn, message.document.file_id)
        doc = await _parse(turn, data, name, year)
    except _Unusable as exc:
        await turn.reply(exc.text)
        return

    existing = await already_imported(turn.session, doc)
    if existing is not None:
        await turn.reply(
            _("This document was already imported as the campaign {campaign}. Nothing new.").format(
                campaign=campaign_label(existing)
            )
        )
        return

    token = secrets.token_urlsafe(6)
    # One pending import per admin: a new upload replaces the last (its buttons die).
    await drafts.save(
        turn.session,
        DraftKey(DRAFT_NAME, message.chat_id, turn.actor.tg_id),
        0,
        {
            "token": token,
            "file_id": message.document.file_id,
            "file_name": name,
            "year": year,
            "fingerprint": doc.fingerprint(),
        },
        turn.now,
    )

    head = _("Dry run of {file}: nothing is saved until you press “Create campaign”.").format(
        file=name
    )
    chunks = split_text(f"{head}\n\n{format_summary(doc, _)}")
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Create campaign"), callback_data=f"imp:y:{token}"),
                InlineKeyboardButton(_("Cancel"), callback_data=f"imp:n:{token}"),
            ]
        ]
    )
    for position, chunk in enumerate(chunks):
        last = position == len(chunks) - 1
        await turn.reply(chunk, reply_markup=buttons if last else None)


# ---------------------------------------------------------------- confirm or cancel


async def _drop_buttons(turn: Turn) -> None:
    """Take the buttons off the dry run, after the commit (with the replies, in order)."""
    query = turn.query
    if query is None or query.message is None:
        return

    async def drop() -> None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)

    await turn.after_commit(drop)


@use_case("import")
async def import_button(turn: Turn) -> None:
    """imp:y:<token> creates the campaign; imp:n:<token> drops the pending upload."""
    _ = turn._
    query, chat = turn.query, turn.update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    _prefix, choice, token = [*turn.callback_data.split(":", 2), "", ""][:3]
    key = DraftKey(DRAFT_NAME, chat.id, turn.actor.tg_id)
    draft = await drafts.load(turn.session, key)
    data: dict[str, Any] = dict(draft.data or {}) if draft else {}
    if draft is None or data.get("token") != token:
        await turn.reply(_("This import is no longer pending. Send the document again."))
        await _drop_buttons(turn)
        return
    if choice == "n" or drafts.expired(draft, turn.now, DRAFT_TTL):
        await drafts.drop(turn.session, key)
        if choice == "n":
            await turn.reply(_("Import cancelled. Nothing was saved."))
        else:
            await turn.reply(_("This import waited too long. Send the document again."))
        await _drop_buttons(turn)
        return

    name = str(data.get("file_name") or "document.txt")
    try:
        content = await _download(turn, str(data["file_id"]))
        doc = await _parse(turn, content, name, data.get("year"))
    except BadRequest:  # Telegram no longer knows the file
        await drafts.drop(turn.session, key)
        await turn.reply(_("This import is no longer pending. Send the document again."))
        await _drop_buttons(turn)
        return
    except TelegramError:  # network trouble: the upload stays pending, the button works
        await turn.reply(_("Could not download the document again. Please press the button again."))
        return
    except _Unusable as exc:
        await drafts.drop(turn.session, key)
        await turn.reply(exc.text)
        await _drop_buttons(turn)
        return
    if doc.fingerprint() != data.get("fingerprint"):
        await drafts.drop(turn.session, key)
        await turn.reply(
            _("The document now reads differently. Send it again to see a new dry run.")
        )
        await _drop_buttons(turn)
        return

    # Dropping the draft is committed with the campaign: one commit, all or nothing.
    await drafts.drop(turn.session, key)
    try:
        switched = await import_as_active(
            turn.session, doc, source_name=name, actor_tg_id=turn.actor.tg_id
        )
    except DuplicateRow:  # another process imported the same document a moment ago
        # The failed flush spoiled the transaction: start again, dropping only the draft.
        await turn.session.rollback()
        switched = None
        await drafts.drop(turn.session, key)
    if switched is None or not switched.created:
        await turn.reply(_("This document was already imported. Nothing new was created."))
        await _drop_buttons(turn)
        return
    await turn.reply(confirmation_text(switched, doc, _))
    await _drop_buttons(turn)


def confirmation_text(switched: Switched, doc: ParsedDocument, _: Translate) -> str:
    outcome, moved = switched.outcome, switched.moved
    lines = [
        _(
            "Campaign {year} created and now active: {departments} departments, {items} "
            "items, {bindings} bindings."
        ).format(
            year=doc.year or "?",
            departments=outcome.departments,
            items=outcome.items,
            bindings=outcome.bindings,
        )
    ]
    if switched.previous is not None:
        lines.append(
            _(
                "The previous campaign ({campaign}) is kept unchanged and can still be exported."
            ).format(campaign=campaign_label(switched.previous))
        )
    lines.append(
        _("Liaisons moved to the new campaign's departments: {count}.").format(count=moved.moved)
    )
    if moved.unmoved:
        lines.append(
            _(
                "Liaisons not moved, their department is not in the new document: {count} "
                "({departments}). Add such a department with /adddept NAME [B] and its "
                "liaisons follow."
            ).format(count=moved.unmoved, departments="、".join(moved.unmoved_departments))
        )
    return "\n".join(lines)
