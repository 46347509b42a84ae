"""The scoring sheet's round trip (admin, private): /scores sends the 评分表 (.xlsx); the
same sheet sent back as a document captioned /scores is read and previewed — every change,
and every bad cell by sheet, row and column — and saved only by the "Save" button
(`scs:y:<token>`; `scs:n:<token>` drops it). The pending upload is a draft ("scores")
holding the file id and its sha256; on save the file is downloaded again and must match,
and each change goes through the one scoring path (`acts.score_item`), all in one commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from pathlib import PurePath
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from core.reporting.evidence import MAX_DOWNLOAD_BYTES
from core.scoring import acts
from core.scoring.amounts import show
from core.scoring.sheet import (
    SHEET_NAME,
    CellError,
    Plan,
    UnreadableSheet,
    fingerprint,
    plan,
    read_sheet,
    sheet_bytes,
)
from core.scoring.usecases import ScoringRefused
from core.text.i18n import Translate
from core.text.split import split_sections
from handlers.base import Turn, use_case
from handlers.oversight.screens import rules_of, today_of
from handlers.scoring.common import actor, refusal_text, store
from storage import drafts
from storage.drafts import DraftKey

CAPTION_PATTERN = r"^/scores(@\w+)?(\s|$)"
DRAFT_NAME = "scores"
FILE_NAME = "评分表.xlsx"


class _Unusable(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def cell_error_text(error: CellError, _: Translate) -> str:
    where = _("sheet {sheet}, row {row}, column {column}").format(
        sheet=SHEET_NAME, row=error.row, column=error.column
    )
    problems = {
        "not_number": _("“{text}” is not a number of points"),
        "above_points": _("above the item's points ({text})"),
        "reason_needed": _("a score below the points needs a reason here"),
        "unknown_row": _("“{text}” is no department and item of the campaign"),
        "duplicate": _("“{text}” appears twice"),
    }
    return f"{where}: " + problems.get(error.problem, error.problem).format(text=error.text)


def unreadable_text(reason: str, _: Translate) -> str:
    if reason == "too_big":
        return _("This file is too large for a scoring sheet. Nothing was saved.")
    if reason == "no_sheet":
        return _(
            "This workbook has no sheet named 评分表: send the sheet /scores gives. "
            "Nothing was saved."
        )
    if reason == "too_many_rows":
        return _("This sheet has far more rows than the campaign has items. Nothing was saved.")
    return _("This is not a readable .xlsx workbook. Nothing was saved.")


@use_case("scores")
async def scores_command(turn: Turn) -> None:
    """/scores: the 评分表 of the active campaign, to fill in Excel."""
    _ = turn._
    port = store(turn)
    try:
        book = await acts.readable_book(port, port, actor(turn))
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    records = await port.year_records(book.campaign.id, today_of(turn), rules_of(turn))
    data = await asyncio.to_thread(
        sheet_bytes, book, records, created=turn.now, tz=turn.services.settings.tz
    )
    chat = turn.update.effective_chat
    if chat is None:
        return
    bot, chat_id = turn.context.bot, chat.id
    caption = _("Fill in 得分 and 扣分理由, then send the file back with the caption /scores.")

    async def send() -> None:
        await bot.send_document(chat_id, document=data, filename=FILE_NAME, caption=caption)

    await turn.after_commit(send)


async def _download(turn: Turn, file_id: str) -> bytes:
    _ = turn._
    too_big = _("This file is too large for a scoring sheet. Nothing was saved.")
    try:
        telegram_file = await turn.context.bot.get_file(file_id)
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise _Unusable(too_big) from exc
        raise
    if telegram_file.file_size and telegram_file.file_size > MAX_DOWNLOAD_BYTES:
        raise _Unusable(too_big)
    return bytes(await telegram_file.download_as_bytearray())


async def _read_and_plan(turn: Turn, data: bytes) -> Plan:
    port = store(turn)
    book = await acts.confirmed_book(port, port, actor(turn))
    try:
        rows = await asyncio.to_thread(read_sheet, data)
    except UnreadableSheet as exc:
        raise _Unusable(unreadable_text(exc.reason, turn._)) from exc
    return plan(book, rows)


def change_lines(found: Plan, _: Translate) -> list[str]:
    return [
        f"{c.department} {c.code}: {'—' if c.before is None else show(c.before)} → "
        f"{show(c.score)} / {show(c.points)}" + (f"（{c.reason}）" if c.reason else "")
        for c in found.changes
    ]


@use_case("scores")
async def scores_upload(turn: Turn) -> None:
    """A document captioned /scores: read it, preview the changes, offer Save."""
    _ = turn._
    message = turn.message
    if message is None:
        return
    document = message.document
    if document is None or PurePath(document.file_name or "").suffix.lower() != ".xlsx":
        await turn.reply(
            _(
                "Send the scoring sheet as an .xlsx file with the caption /scores. "
                "Nothing was saved."
            )
        )
        return
    try:
        data = await _download(turn, document.file_id)
        found = await _read_and_plan(turn, data)
    except _Unusable as exc:
        await turn.reply(exc.text)
        return
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    if found.errors:
        sections = [
            _(
                "{count} cells of {file} cannot be used. Nothing was saved; correct them "
                "and send the sheet again:"
            ).format(count=len(found.errors), file=document.file_name),
            *(cell_error_text(e, _) for e in found.errors),
        ]
        for chunk in split_sections(sections, separator="\n"):
            await turn.reply(chunk.text)
        return
    if not found.changes:
        await turn.reply(
            _("{file} changes no score. Nothing was saved.").format(file=document.file_name)
        )
        return
    token = secrets.token_urlsafe(6)
    await drafts.save(
        turn.session,
        DraftKey(DRAFT_NAME, message.chat_id, turn.actor.tg_id),
        0,
        {"token": token, "file_id": document.file_id, "sha256": fingerprint(data)},
        turn.now,
    )
    sections = [
        _(
            "Preview of {file}: {count} scores change, {unchanged} stay. "
            "Nothing is saved until you press Save."
        ).format(file=document.file_name, count=len(found.changes), unchanged=found.unchanged),
        *change_lines(found, _),
    ]
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Save"), callback_data=f"scs:y:{token}"),
                InlineKeyboardButton(_("Cancel"), callback_data=f"scs:n:{token}"),
            ]
        ]
    )
    chunks = split_sections(sections, separator="\n")
    for index, chunk in enumerate(chunks):
        await turn.reply(chunk.text, reply_markup=buttons if index == len(chunks) - 1 else None)


async def _drop_buttons(turn: Turn) -> None:
    query = turn.query
    if query is None or query.message is None:
        return

    async def drop() -> None:
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(None)

    await turn.after_commit(drop)


@use_case("scores")
async def scores_button(turn: Turn) -> None:
    """scs:y:<token> saves every previewed change in one commit; scs:n:<token> drops them."""
    _ = turn._
    query, chat = turn.query, turn.update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    _prefix, choice, token = [*turn.callback_data.split(":", 2), "", ""][:3]
    key = DraftKey(DRAFT_NAME, chat.id, turn.actor.tg_id)
    draft = await drafts.load(turn.session, key)
    data: dict[str, Any] = dict(draft.data or {}) if draft else {}
    await _drop_buttons(turn)
    if draft is None or data.get("token") != token:
        await turn.reply(_("This upload is no longer pending. Send the sheet again."))
        return
    await drafts.drop(turn.session, key)
    if choice != "y":
        await turn.reply(_("Nothing was saved."))
        return
    try:
        content = await _download(turn, str(data.get("file_id", "")))
        if fingerprint(content) != data.get("sha256"):
            raise _Unusable(
                _("The file changed since the preview. Nothing was saved; send it again.")
            )
        found = await _read_and_plan(turn, content)
        if found.errors:
            raise _Unusable(
                _("The sheet no longer fits the campaign. Nothing was saved; send it again.")
            )
        port, who = store(turn), actor(turn)
        book = await acts.confirmed_book(port, port, who)
        departments = {d.id: d for d in book.departments}
        for change in found.changes:
            await acts.score_item(
                port,
                port,
                who,
                department=departments[change.department_id],
                code=change.code,
                score=change.score,
                reason=change.reason,
            )
    except (_Unusable, ScoringRefused) as exc:
        # Nothing of this upload may stay: drop what was staged, keep the draft's end.
        await turn.session.rollback()
        await drafts.drop(turn.session, key)
        text = exc.text if isinstance(exc, _Unusable) else refusal_text(exc, _, turn)
        await turn.reply(text)
        return
    await turn.reply_after_commit(
        _("Recorded: {count} scores from the sheet.").format(count=len(found.changes))
    )
