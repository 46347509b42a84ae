"""What every handler shares: the services of the process, and one unit of work per update.

`@use_case("status")` wraps a callback so that it receives a `Turn`: the update, its unit
of work (`turn.unit`, and its session `turn.session`), the acting user (role,
department, locale), their translator, and the services. When a command name is given,
the permission table is checked first and a refusal is answered politely in the user's
language.

**One unit of work per update, one commit.** The inbox worker creates the update's unit
(runtime/intake/unit.py) and this wrapper hands it to the callback; handlers and the
core functions they call only stage and flush, and the wrapper commits the unit once
the callback returned (`finish`). The unit's commit also marks the inbox row handled
and writes the outbox rows, so a redelivered update never repeats a change. What the
handler decided to tell people waits for that commit: `turn.reply()` sends after it,
`turn.reply_after_commit()` writes the reply to the outbox in the transaction (sent
after the commit, or at the next start should the process die in between), and
`turn.after_commit()` queues any other Telegram call (notifying liaisons, editing
buttons away, sending files); all run in the order they were asked for, only after the
commit succeeded. So "✅ recorded" never goes out for a write that did not happen; a
handler that raises commits nothing and sends nothing. Work that must join the
transaction at its very end goes into `turn.before_commit()`.

A callback run by the JobQueue (a conversation's TIMEOUT, an album's report via
`job_use_case`) has no inbox unit: it gets one of its own, under the chat's lock
(runtime/intake/locks.py), the same lock the inbox worker holds for the chat's updates.

Porting a handler: nothing changes for `@use_case` callbacks. Code that opened its own
`db.session()` and committed it writes `async with db.unit() as unit: ... await
unit.commit()` instead (storage/unit.py); nothing else may commit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes, ConversationHandler

from core.people.actors import Actor, load_actor
from core.people.permissions import ChatKind, Decision, check
from core.status.day import Reading
from core.text.i18n import Translate, translator
from runtime.intake.locks import chat_locks
from runtime.intake.unit import UpdateWork, in_flight
from runtime.sending import send_unread
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
    unit: UpdateWork
    actor: Actor
    services: Services
    _: Translate
    # The day this update reads (issue 19 point 6): the moment it is handled and the
    # settings' rules, made once, so every screen and query of one update sees one day.
    reading: Reading

    @property
    def session(self) -> AsyncSession:
        """The unit of work's session: stage and flush here; the unit commits."""
        return self.unit.session

    @property
    def committed(self) -> bool:
        return self.unit.committed

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
            await send_unread(self.context.bot, chat_id, text, **kwargs)

        await self.after_commit(send)

    async def after_commit(self, step: Step) -> None:
        """Run `step` (a Telegram call, typically) after the commit; at once if already past it."""
        await self.unit.after_commit(step)

    def before_commit(self, step: Step) -> None:
        """Run `step` inside the transaction, just before the commit (after the handler)."""
        self.unit.before_commit(step)

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
        await self.unit.queue_reply(chat_id, text, **kwargs)


Callback = Callable[[Turn], Awaitable[T]]


async def finish(turn: Turn) -> None:
    """The one commit of an update's use case (its unit's), then what waited for it:
    `before_commit` steps run just before it, `after_commit` steps right after."""
    await turn.unit.commit()


async def bookkeeping_after_send(
    turn: Turn, work: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    """A small unit of work of its own, for an `after_commit` step to note what it sent
    (e.g. the message id of an acknowledgement to edit later). Only for such notes: a
    use case's own changes belong in its one commit."""
    async with turn.services.db.unit() as unit:
        await work(unit.session)
        await unit.commit()


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
    """Hand the update's unit of work to the callback, load the actor, check `command`'s
    permission, and commit the unit once the callback returned."""

    def decorate(func: Callback[T]) -> Handler[T]:
        @functools.wraps(func)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> T | None:
            user = update.effective_user
            if user is None:
                return None
            if not await usable_query(update):
                return None
            svc = services(context)
            unit = in_flight(context.application.bot_data).get(update.update_id)
            if unit is not None:  # from the inbox: the worker holds the chat and the unit
                return await _run(func, command, update, context, svc, unit)
            # From the JobQueue (a conversation's TIMEOUT): a unit of its own, under the
            # chat's lock, so it never interleaves with the chat's updates.
            chat = update.effective_chat
            async with contextlib.AsyncExitStack() as stack:
                if chat is not None:
                    await stack.enter_async_context(
                        chat_locks(context.application.bot_data).hold(chat.id)
                    )
                own = await stack.enter_async_context(UpdateWork(svc.db, context.bot))
                return await _run(func, command, update, context, svc, own)
            return None  # unreachable; mypy cannot tell that the stack never swallows

        return wrapper

    return decorate


async def _run(
    func: Callback[T],
    command: str | None,
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    unit: UpdateWork,
) -> T | None:
    user = update.effective_user
    assert user is not None
    # Read apart from the unit's writes: on SQLite its transaction (the write lock)
    # begins only when the use case first touches `turn.session`, not before a photo's
    # download (storage/unit.py, `reading`).
    async with unit.reading() as reading:
        actor = await load_actor(
            reading, user.id, admin_ids=svc.admin_ids, default_locale=svc.settings.default_locale
        )
    day_reading = svc.settings.reading(svc.clock())
    turn = Turn(update, context, unit, actor, svc, translator(actor.locale), day_reading)
    if command is not None:
        decision = check(command, actor.role, turn.chat)
        if decision is not Decision.ALLOWED:
            await refuse(turn, decision)
            await finish(turn)
            # Inside a conversation (e.g. a role handed over mid-/report) a refusal also
            # ends it; elsewhere PTB ignores the return value. END (an int) where T is
            # the callback's type: PTB's own protocol.
            return ConversationHandler.END  # type: ignore[return-value]
    result = await func(turn)
    await finish(turn)
    return result


async def job_use_case(
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    work: Callable[[Turn], Awaitable[T]],
    *,
    chat_id: int | None = None,
) -> T:
    """A scheduled job's use case on behalf of user `user_id` (e.g. finishing an album):
    its own unit of work, one commit, replies after it, as for an update; under the lock
    of `chat_id` (the chat the job belongs to), which the inbox worker also takes. There
    is no update; `turn.update` is an empty placeholder, so `turn.reply` has no chat to
    answer: such work sends with `reply_after_commit(chat_id=...)`."""
    svc = services(context)
    async with contextlib.AsyncExitStack() as stack:
        if chat_id is not None:
            await stack.enter_async_context(chat_locks(context.application.bot_data).hold(chat_id))
        unit = await stack.enter_async_context(UpdateWork(svc.db, context.bot))
        actor = await load_actor(
            unit.session,
            user_id,
            admin_ids=svc.admin_ids,
            default_locale=svc.settings.default_locale,
        )
        day_reading = svc.settings.reading(svc.clock())
        turn = Turn(
            Update(update_id=0), context, unit, actor, svc, translator(actor.locale), day_reading
        )
        result = await work(turn)
        await finish(turn)
        return result
    raise AssertionError("unreachable")


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
