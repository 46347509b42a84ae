"""/report: the conversation in which a liaison reports progress on one item.

    CHOOSING_ITEM -> CHOOSING_STATUS -> TYPING_VALUE (once per target) -> TYPING_TEXT
    -> ADDING_EVIDENCE -> /done saves everything in one transaction, then says so.

Each step's answers live in the draft store (`storage.drafts`, written in the step's own
commit), so a restart of the bot resumes where the liaison was. `/cancel` drops the draft
at any step; CONVERSATION_TIMEOUT_MINUTES of silence ends it with the shared timeout
reply (`handlers.conversation`).

Callback data: `rp:i:<binding>` choose item, `rp:p:<page>` item page, `rp:s:<status>`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import warnings
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from core.reporting import reports
from core.reporting.evidence import EvidenceRejected, EvidenceStore
from core.reporting.reports import NewEvidence, Recorded, ReportRefused
from core.reporting.values import parse_value
from core.text import i18n
from core.text.formatting import (
    STATUS_LABELS,
    shorten,
    status_label,
    target_text,
    value_against_target,
)
from core.text.i18n import Translate
from core.text.matching import code_from_args, normalize_code
from handlers.base import Turn, bookkeeping_after_send, use_case
from handlers.conversation import draft_key, expire_if_due, on_timeout
from handlers.reporting.files import check_daily_cap, fetch_evidence, rejection_text
from handlers.reporting.ports import reporting
from runtime.sending import send_reliably
from storage import drafts
from storage.db import AsyncSession
from storage.models import STATUSES, ConversationDraft

NAME = drafts.REPORT  # the draft store's name and the ConversationHandler's
ITEM_PAGE = 8  # buttons per page when there are more than CHOOSER_ONE_PAGE_MAX items
CHOOSER_ONE_PAGE_MAX = 20


class Step(IntEnum):
    CHOOSING_ITEM = 0
    CHOOSING_STATUS = 1
    TYPING_VALUE = 2
    TYPING_TEXT = 3
    ADDING_EVIDENCE = 4


END = ConversationHandler.END


# ---------------------------------------------------------------- drafts


def restart_hint(_: Translate) -> str:
    return _("Nothing was saved. Start again with /report.")


async def load_draft(turn: Turn) -> ConversationDraft | None:
    key = draft_key(turn, NAME)
    return await drafts.load(turn.session, key) if key is not None else None


async def save_draft(turn: Turn, state: Step, data: dict[str, Any]) -> Step:
    """Stage the answers so far and the next step (committed with the use case)."""
    key = draft_key(turn, NAME)
    if key is not None:
        await drafts.save(turn.session, key, int(state), data, turn.now)
    return state


async def drop_draft(turn: Turn) -> None:
    key = draft_key(turn, NAME)
    if key is not None:
        await drafts.drop(turn.session, key)


async def current_draft(turn: Turn) -> dict[str, Any] | None:
    """The draft's data, or None after telling the user the conversation is gone.

    After a restart no timeout job is running, so expiry is also checked here.
    """
    draft = await load_draft(turn)
    if draft is None:
        await turn.reply(turn._("That report is no longer open. Start again with /report."))
        return None
    if await expire_if_due(turn, draft, restart_hint):
        return None
    return dict(draft.data or {})


# ---------------------------------------------------------------- asking


def item_keyboard(views: list[reports.ItemView], page: int, turn: Turn) -> InlineKeyboardMarkup:
    """One button per item in `liaison_order`; all of them when they fit one keyboard."""
    size = len(views) if len(views) <= CHOOSER_ONE_PAGE_MAX else ITEM_PAGE
    pages = max(1, math.ceil(len(views) / max(1, size)))
    page = min(max(page, 0), pages - 1)
    chunk = views[page * size : (page + 1) * size]
    rows = [
        [
            InlineKeyboardButton(
                shorten(f"{v.code} {v.title}", 30), callback_data=f"rp:i:{v.binding_id}"
            )
        ]
        for v in chunk
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"rp:p:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=f"rp:p:{page + 1}"))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def chooser_groups(views: list[reports.ItemView], _: Translate) -> list[str]:
    """`Your department's items: A5.1, A5.2` / `General items: G1, …`: the buttons' groups."""
    lines = []
    for general, heading in ((False, _("Your department's items")), (True, _("General items"))):
        codes = [v.code for v in views if v.general is general]
        if codes:
            lines.append(_("{heading}: {codes}").format(heading=heading, codes=_(", ").join(codes)))
    return lines


async def ask_status(turn: Turn, view: reports.ItemView) -> None:
    _ = turn._
    buttons = [
        [
            InlineKeyboardButton(_(STATUS_LABELS[s]), callback_data=f"rp:s:{s}")
            for s in STATUSES[:2]
        ],
        [
            InlineKeyboardButton(_(STATUS_LABELS[s]), callback_data=f"rp:s:{s}")
            for s in STATUSES[2:]
        ],
    ]
    text = (
        f"<b>{html.escape(view.code)}</b> {html.escape(shorten(view.text, 300))}\n\n"
        + html.escape(_("What is the status now?"))
    )
    await turn.reply(text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(buttons))


def ask_value_text(target: dict[str, Any], turn: Turn) -> str:
    from decimal import Decimal

    goal = target_text(target["metric"], target["op"], Decimal(target["value"]), target["unit"])
    return turn._(
        "Target: {target}\nWhat value has been reached? Send a number, e.g. 92 or 92%, or /skip."
    ).format(target=goal)


def ask_text(turn: Turn) -> str:
    return turn._("In a few words, what was done? (or /skip)")


def ask_files(turn: Turn, data: dict[str, Any]) -> str:
    _ = turn._
    if data.get("evidence_required"):
        return _(
            "This item needs evidence: send photos or documents (PDF, Word, Excel), "
            "then /done to save."
        )
    return _("You may send photos or documents as evidence. Send /done to save, /cancel to drop.")


async def start_item(turn: Turn, view: reports.ItemView) -> Step:
    """Store the chosen item and its targets; ask for the status."""
    data = {
        "binding_id": view.binding_id,
        "code": view.code,
        "targets": [
            {"id": t.id, "metric": t.metric, "op": t.op, "value": str(t.value), "unit": t.unit}
            for t in view.targets
        ],
        "values": {},
        "evidence_required": view.evidence_required,
        "files": [],
    }
    await save_draft(turn, Step.CHOOSING_STATUS, data)
    await ask_status(turn, view)
    return Step.CHOOSING_STATUS


# ---------------------------------------------------------------- entry points


@use_case("report")
async def report_command(turn: Turn) -> int:
    """/report [CODE]: stores nothing yet; asks for the item (or, with a code, the status)."""
    _ = turn._
    department_id = turn.actor.department_id
    if department_id is None:  # a liaison always has one; nothing to report on otherwise
        return END
    if turn.args:
        code, _rest = code_from_args(turn.args)
        view = await reporting(turn).own_item(department_id, code) if code else None
        if view is None:
            await turn.reply(
                _("{code} is not one of your department's items. /items lists them.").format(
                    code=shorten(turn.args[0], 20)
                )
            )
            return END
        return await start_item(turn, view)
    views = await reporting(turn).department_items(department_id)
    if not views:
        await turn.reply(_("Your department has no items in the active campaign."))
        return END
    await save_draft(turn, Step.CHOOSING_ITEM, {"page": 0})
    await turn.reply(
        "\n".join(
            [
                _("Which item do you report on? Choose below or type its code."),
                *chooser_groups(views, _),
            ]
        ),
        reply_markup=item_keyboard(views, 0, turn),
    )
    return Step.CHOOSING_ITEM


@use_case("report")
async def report_button(turn: Turn) -> int:
    """The "Report" button of an item card: like /report CODE."""
    query = turn.query
    if query is not None:
        await query.answer()
    view = await own_binding(turn, turn.callback_int(1))
    if view is None:
        await turn.reply(turn._("This item is not available to you."))
        return END
    return await start_item(turn, view)


async def own_binding(turn: Turn, binding_id: int | None) -> reports.ItemView | None:
    """The binding `binding_id` if it is one of this liaison's department's."""
    department_id = turn.actor.department_id
    if binding_id is None or department_id is None:
        return None
    return await reports.binding_view(turn.session, binding_id, department_id=department_id)


# ---------------------------------------------------------------- CHOOSING_ITEM


@use_case("report")
async def item_chosen(turn: Turn) -> int:
    """A button or a typed code picks the item; stores it and asks for the status."""
    _ = turn._
    department_id = turn.actor.department_id
    if department_id is None or await current_draft(turn) is None:
        return END
    query = turn.query
    if query is not None:
        await query.answer()
        view = await own_binding(turn, turn.callback_int(2))
    else:
        text = turn.message.text if turn.message else ""
        code = normalize_code(text or "")
        view = await reporting(turn).own_item(department_id, code) if code else None
    if view is None:
        await turn.reply(
            _(
                "That is not one of your department's items. "
                "Choose a button or type a code like A5.1."
            )
        )
        return Step.CHOOSING_ITEM
    return await start_item(turn, view)


@use_case("report")
async def item_page(turn: Turn) -> int:
    """Paging the item buttons; stores the page; keeps asking for the item."""
    query = turn.query
    department_id = turn.actor.department_id
    if query is None or department_id is None:
        return Step.CHOOSING_ITEM
    await query.answer()
    data = await current_draft(turn)
    if data is None:
        return END
    page = turn.callback_int(2) or 0
    views = await reporting(turn).department_items(department_id)
    data["page"] = page
    await save_draft(turn, Step.CHOOSING_ITEM, data)
    markup = item_keyboard(views, page, turn)
    await turn.after_commit(lambda: query.edit_message_reply_markup(markup))
    return Step.CHOOSING_ITEM


# ---------------------------------------------------------------- CHOOSING_STATUS


def _typed_status(text: str, turn: Turn) -> str | None:
    from core.reporting.quick import STATUS_WORDS

    cleaned = text.strip().lower()
    for status in STATUSES:
        if cleaned in (status, turn._(STATUS_LABELS[status]).lower()):
            return status
    return next((value for word, value in STATUS_WORDS if word == cleaned), None)


@use_case("report")
async def status_chosen(turn: Turn) -> int:
    """Stores the status; asks for the first target's value, or for the text."""
    data = await current_draft(turn)
    if data is None:
        return END
    query = turn.update.callback_query
    if query is not None:
        await query.answer()
        status = turn.callback_data.split(":")[-1]
    else:
        status = _typed_status(turn.message.text or "", turn) or "" if turn.message else ""
    if status not in STATUSES:
        await turn.reply(turn._("Please choose one of the buttons."))
        return Step.CHOOSING_STATUS
    data["status"] = status
    data["target_index"] = 0
    if data["targets"]:
        await save_draft(turn, Step.TYPING_VALUE, data)
        await turn.reply(ask_value_text(data["targets"][0], turn))
        return Step.TYPING_VALUE
    await save_draft(turn, Step.TYPING_TEXT, data)
    await turn.reply(ask_text(turn))
    return Step.TYPING_TEXT


# ---------------------------------------------------------------- TYPING_VALUE


@use_case("report")
async def value_typed(turn: Turn) -> int:
    """Stores a valid value for the current target (or skips it); asks for the next one or the
    text."""
    data = await current_draft(turn)
    if data is None:
        return END
    text = turn.message.text if turn.message and turn.message.text else ""
    index = int(data.get("target_index", 0))
    target = data["targets"][index]
    if text.strip() != "/skip":
        value = parse_value(text)
        if value is None:
            await turn.reply(
                turn._(
                    "“{text}” is not a number. Please send a value like 92, 92% or 92.5, or /skip."
                ).format(text=shorten(text, 30))
            )
            return Step.TYPING_VALUE
        data["values"][str(target["id"])] = str(value)
    index += 1
    data["target_index"] = index
    if index < len(data["targets"]):
        await save_draft(turn, Step.TYPING_VALUE, data)
        await turn.reply(ask_value_text(data["targets"][index], turn))
        return Step.TYPING_VALUE
    await save_draft(turn, Step.TYPING_TEXT, data)
    await turn.reply(ask_text(turn))
    return Step.TYPING_TEXT


# ---------------------------------------------------------------- TYPING_TEXT


@use_case("report")
async def text_typed(turn: Turn) -> int:
    """Stores the report's text; asks for evidence."""
    data = await current_draft(turn)
    if data is None:
        return END
    text = turn.message.text if turn.message and turn.message.text else ""
    data["text"] = "" if text.strip() == "/skip" else text.strip()[:4000]
    await save_draft(turn, Step.ADDING_EVIDENCE, data)
    await turn.reply(ask_files(turn, data))
    return Step.ADDING_EVIDENCE


# ---------------------------------------------------------------- ADDING_EVIDENCE


def store_of(turn: Turn) -> EvidenceStore:
    return turn.services.evidence_store


@use_case("report")
async def file_received(turn: Turn) -> int:
    """Stages a photo or document and adds it to the draft; keeps collecting."""
    _ = turn._
    message = turn.message
    # Downloaded before the draft is read: the update's transaction (on SQLite the write
    # lock) begins at its first statement, and must not wait for Telegram.
    piece: NewEvidence | None = None
    rejected = ""
    if message is not None:
        try:
            await check_daily_cap(turn)
            piece = await fetch_evidence(turn.context.bot, message, store_of(turn))
        except EvidenceRejected as exc:
            rejected = exc.reason
    data = await current_draft(turn)
    if data is None:
        return END
    if message is None:
        return Step.ADDING_EVIDENCE
    if piece is None:
        await turn.reply(rejection_text(rejected, _))
        return Step.ADDING_EVIDENCE
    files: list[dict[str, Any]] = data.setdefault("files", [])
    if all(f["sha256"] != piece.staged.sha256 for f in files):
        files.append(piece.to_json())
    previous_group = data.get("last_group")
    data["last_group"] = message.media_group_id
    await save_draft(turn, Step.ADDING_EVIDENCE, data)
    count = len(files)
    ngettext = i18n.ngettext(turn.actor.locale)
    text = ngettext(
        "Received {count} file. Send more, or /done to save.",
        "Received {count} files. Send more, or /done to save.",
        count,
    ).format(count=count)
    # One acknowledgement per album, edited as its photos arrive, not one message each.
    ack_id = data.get("ack_message_id")
    same_album = bool(message.media_group_id) and message.media_group_id == previous_group
    bot, chat_id = turn.context.bot, message.chat_id

    async def acknowledge() -> None:
        if same_album and ack_id:
            try:
                await bot.edit_message_text(text, chat_id=chat_id, message_id=ack_id)
                return
            except Exception:  # the acknowledgement is a courtesy; fall back to a new message
                pass
        sent = await send_reliably(bot, chat_id, text)

        async def note_ack(session: AsyncSession) -> None:
            key = draft_key(turn, NAME)
            draft = await drafts.load(session, key) if key is not None else None
            if draft is not None and key is not None:
                await drafts.save(
                    session,
                    key,
                    draft.state,
                    {**(draft.data or {}), "ack_message_id": sent.message_id},
                    draft.updated_at,
                )

        await bookkeeping_after_send(turn, note_ack)

    await turn.after_commit(acknowledge)
    return Step.ADDING_EVIDENCE


@use_case("report")
async def unfit_input(turn: Turn) -> int | None:
    """Stickers, voice, video notes and the like while collecting evidence: refuse, keep state."""
    await turn.reply(rejection_text("type", turn._))
    return None


@use_case("report")
async def text_while_collecting(turn: Turn) -> int:
    await turn.reply(turn._("Send photos or documents, or /done to save, /cancel to drop."))
    return Step.ADDING_EVIDENCE


def summary(recorded: Recorded, _: Translate) -> str:
    """What a liaison is told once the report is committed."""
    lines = [
        _("✅ Recorded: {code} {title}").format(
            code=recorded.code, title=shorten(recorded.title, 30)
        ),
        _("Status: {status}").format(status=status_label(recorded.status, _)),
    ]
    for target, value in recorded.values:
        lines.append(
            f"{target.metric}: "
            + value_against_target(value, target.op, target.value, target.unit, _)
        )
    if recorded.text:
        lines.append(shorten(recorded.text, 500))
    lines.append(
        _("Evidence: {photos} photos, {documents} documents").format(
            photos=recorded.photos, documents=recorded.documents
        )
    )
    if recorded.status == "done":
        lines.append(_("The office will review it."))
    for reuse in recorded.reused:
        lines.append(
            _(
                "Note: a file was already submitted with report #{report} ({code}); "
                "it is kept, and flagged for the office."
            ).format(report=reuse.earlier_report_id, code=reuse.earlier_code)
        )
    return "\n".join(lines)


@use_case("report")
async def done(turn: Turn) -> int:
    """/done: saves the report and its evidence in one transaction; only then says so."""
    _ = turn._
    draft = await load_draft(turn)
    data = await current_draft(turn)
    if data is None or draft is None:
        return END
    if "status" not in data:
        await turn.reply(_("Please answer the question above first, or /cancel."))
        return Step(int(draft.state))
    from decimal import Decimal

    evidence = [NewEvidence.from_json(f) for f in data.get("files", [])]
    if data.get("evidence_required") and not evidence:
        await turn.reply(
            _("This item needs evidence: please send at least one photo or document, then /done.")
        )
        return Step.ADDING_EVIDENCE
    department_id = turn.actor.department_id
    if department_id is None:
        return END
    try:
        recorded = await reporting(turn).record_report(
            reporter_tg_id=turn.actor.tg_id,
            department_id=department_id,
            binding_id=int(data["binding_id"]),
            status=str(data["status"]),
            values={int(k): Decimal(v) for k, v in data.get("values", {}).items()},
            text=str(data.get("text", "")),
            evidence=evidence,
            source="conversation",
            now=turn.now,
            source_message=_source(turn),
        )
    except ReportRefused:  # refused before anything was staged
        await drop_draft(turn)
        await turn.reply(_("This item is not available to you."))
        return END
    # The report and the end of its draft are one transaction (committed by the use case);
    # the summary waits for that commit, in the outbox (sent even after a crash).
    await drop_draft(turn)
    await turn.reply_after_commit(summary(recorded, turn._))
    return END


def _source(turn: Turn) -> tuple[int, int] | None:
    message = turn.message
    return (message.chat_id, message.message_id) if message is not None else None


# ---------------------------------------------------------------- fallbacks


@use_case()
async def cancel(turn: Turn) -> int:
    """/cancel: drops the draft, whatever the step."""
    await drop_draft(turn)
    await turn.reply(turn._("Cancelled. Nothing was saved."))
    return END


@use_case()
async def not_now(turn: Turn) -> None:
    """Anything unexpected: repeat what is being asked, keep the state."""
    await turn.reply(turn._("Please answer the question above, or /cancel to stop."))


timed_out = on_timeout(NAME, restart_hint)


EVIDENCE = filters.PHOTO | filters.Document.ALL
UNFIT = (
    filters.Sticker.ALL
    | filters.VOICE
    | filters.VIDEO_NOTE
    | filters.VIDEO
    | filters.AUDIO
    | filters.ANIMATION
    | filters.LOCATION
    | filters.CONTACT
    | filters.POLL
)
TEXT = filters.TEXT & ~filters.COMMAND


def conversation(timeout_minutes: float) -> ConversationHandler[Any]:
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # Conversations are tracked per chat and user on purpose (buttons and text mix);
        # PTB warns that CallbackQueryHandlers are then not tracked per message.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return _conversation(private, timeout_minutes)


def _conversation(private: filters.BaseFilter, timeout_minutes: float) -> ConversationHandler[Any]:
    return ConversationHandler(
        entry_points=[
            # Not limited to private chats: in a group the permission check answers why not.
            CommandHandler("report", report_command),
            CallbackQueryHandler(report_button, pattern=r"^rep:\d+$"),
        ],
        states={
            Step.CHOOSING_ITEM: [
                CallbackQueryHandler(item_chosen, pattern=r"^rp:i:\d+$"),
                CallbackQueryHandler(item_page, pattern=r"^rp:p:\d+$"),
                MessageHandler(TEXT, item_chosen),
            ],
            Step.CHOOSING_STATUS: [
                CallbackQueryHandler(status_chosen, pattern=r"^rp:s:\w+$"),
                MessageHandler(TEXT, status_chosen),
            ],
            Step.TYPING_VALUE: [
                MessageHandler(TEXT, value_typed),
                CommandHandler("skip", value_typed),
            ],
            Step.TYPING_TEXT: [
                MessageHandler(TEXT, text_typed),
                CommandHandler("skip", text_typed),
            ],
            Step.ADDING_EVIDENCE: [
                MessageHandler(EVIDENCE & private, file_received),
                MessageHandler(UNFIT, unfit_input),
                CommandHandler("done", done),
                MessageHandler(TEXT, text_while_collecting),
            ],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("done", done),
            MessageHandler((EVIDENCE | UNFIT | TEXT) & private, not_now),
        ],
        name=NAME,
        persistent=True,
        per_chat=True,
        per_user=True,
        allow_reentry=True,
        conversation_timeout=dt.timedelta(minutes=timeout_minutes),
    )
