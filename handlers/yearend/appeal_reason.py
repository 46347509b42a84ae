"""/appeal by buttons: the liaison presses what to appeal (`ya:ap:<target>[:<code>]`),
then sends the reason in one message — text, or a photo's or document's caption, which
attaches it. A small persistent conversation on the draft store (name "appeal"), as the
review return is: a restart in between keeps it; /cancel files nothing. Registered in
group -1 so that the general /cancel and stray-text handlers do not answer it too.
"""

from __future__ import annotations

import datetime as dt
import warnings
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from core.text.i18n import Translate
from core.yearend import feedback
from core.yearend.state import YearEndRefused, active_campaign
from handlers.base import Turn, use_case
from handlers.conversation import draft_key, expire_if_due, on_timeout, stopping
from handlers.yearend.common import acting, refusal_text, store
from handlers.yearend.results import announce_appeal
from storage import drafts
from storage.models import APPEAL_ITEM, APPEAL_TARGETS

NAME = drafts.APPEAL
END = ConversationHandler.END
BUTTON_PATTERN = r"^ya:ap:(item:[GAB]\d{1,3}(\.\d{1,3})?|bonus|penalty|veto|grade)$"


class Step(IntEnum):
    REASON = 0


def nothing_filed(_: Translate) -> str:
    return _("No re-check request was filed.")


@use_case("appeal")
async def appeal_pressed(turn: Turn) -> int | None:
    """What to appeal was pressed: remember it and ask for the reason."""
    query, key = turn.query, draft_key(turn, NAME)
    if query is None or key is None:
        return None
    await query.answer()
    _ = turn._
    parts = turn.callback_data.split(":")
    target = parts[2] if len(parts) > 2 else ""
    code = parts[3] if target == APPEAL_ITEM and len(parts) > 3 else ""
    if target not in APPEAL_TARGETS:
        return END
    await drafts.save(
        turn.session, key, int(Step.REASON), {"target": target, "code": code}, turn.now
    )
    await turn.reply(
        _(
            "Re-check of {subject}: send the reason in one message (a photo's or document's "
            "caption attaches it); /cancel files nothing."
        ).format(subject=code or target)
    )
    return Step.REASON


@use_case("appeal")
async def reason_sent(turn: Turn) -> int:
    """The reason (and attachment): file the appeal in one commit, the draft's end in it."""
    _ = turn._
    key = draft_key(turn, NAME)
    draft = await drafts.load(turn.session, key) if key is not None else None
    if draft is None or key is None:
        await turn.reply(nothing_filed(_))
        return END
    if await expire_if_due(turn, draft, nothing_filed):
        return END
    message = turn.message
    data = draft.data or {}
    reason = ""
    attachments: list[str] = []
    if message is not None:
        reason = (message.text or message.caption or "").strip()
        if message.photo:
            attachments.append(message.photo[-1].file_id)
        if message.document is not None:
            attachments.append(message.document.file_id)
    department_id = turn.actor.department_id
    if department_id is None:
        await drafts.drop(turn.session, key)
        return END
    try:
        yearend = store(turn)
        campaign = await active_campaign(yearend)
        filed = await feedback.file_appeal(
            yearend,
            campaign.id,
            department_id,
            str(data.get("target", "")),
            str(data.get("code", "")),
            reason,
            attachments,
            acting(turn),
        )
    except YearEndRefused as exc:
        # The draft stays for a reason still missing; anything else ends it.
        if exc.reason != "reason_needed":
            await drafts.drop(turn.session, key)
            await turn.reply(refusal_text(exc, _))
            return END
        await turn.reply(refusal_text(exc, _))
        return Step.REASON
    await drafts.drop(turn.session, key)
    await announce_appeal(turn, filed)
    return END


@use_case()
async def cancel_appeal(turn: Turn) -> int:
    key = draft_key(turn, NAME)
    if key is not None:
        await drafts.drop(turn.session, key)
    await turn.reply(nothing_filed(turn._))
    return END


timed_out = on_timeout(NAME, nothing_filed)


def appeal_conversation(timeout_minutes: float) -> ConversationHandler[Any]:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    reason = private & (
        (filters.TEXT & ~filters.COMMAND)
        | ((filters.PHOTO | filters.Document.ALL) & ~filters.CaptionRegex(r"^/"))
    )
    with warnings.catch_warnings():
        # Tracked per chat and user on purpose: the reason is a message, not a button.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(appeal_pressed, pattern=BUTTON_PATTERN)],
            states={
                Step.REASON: [MessageHandler(reason, stopping(reason_sent))],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[
                CommandHandler("cancel", stopping(cancel_appeal), filters=filters.ChatType.PRIVATE)
            ],
            name=NAME,
            persistent=True,
            per_chat=True,
            per_user=True,
            allow_reentry=True,
            conversation_timeout=dt.timedelta(minutes=timeout_minutes),
        )
