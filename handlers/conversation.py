"""What every conversation shares: its draft, its timeout, and the one timeout reply.

Drafts live in `storage.drafts` (one store for /report, the review return, /urge,
/import and albums). A conversation times out after CONVERSATION_TIMEOUT_MINUTES without
an answer: PTB's timer ends it in the running process (`on_timeout`), and because a
timer does not survive a restart (or live in another worker), every step also checks
the draft's due time (`expire_if_due`). Both say the same thing, with the configured
minutes, and drop the draft.

Conversations registered in group -1 wrap their callbacks in `stopping`, so the handlers
of group 0 (the general /cancel, the stray-text reply) never see what they took.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from core.text.i18n import Translate
from handlers.base import Handler, Turn, use_case
from storage import drafts
from storage.drafts import DraftKey
from storage.models import ConversationDraft

Hint = Callable[[Translate], str]
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, Any]]


def draft_key(turn: Turn, name: str) -> DraftKey | None:
    """The key of conversation `name` in this update's chat, for this user."""
    key = turn.key
    return DraftKey(name, key[0], key[1]) if key is not None else None


def timeout_of(turn: Turn) -> dt.timedelta:
    return dt.timedelta(minutes=turn.services.settings.conversation_timeout_minutes)


def timeout_text(turn: Turn, hint: Hint) -> str:
    """The one timeout reply: how long was waited (as configured), then what to do now."""
    _ = turn._
    minutes = turn.services.settings.conversation_timeout_minutes
    shown = int(minutes) if float(minutes).is_integer() else minutes
    head = _("No answer came within {minutes} min, so this was closed.").format(minutes=shown)
    return f"{head} {hint(_)}"


async def expire_if_due(turn: Turn, draft: ConversationDraft, hint: Hint) -> bool:
    """True (after dropping the draft and saying so) when the draft has timed out."""
    if not drafts.expired(draft, turn.now, timeout_of(turn)):
        return False
    await drafts.drop(turn.session, DraftKey(draft.name, draft.chat_id, draft.user_id))
    await turn.reply(timeout_text(turn, hint))
    return True


def on_timeout(name: str, hint: Hint) -> Handler[None]:
    """The ConversationHandler.TIMEOUT callback of conversation `name`: drop, then say so."""

    @use_case()
    async def timed_out(turn: Turn) -> None:
        key = draft_key(turn, name)
        if key is None:
            return
        await drafts.drop(turn.session, key)
        await turn.reply(timeout_text(turn, hint))

    timed_out.__name__ = f"{name}_timed_out"
    return timed_out


def stopping(callback: Callback) -> Callback:
    """Run the callback, then stop other handler groups from seeing this update."""

    @functools.wraps(callback)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        state = await callback(update, context)
        raise ApplicationHandlerStop(state)

    return run
