"""Handling the inbox: chat by chat, in arrival order, through PTB's Application.

The worker takes the chat whose pending update waited longest, holds that chat (on
PostgreSQL an advisory lock, so several worker processes share the inbox and one chat's
updates still go one at a time, in order), and feeds each update to
`Application.process_update`, as PTB's custom-webhook example does. An update is marked
handled in the transaction of its use case (`runtime.intake.context.stage_outcome`), or
right after it when the use case wrote nothing.

A handler that raises is tried again, up to `max_attempts` in all (attempts are counted
before each try, so an update that kills the process is bounded too); then it is
dead-lettered, the admins are told once, and the chat's later updates go on.

Conversation state lives in `conversation_draft` (written by the callbacks in their own
commits). With several workers, the one taking a chat loads that chat's states from
there first, so whichever worker handled the previous step, the next one knows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes, ConversationHandler

from bot.ops.metrics import handler_label, record_handled  # ops (issue 19)
from core.text.i18n import translator
from runtime.intake.context import InboxTurn, current
from runtime.intake.outbox import deliver, queue_reply
from runtime.services import AnyApplication
from storage import inbox
from storage.db import Database
from storage.models import ConversationDraft

log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 0.5
# Waiting out a database failure ends after about ten minutes (5 s apart): a "transient"
# error that lasts that long is counted like any other.
MAX_OUTAGE_RETRIES = 120


async def note_failure(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """First error handler: remember the failure for the worker.

    Before the last attempt the other error handlers (which tell the user that something
    went wrong) are skipped: the update is tried again, maybe with success.
    """
    turn = current.get()
    if turn is None:
        return
    turn.error = context.error
    if not turn.final_attempt or is_transient(context.error):
        raise ApplicationHandlerStop


TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, ConnectionError)


def is_transient(error: BaseException | None) -> bool:
    """The database (or the network to it) failed, not the update: wait, don't count it."""
    while error is not None:
        if isinstance(error, TRANSIENT):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
    return False


class ChatLocks:
    """One chat at a time across processes: PostgreSQL advisory locks (session level)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.enabled = db.dialect == "postgresql"
        self._conn: AsyncConnection | None = None

    async def acquire(self, chat_key: int) -> bool:
        if not self.enabled:
            return True
        if self._conn is None:
            self._conn = await self.db.engine.connect()
        try:
            got = await self._conn.scalar(
                text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"),
                {"key": f"duban-inbox:{chat_key}"},
            )
            await self._conn.commit()  # the lock is the session's; no transaction stays open
        except Exception:
            await self.close()  # a broken connection took its locks with it
            raise
        return bool(got)

    async def release(self, chat_key: int) -> None:
        if self._conn is None:
            return
        try:
            await self._conn.execute(
                text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"),
                {"key": f"duban-inbox:{chat_key}"},
            )
            await self._conn.commit()
        except Exception:
            log.warning("could not release a chat lock; dropping its connection")
            await self.close()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
                await conn.close()


class InboxWorker:
    def __init__(
        self,
        app: AnyApplication,
        db: Database,
        *,
        admin_ids: frozenset[int],
        admin_locale: str,
        max_attempts: int = 3,
        shared: bool = False,
        idle_poll_seconds: float = 1.0,
    ) -> None:
        self.app = app
        self.db = db
        self.admin_ids = admin_ids
        self.admin_locale = admin_locale
        self.max_attempts = max_attempts
        self.shared = shared
        self.idle_poll_seconds = idle_poll_seconds
        self.wake = asyncio.Event()
        self.locks = ChatLocks(db)
        self._stop: asyncio.Event | None = None

    def notify(self) -> None:
        """New updates are in the inbox (called by a receiver in the same process)."""
        self.wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    busy = await self.handle_next_chat()
                except Exception:  # the database went away: wait and try again
                    log.exception("the inbox worker failed; trying again")
                    busy = False
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), timeout=self.idle_poll_seconds)
        finally:
            await self.locks.close()

    async def drain(self) -> None:
        """Handle everything pending now (tests, and the start of a process)."""
        while await self.handle_next_chat():
            pass

    async def handle_next_chat(self) -> bool:
        """Take the chat waiting longest that no other worker holds; False if none."""
        async with self.db.session() as session:
            chats = await inbox.pending_chats(session)
        for chat_key in chats:
            if not await self.locks.acquire(chat_key):
                continue
            try:
                async with self.db.session() as session:
                    rows = [
                        (r.seq, r.payload) for r in await inbox.pending_of_chat(session, chat_key)
                    ]
                if not rows:
                    continue  # another worker handled them between our two looks
                if self.shared:
                    await reload_conversations(self.app, self.db, chat_key)
                for seq, payload in rows:
                    await self.handle(seq, payload)
            finally:
                await self.locks.release(chat_key)
            return True
        return False

    async def handle(self, seq: int, payload: dict[str, Any]) -> None:
        """One update, tried until it is handled or dead-lettered.

        A database failure is not the update's fault: that attempt is not counted, and
        the same attempt runs again (with backoff) until the database answers.
        """
        attempts = 0
        outage = 0
        while True:
            if outage == 0:
                async with self.db.session() as session:
                    attempts = await inbox.count_attempt(session, seq)
                    await session.commit()
            if attempts > self.max_attempts:
                # Counted but never finished: it took the process down each time.
                await self.dead_letter(seq, payload, "the process stopped while handling it")
                return
            turn = InboxTurn(seq=seq, final_attempt=attempts >= self.max_attempts)
            token = current.set(turn)
            started = time.monotonic()  # ops (issue 19): handler latency, bot/ops/metrics.py
            try:
                await self.app.process_update(Update.de_json(payload, self.app.bot))
            except Exception as exc:  # PTB hands handler errors to note_failure; this is PTB's own
                turn.error = exc
            finally:
                current.reset(token)
            ok = turn.error is None or turn.marked  # ops: keep this call when rewriting
            record_handled(handler_label(self.app, payload), time.monotonic() - started, ok)
            if turn.error is None or turn.marked:
                if turn.error is not None:
                    log.warning("update %s failed after its outcome was committed", seq)
                if not turn.marked:
                    async with self.db.session() as session:
                        await inbox.mark_handled(session, seq, dt.datetime.now(dt.UTC))
                        await session.commit()
                if turn.outbox_ids:
                    await deliver(self.app.bot, self.db, turn.outbox_ids)
                log.debug("handled inbox update %s", seq)
                return
            if is_transient(turn.error) and outage < MAX_OUTAGE_RETRIES:
                outage += 1
                log.warning("the database failed while handling update %s; waiting", seq)
                if self.stopping:
                    return  # still pending: the next start handles it
                await asyncio.sleep(min(5.0, RETRY_DELAY_SECONDS * outage))
                continue
            outage = 0
            error = f"{type(turn.error).__name__}: {turn.error}"
            if turn.final_attempt:
                await self.dead_letter(seq, payload, error)
                return
            async with self.db.session() as session:
                await inbox.record_failure(
                    session, seq, error, dead=False, now=dt.datetime.now(dt.UTC)
                )
                await session.commit()
            await asyncio.sleep(RETRY_DELAY_SECONDS * attempts)

    async def dead_letter(self, seq: int, payload: dict[str, Any], error: str) -> None:
        """Set the update aside for good and tell the admins, in the same commit."""
        _ = translator(self.admin_locale)
        kind = next((k for k in payload if k != "update_id"), "?")
        note = _(
            "An incoming update ({kind}, no. {seq}) could not be handled after {attempts} "
            "attempts and was set aside; the chat's later messages go on. Error: {error}"
        ).format(kind=kind, seq=seq, attempts=self.max_attempts, error=error[:300])
        ids: list[int] = []
        async with self.db.session() as session:
            await inbox.record_failure(session, seq, error, dead=True, now=dt.datetime.now(dt.UTC))
            for admin in sorted(self.admin_ids):
                ids.append(await queue_reply(session, admin, note))
            await session.commit()
        log.error("update %s dead-lettered: %s", seq, error)
        await deliver(self.app.bot, self.db, ids)


async def reload_conversations(app: AnyApplication, db: Database, chat_key: int) -> None:
    """Load this chat's conversation states from the draft store into PTB's handlers.

    PTB keeps states in memory and reads persistence only at start; with several
    workers another process may have moved this chat's conversation on. PTB offers no
    public setter, so its `_conversations` mapping (what its persistence fills) is used.
    """
    handlers = [
        h
        for group in app.handlers.values()
        for h in group
        if isinstance(h, ConversationHandler) and h.persistent and h.name
    ]
    if not handlers:
        return
    async with db.session() as session:
        rows = (
            await session.execute(
                select(
                    ConversationDraft.name, ConversationDraft.user_id, ConversationDraft.state
                ).where(ConversationDraft.chat_id == chat_key)
            )
        ).all()
    for handler in handlers:
        states = handler._conversations
        for key in [k for k in states if k and k[0] == chat_key]:
            states.pop(key, None)
        # (PTB then "persists" these; DraftPersistence writes nothing, see bot/persistence.py.)
        states.update(
            {(chat_key, user_id): state for name, user_id, state in rows if name == handler.name}
        )
