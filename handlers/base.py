"""What every handler shares: the services of the process, and one session per update.

`@use_case("status")` wraps a callback so that it receives a `Turn`: the update, one
database session for this update, the acting user (role, department, locale), their
translator, and the services. When a command name is given, the permission table is
checked first and a refusal is answered politely in the user's language.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import ContextTypes, ConversationHandler

from bot.config import Settings
from bot.intake.context import current as current_inbox_turn
from bot.intake.outbox import deliver, queue_reply
from core.people.actors import Actor, load_actor
from core.people.permissions import ChatKind, Decision, check
from core.reporting.evidence import EvidenceStore
from core.text.i18n import Translate, translator
from storage.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    """Long-lived things of one bot process, opened in post_init, closed in post_shutdown."""

    settings: Settings
    db: Database
    evidence_store: EvidenceStore
    clock: Callable[[], dt.datetime] = system_clock
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def admin_ids(self) -> frozenset[int]:
        return self.settings.admin_ids


SERVICES_KEY = "services"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES_KEY]


def chat_kind(update: Update) -> ChatKind:
    chat = update.effective_chat
    if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return ChatKind.GROUP
    return ChatKind.PRIVATE


@dataclass
class Turn:
    """One update being handled: who, in which chat, with which session and language."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    session: AsyncSession
    actor: Actor
    services: Services
    _: Translate

    @property
    def chat(self) -> ChatKind:
        return chat_kind(self.update)

    @property
    def message(self) -> Message | None:
        return self.update.effective_message

    @property
    def args(self) -> list[str]:
        return list(self.context.args or [])

    @property
    def now(self) -> dt.datetime:
        return self.services.clock()

    async def reply(self, text: str, **kwargs: Any) -> Message | None:
        """Answer in the chat the update came from (retried through network trouble)."""
        chat = self.update.effective_chat
        if chat is None:
            return None
        return await send_reliably(self.context.bot, chat.id, text, **kwargs)

    # -- durable replies (issue 11): the outbox --
    async def reply_after_commit(self, text: str, **kwargs: Any) -> None:
        """A reply that is part of the use case's outcome: written to the outbox in this
        session (with the update's handled mark), sent once the use case commits."""
        chat = self.update.effective_chat
        if chat is not None:
            self._queued.append(await queue_reply(self.session, chat.id, text, **kwargs))

    _queued: list[int] = field(default_factory=list)
    # -- end durable replies --


SEND_ATTEMPTS = 4


async def send_reliably(bot: Any, chat_id: int, text: str, **kwargs: Any) -> Message:
    """send_message, retried with backoff on network errors and Telegram's 5xx answers.

    A reply often follows a commit ("recorded"): losing it to a passing network fault
    would leave the user unsure. A retry may, rarely, deliver a message twice (when the
    first one arrived but its answer was lost); that is the better failure. 429s are
    already retried by AIORateLimiter; a BadRequest is a bug and is not retried.
    """
    delay = 0.5
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await bot.send_message(chat_id, text, **kwargs)
        except (NetworkError, TimedOut) as exc:
            if isinstance(exc, BadRequest) or attempt == SEND_ATTEMPTS:
                raise
            log.warning("sending failed (%s); retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


Callback = Callable[[Turn], Awaitable[T]]


def use_case(
    command: str | None = None,
) -> Callable[[Callback[T]], Callable[..., Awaitable[T | None]]]:
    """Open one session for the update, load the actor, check `command`'s permission."""

    def decorate(func: Callback[T]) -> Callable[..., Awaitable[T | None]]:
        @functools.wraps(func)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> T | None:
            user = update.effective_user
            if user is None:
                return None
            svc = services(context)
            async with svc.db.session() as session:
                actor = await load_actor(
                    session,
                    user.id,
                    admin_ids=svc.admin_ids,
                    default_locale=svc.settings.default_locale,
                )
                turn = Turn(update, context, session, actor, svc, translator(actor.locale))
                if command is not None:
                    decision = check(command, actor.role, turn.chat)
                    if decision is not Decision.ALLOWED:
                        await refuse(turn, decision)
                        # Inside a conversation (e.g. a role handed over mid-/report) a
                        # refusal also ends it; elsewhere PTB ignores the return value.
                        return ConversationHandler.END  # type: ignore[return-value]
                result = await func(turn)
            if turn._queued and current_inbox_turn.get() is None:
                # Outside the inbox worker (which sends them itself) send them now.
                await deliver(context.bot, svc.db, turn._queued)
            return result

        return wrapper

    return decorate


async def refuse(turn: Turn, decision: Decision) -> None:
    _ = turn._
    if decision is Decision.CHAT:
        if turn.chat is ChatKind.GROUP:
            text = _("Please use this command in a private chat with me.")
        else:
            text = _("This command works only in a group.")
    else:
        text = _("This command is not available to you. /help shows what you can do.")
    await turn.reply(text)
