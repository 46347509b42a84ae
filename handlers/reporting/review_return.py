"""Returning a report (rv:r:<report>) with a comment: a small persistent conversation.

The button asks for the comment; the admin's next text message is it, and the report is
returned with it in one commit (core.reporting.use_cases.decide); /cancel keeps the report awaiting
review. The draft lives in the draft store (`storage.drafts`) under the name "review", so a
restart in between keeps it. The conversation is registered in group -1 and stops further handling
of the updates it takes: otherwise the general /cancel and stray-text handlers of group 0
would answer the comment too.
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

from core.reporting import use_cases
from core.reporting.review import ReviewRefused
from core.scheduling.workdays import working_day_rule
from core.supervision.rectification import plan_return
from core.text.dates import BadDate
from core.text.i18n import Translate
from handlers.base import Turn, use_case
from handlers.conversation import draft_key, expire_if_due, on_timeout, stopping
from handlers.oversight.screens import button_allowed, callback_id, today_of
from handlers.reporting.ports import review
from handlers.reporting.review import refusal_text, tell_and_confirm
from storage import drafts
from storage.models import REVIEW_RETURNED

NAME = drafts.REVIEW_RETURN
END = ConversationHandler.END
RETURN_PATTERN = r"^rv:r:\d+$"


class Step(IntEnum):
    COMMENT = 0


def still_awaits(_: Translate) -> str:
    return _("The report was not returned; it still awaits review.")


async def _drop_draft(turn: Turn) -> None:
    key = draft_key(turn, NAME)
    if key is not None:
        await drafts.drop(turn.session, key)


@use_case()
async def return_button(turn: Turn) -> int | None:
    """↩️ Return: remember which report, and ask for the comment."""
    if not await button_allowed(turn, "review"):
        return None
    query, key = turn.query, draft_key(turn, NAME)
    if query is None or key is None:
        return None
    await query.answer()
    _ = turn._
    report_id = callback_id(turn)
    try:
        found = await use_cases.open_return(review(turn), report_id)
    except ReviewRefused as exc:
        # A draft of an earlier return would otherwise come back after a restart.
        await _drop_draft(turn)
        await turn.reply(refusal_text(exc, report_id, _))
        return END
    await drafts.save(turn.session, key, int(Step.COMMENT), {"report_id": report_id}, turn.now)
    await turn.reply(
        _(
            "Returning {code} of {department}. Send your comment for the liaison in one "
            "message; /cancel keeps the report awaiting review."
        ).format(code=found.code, department=found.department_name)
    )
    return Step.COMMENT


@use_case("review")
async def comment_typed(turn: Turn) -> int:
    """The comment: return the report with it, in one commit; then tell the liaisons."""
    _ = turn._
    key = draft_key(turn, NAME)
    draft = await drafts.load(turn.session, key) if key is not None else None
    if draft is None:
        await turn.reply(_("That return is no longer open; press Return on the report again."))
        return END
    if await expire_if_due(turn, draft, still_awaits):
        return END
    report_id = int((draft.data or {}).get("report_id", 0))
    comment = (turn.message.text if turn.message and turn.message.text else "").strip()
    # Issue 22: the comment may choose the rectification ("整改 2020-07-10 …", "无需整改 …");
    # by default one is opened, due RECTIFICATION_DAYS working days from today.
    settings = turn.services.settings
    try:
        plan = plan_return(
            comment,
            today_of(turn),
            settings.rectification_days,
            working_day_rule(settings.workdays_calendar),
        )
    except BadDate as exc:
        await turn.reply(exc.reply(_))
        return Step.COMMENT
    comment = plan.comment
    # The draft goes in the decision's own commit: the return and its end are one change.
    await _drop_draft(turn)
    try:
        decided = await use_cases.decide(
            review(turn),
            report_id=report_id,
            decision=REVIEW_RETURNED,
            comment=comment,
            reviewer_tg_id=turn.actor.tg_id,
            now=turn.now,
            rectification_due=plan.rectification_due,
        )
    except ReviewRefused as exc:  # refused before anything but the draft's end was staged
        await turn.reply(refusal_text(exc, report_id, _))
        return END
    await tell_and_confirm(turn, decided)
    return END


@use_case()
async def cancel_return(turn: Turn) -> int:
    """/cancel while a comment is awaited: nothing changes."""
    await _drop_draft(turn)
    await turn.reply(still_awaits(turn._))
    return END


timed_out = on_timeout(NAME, still_awaits)


def return_conversation(timeout_minutes: float) -> ConversationHandler[Any]:
    """The return-with-comment conversation; register it in group -1 (see the docstring)."""
    private = filters.ChatType.PRIVATE
    text = private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Tracked per chat and user on purpose: the comment is a message, not a button.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(return_button, pattern=RETURN_PATTERN)],
            states={
                Step.COMMENT: [MessageHandler(text, stopping(comment_typed))],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[CommandHandler("cancel", stopping(cancel_return), filters=private)],
            name=NAME,
            persistent=True,
            per_chat=True,
            per_user=True,
            allow_reentry=True,
            conversation_timeout=dt.timedelta(minutes=timeout_minutes),
        )
