"""What every handler shares: the services of the process, and one session per update.

`@use_case("status")` wraps a callback so that it receives a `Turn`: the update, one
database session for this update, the acting user (role, department, locale), their
translator, and the services. When a command name is given, the permission table is
checked first and a refusal is answered politely in the user's language.

**One commit per update, here and nowhere else.** Handlers and the core functions they
call only stage and flush; `finish(turn)` commits the session once the handler returned.
What the handler decided to tell people waits for that commit: `turn.reply()` queues
the message and `turn.after_commit()` queues any other Telegram call (notifying
liaisons, editing buttons away, sending files), and both run, in the order they were
asked for, only after the commit succeeded. So "✅ recorded" never goes out for a write
that did not happen; a handler that raises commits nothing and sends nothing. Work that
must join the transaction at its very end (marking an inbox update handled, writing the
queued replies to an outbox) goes into `turn.before_commit()` or into `finish` itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes, ConversationHandler

from core.people.actors import Actor, load_actor
from core.people.permissions import ChatKind, Decision, check
from core.text.i18n import Translate, translator
from runtime.intake.context import stage_outcome
from runtime.intake.outbox import deliver, queue_reply
from runtime.sending import send_reliably
from runtime.services import Services
from storage.db import AsyncSession

log = logging.getLogger(__name__)
T = TypeVar("T")
Step = Callable[[], Awaitable[Any]]


SERVICES_KEY = "services"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    svc: Services = context.application.bot_data[SERVICES_KEY]
    return svc


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
    _before_commit: list[Step] = field(default_factory=list, repr=False)
    _after_commit: list[Step] = field(default_factory=list, repr=False)
    committed: bool = False

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

    @property
    def query(self) -> CallbackQuery | None:
        return self.update.callback_query

    @property
    def callback_data(self) -> str:
        """The pressed button's data ("" for anything else)."""
        query = self.update.callback_query
        return query.data if query is not None and isinstance(query.data, str) else ""

    def callback_int(self, position: int = -1) -> int | None:
        """The number at `position` of the button's ":"-separated data, None if there is none."""
        parts = self.callback_data.split(":")
        try:
            number = int(parts[position])
        except (IndexError, ValueError):
            return None
        # Ids are database integers: anything wider would be refused by the database.
        return number if abs(number) < 2**63 else None

    @property
    def key(self) -> tuple[int, int] | None:
        """(chat id, user id) of this update, the key of its conversation drafts."""
        chat, user = self.update.effective_chat, self.update.effective_user
        if chat is None or user is None:
            return None
        return chat.id, user.id

    async def reply(self, text: str, **kwargs: Any) -> None:
        """Answer in the chat the update came from, once the use case has committed.

        Inside the use case the message is queued (see the module docstring); from an
        `after_commit` step it is sent at once. Sending is retried through network trouble.
        """
        chat = self.update.effective_chat
        if chat is None:
            return
        chat_id = chat.id

        async def send() -> None:
            await send_reliably(self.context.bot, chat_id, text, **kwargs)

        await self.after_commit(send)

    async def after_commit(self, step: Step) -> None:
        """Run `step` (a Telegram call, typically) after the commit; at once if already past it."""
        if self.committed:
            await step()
        else:
            self._after_commit.append(step)

    def before_commit(self, step: Step) -> None:
        """Run `step` inside the transaction, just before the commit (after the handler)."""
        self._before_commit.append(step)

    async def reply_after_commit(
        self, text: str, *, chat_id: int | None = None, **kwargs: Any
    ) -> None:
        """A reply that is the use case's outcome ("recorded"): written to the outbox in
        this transaction, sent after the commit (and at the next start, should the process
        die in between; issue 11). `chat_id`: for a job's use case, which has no update."""
        if chat_id is None:
            chat = self.update.effective_chat
            if chat is None:
                return
            chat_id = chat.id
        message_id = await queue_reply(self.session, chat_id, text, **kwargs)
        bot, db = self.context.bot, self.services.db

        async def send() -> None:
            await deliver(bot, db, [message_id])

        await self.after_commit(send)


Callback = Callable[[Turn], Awaitable[T]]


async def finish(turn: Turn) -> None:
    """The one commit of an update's use case, then what waited for it.

    The place for work that must share the use case's transaction: `before_commit`
    steps run here, in order, just before the commit.
    """
    for step in turn._before_commit:
        await step()
    turn._before_commit.clear()
    # The update's inbox row is marked handled in the same transaction (issue 11).
    await stage_outcome(turn.session)
    await turn.session.commit()
    turn.committed = True
    waiting, turn._after_commit = turn._after_commit, []
    for step in waiting:
        await step()


async def bookkeeping_after_send(
    turn: Turn, work: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    """A small unit of work of its own, for an `after_commit` step to note what it sent
    (e.g. the message id of an acknowledgement to edit later). Only for such notes: a
    use case's own changes belong in its one commit."""
    async with turn.services.db.session() as session:
        await work(session)
        await session.commit()


async def usable_query(update: Update) -> bool:
    """False for a callback query none of our buttons can send: one without `data` (a game
    button; PTB offers those, and empty data, to every pattern's handler) or without
    `message` (from an inline message). It is answered, so the client's spinner stops,
    and goes no further; every other update is usable."""
    query = update.callback_query
    if query is None or (isinstance(query.data, str) and query.data and query.message):
        return True
    with contextlib.suppress(TelegramError):
        await query.answer()
    return False


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, T | None]]


def use_case(command: str | None = None) -> Callable[[Callback[T]], Handler[T]]:
    """Open one session for the update, load the actor, check `command`'s permission."""

    def decorate(func: Callback[T]) -> Handler[T]:
        @functools.wraps(func)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> T | None:
            user = update.effective_user
            if user is None:
                return None
            if not await usable_query(update):
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
                        await finish(turn)
                        # Inside a conversation (e.g. a role handed over mid-/report) a
                        # refusal also ends it; elsewhere PTB ignores the return value.
                        # END (an int) where T is the callback's type: PTB's own protocol.
                        return ConversationHandler.END  # type: ignore[return-value]
                result = await func(turn)
                await finish(turn)
                return result

        return wrapper

    return decorate


async def job_use_case(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, work: Callable[[Turn], Awaitable[T]]
) -> T:
    """A scheduled job's use case on behalf of user `user_id` (e.g. finishing an album):
    one session, one commit in `finish`, replies after it, as for an update. There is no
    update; `turn.update` is an empty placeholder, so `turn.reply` has no chat to answer:
    such work sends with `after_commit` to the chat it knows."""
    svc = services(context)
    async with svc.db.session() as session:
        actor = await load_actor(
            session, user_id, admin_ids=svc.admin_ids, default_locale=svc.settings.default_locale
        )
        turn = Turn(Update(update_id=0), context, session, actor, svc, translator(actor.locale))
        result = await work(turn)
        await finish(turn)
        return result


async def refuse(turn: Turn, decision: Decision) -> None:
    _ = turn._
    if decision is Decision.CHAT:
        if turn.chat is ChatKind.GROUP:
            text = _("Please use this command in a private chat with me.")
        else:
            text = _("This command works only in a group.")
    else:
        text = _("This command is not available to you. /help shows what you can do.")
    if turn.query is not None:  # a button: stop its spinner too
        with contextlib.suppress(TelegramError):
            await turn.query.answer()
    await turn.reply(text)
