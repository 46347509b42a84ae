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

The upload and the confirming button are answered at once; the download and the parse
run in the background (`Application.create_task`, as /export does), so the intake goes on
with other chats meanwhile, and end in a use case of their own (`job_use_case`) whose
replies go through the outbox after its commit. Every parse runs in a child process of
its own with memory, CPU, wall-time, page and zip limits (`runtime.isolation`); a limit
hit is a committed one-line refusal, never an exception the inbox would retry. Should the
process die mid-parse, the admin sends the document again (nothing was saved).

Callback data: `imp:y:<token>` create, `imp:n:<token>` cancel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import secrets
import unicodedata
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from telegram import Bot, Document, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

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
)
from core.assessment.interfaces import CampaignRef
from core.assessment.sql import SqlAssessment
from core.assessment.switch import Switched, already_imported, import_as_active
from core.reporting.evidence import MAX_DOWNLOAD_BYTES
from core.text.i18n import Translate, translator
from handlers.base import Step, Turn, job_use_case, services, use_case
from runtime.config import Settings
from runtime.intake.background import background
from runtime.isolation import LIMIT_MEMORY, LIMIT_PAGES, LIMIT_TIME, LIMIT_ZIP, Limits
from runtime.isolation.runner import parse_isolated
from runtime.services import Services
from storage import drafts
from storage.db import DuplicateRow
from storage.drafts import DraftKey

log = logging.getLogger(__name__)
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
        LIMIT_MEMORY: _(
            "This document needs more memory to read than an assessment document should; "
            "save it again as a plain .docx (without embedded pictures) and send that. "
            "Nothing was imported."
        ),
        LIMIT_TIME: _(
            "Reading this document took too long; save it again as a plain .docx and send "
            "that. Nothing was imported."
        ),
        LIMIT_PAGES: _(
            "This PDF has more pages than an assessment document; send only the assessment "
            "document, preferably as .docx. Nothing was imported."
        ),
        LIMIT_ZIP: _(
            "This Word file unpacks to far more than a document holds (too large or too many "
            "parts); save it again in Word or WPS as .docx and send that. Nothing was imported."
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


async def _download(bot: Bot, file_id: str, _: Translate) -> bytes:
    too_big = _("This file is larger than 20 MB, which bots cannot download. Nothing was imported.")
    try:
        telegram_file = await bot.get_file(file_id)
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


def parse_limits(settings: Settings) -> Limits:
    """The child's limits for one import parse (IMPORT_* settings)."""
    return Limits(
        memory_mb=settings.import_memory_mb,
        cpu_seconds=settings.import_cpu_seconds,
        wall_seconds=settings.import_wall_seconds,
        max_pdf_pages=settings.import_max_pdf_pages,
        max_docx_total_mb=settings.import_docx_max_mb,
        max_docx_entries=settings.import_docx_max_entries,
    )


async def _parse(
    svc: Services, data: bytes, name: str, year: int | None, _: Translate
) -> ParsedDocument:
    """The upload parsed in a child process of its own (runtime.isolation), within limits."""
    settings = svc.settings
    try:
        return await parse_isolated(
            data, name, year=year, soffice=settings.soffice_path, limits=parse_limits(settings)
        )
    except StructureError as exc:
        # Headings that cannot be read: the problems first, no buttons, nothing saved.
        raise _Unusable(format_refusal(exc.document, _)) from exc
    except DocumentError as exc:
        raise _Unusable(document_error_text(exc.reason_code, _)) from exc


def campaign_label(campaign: CampaignRef) -> str:
    return f"{campaign.year or '?'} {campaign.title}".strip()


@dataclass(frozen=True)
class _Upload:
    """What the background work needs of the update that started it (no Telegram objects
    beyond the bot: the update's own handling has long finished)."""

    chat_id: int
    user_id: int
    file_id: str
    file_name: str
    year: int | None
    locale: str
    token: str = ""
    dry_run_message_id: int | None = None


def _start_in_background(turn: Turn, work: Coroutine[Any, Any, None], name: str) -> Step:
    """An after-commit step that starts `work` as the process's background work
    (runtime.intake.background): never awaited at shutdown, which interrupts it; the
    admin then sends the document again."""
    bot_data = turn.context.application.bot_data

    async def start() -> None:
        background(bot_data).start(work, name=name)

    return start


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
    """A document captioned /import: answered at once; the download and the parse run in
    the background (no chat waits behind them) and the dry run follows with two buttons."""
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
    except _Unusable as exc:
        await turn.reply(exc.text)
        return
    upload = _Upload(
        chat_id=message.chat_id,
        user_id=turn.actor.tg_id,
        file_id=message.document.file_id,
        file_name=name,
        year=year,
        locale=turn.actor.locale,
    )
    await turn.reply(_("Reading {file}… the dry run follows shortly.").format(file=name))
    work = dry_run_in_background(turn.context, upload)
    await turn.after_commit(_start_in_background(turn, work, f"import-{upload.chat_id}"))


async def dry_run_in_background(context: ContextTypes.DEFAULT_TYPE, upload: _Upload) -> None:
    """Download and parse (in a child), then one use case: the pending draft and the dry
    run, or the one-line refusal, committed to the outbox."""
    svc = services(context)
    _ = translator(upload.locale)
    refusal: str | None = None
    doc: ParsedDocument | None = None
    try:
        data = await _download(context.bot, upload.file_id, _)
        doc = await _parse(svc, data, upload.file_name, upload.year, _)
    except _Unusable as exc:
        refusal = exc.text
    except TelegramError:
        log.warning("import upload: download failed", exc_info=True)
        refusal = _("Could not download the document. Please send it again.")

    async def record(turn: Turn) -> None:
        if refusal is not None or doc is None:
            await turn.reply_after_commit(refusal or "", chat_id=upload.chat_id)
            return
        await _dry_run(turn, upload, doc)

    await job_use_case(context, upload.user_id, record)


async def _dry_run(turn: Turn, upload: _Upload, doc: ParsedDocument) -> None:
    _ = turn._
    existing = await already_imported(SqlAssessment(turn.session), doc)
    if existing is not None:
        await turn.reply_after_commit(
            _("This document was already imported as the campaign {campaign}. Nothing new.").format(
                campaign=campaign_label(existing)
            ),
            chat_id=upload.chat_id,
        )
        return

    token = secrets.token_urlsafe(6)
    # One pending import per admin: a new upload replaces the last (its buttons die).
    await drafts.save(
        turn.session,
        DraftKey(DRAFT_NAME, upload.chat_id, upload.user_id),
        0,
        {
            "token": token,
            "file_id": upload.file_id,
            "file_name": upload.file_name,
            "year": upload.year,
            "fingerprint": doc.fingerprint(),
        },
        turn.now,
    )

    head = _("Dry run of {file}: nothing is saved until you press “Create campaign”.").format(
        file=upload.file_name
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
        await turn.reply_after_commit(
            chunk, chat_id=upload.chat_id, reply_markup=buttons if last else None
        )


# ---------------------------------------------------------------- confirm or cancel


async def _drop_buttons(turn: Turn, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off the dry run, after the commit (with the replies, in order)."""
    if message_id is None:
        return
    bot = turn.context.bot

    async def drop() -> None:
        with contextlib.suppress(BadRequest):
            await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)

    await turn.after_commit(drop)


def _button_message_id(turn: Turn) -> int | None:
    query = turn.query
    return query.message.message_id if query is not None and query.message else None


@use_case("import")
async def import_button(turn: Turn) -> None:
    """imp:y:<token> creates the campaign (download and parse again in the background);
    imp:n:<token> drops the pending upload."""
    _ = turn._
    query, chat = turn.query, turn.update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    message_id = _button_message_id(turn)
    _prefix, choice, token = [*turn.callback_data.split(":", 2), "", ""][:3]
    key = DraftKey(DRAFT_NAME, chat.id, turn.actor.tg_id)
    draft = await drafts.load(turn.session, key)
    data: dict[str, Any] = dict(draft.data or {}) if draft else {}
    if draft is None or data.get("token") != token:
        await turn.reply(_("This import is no longer pending. Send the document again."))
        await _drop_buttons(turn, chat.id, message_id)
        return
    if choice == "n" or drafts.expired(draft, turn.now, DRAFT_TTL):
        await drafts.drop(turn.session, key)
        if choice == "n":
            await turn.reply(_("Import cancelled. Nothing was saved."))
        else:
            await turn.reply(_("This import waited too long. Send the document again."))
        await _drop_buttons(turn, chat.id, message_id)
        return
    if data.get("creating"):
        await turn.reply(_("The campaign is being created; please wait for the result."))
        return
    # Marked, so a second press does not start a second parse.
    await drafts.save(turn.session, key, draft.state, {**data, "creating": True}, draft.updated_at)
    upload = _Upload(
        chat_id=chat.id,
        user_id=turn.actor.tg_id,
        file_id=str(data.get("file_id") or ""),
        file_name=str(data.get("file_name") or "document.txt"),
        year=data.get("year"),
        locale=turn.actor.locale,
        token=token,
        dry_run_message_id=message_id,
    )
    await turn.reply(_("Creating the campaign…"))
    work = create_in_background(turn.context, upload)
    await turn.after_commit(_start_in_background(turn, work, f"import-create-{chat.id}"))


async def create_in_background(context: ContextTypes.DEFAULT_TYPE, upload: _Upload) -> None:
    """Download and parse again (in a child); then one use case creates the campaign if
    the document still reads the same, or says why not."""
    svc = services(context)
    _ = translator(upload.locale)
    doc: ParsedDocument | None = None
    refusal: str | None = None
    keep_pending = False
    try:
        content = await _download(context.bot, upload.file_id, _)
        doc = await _parse(svc, content, upload.file_name, upload.year, _)
    except BadRequest:  # Telegram no longer knows the file
        refusal = _("This import is no longer pending. Send the document again.")
    except TelegramError:  # network trouble: the upload stays pending, the button works
        refusal = _("Could not download the document again. Please press the button again.")
        keep_pending = True
    except _Unusable as exc:
        refusal = exc.text

    async def record(turn: Turn) -> None:
        await _create(turn, upload, doc, refusal, keep_pending=keep_pending)

    await job_use_case(context, upload.user_id, record)


async def _create(
    turn: Turn,
    upload: _Upload,
    doc: ParsedDocument | None,
    refusal: str | None,
    *,
    keep_pending: bool,
) -> None:
    _ = turn._
    chat_id = upload.chat_id
    key = DraftKey(DRAFT_NAME, chat_id, upload.user_id)
    draft = await drafts.load(turn.session, key)
    data: dict[str, Any] = dict(draft.data or {}) if draft else {}
    if draft is None or data.get("token") != upload.token:
        # Replaced by a newer upload meanwhile: that one's buttons decide.
        await turn.reply_after_commit(
            _("This import is no longer pending. Send the document again."), chat_id=chat_id
        )
        await _drop_buttons(turn, chat_id, upload.dry_run_message_id)
        return
    if refusal is not None or doc is None:
        if keep_pending:
            data.pop("creating", None)
            await drafts.save(turn.session, key, draft.state, data, draft.updated_at)
        else:
            await drafts.drop(turn.session, key)
            await _drop_buttons(turn, chat_id, upload.dry_run_message_id)
        await turn.reply_after_commit(refusal or "", chat_id=chat_id)
        return
    if doc.fingerprint() != data.get("fingerprint"):
        await drafts.drop(turn.session, key)
        await turn.reply_after_commit(
            _("The document now reads differently. Send it again to see a new dry run."),
            chat_id=chat_id,
        )
        await _drop_buttons(turn, chat_id, upload.dry_run_message_id)
        return

    # Dropping the draft is committed with the campaign: one commit, all or nothing.
    await drafts.drop(turn.session, key)
    try:
        switched = await import_as_active(
            SqlAssessment(turn.session),
            doc,
            source_name=upload.file_name,
            actor_tg_id=upload.user_id,
            now=turn.now,
        )
    except DuplicateRow:  # another process imported the same document a moment ago
        # The failed flush spoiled the transaction: start again, dropping only the draft.
        await turn.session.rollback()
        switched = None
        await drafts.drop(turn.session, key)
    if switched is None or not switched.created:
        await turn.reply_after_commit(
            _("This document was already imported. Nothing new was created."), chat_id=chat_id
        )
        await _drop_buttons(turn, chat_id, upload.dry_run_message_id)
        return
    await turn.reply_after_commit(confirmation_text(switched, doc, _), chat_id=chat_id)
    await _drop_buttons(turn, chat_id, upload.dry_run_message_id)


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
