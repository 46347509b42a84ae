"""Handling the inbox: several chats at once, one update per chat at a time, in order.

Chats take turns round-robin (issue 19): a turn handles ONE update of one chat, then
the chat goes to the back of the ring if it has more. Up to `concurrency` turns run at
once, each for a different chat, so a chat with a thousand pending updates delays
another chat's single update by at most one handling, and a slow Bot API call of one
chat no longer holds up the others.

One turn: the chat's lock in this process (runtime/intake/locks.py, shared with the
conversation timeouts and album jobs), on PostgreSQL `pg_try_advisory_xact_lock` in the
update's own transaction (so several worker processes share the inbox; a chat another
process holds is skipped), the claim of the chat's oldest pending update with its
attempt counted (committed before the handler runs, so an update that kills the process
is bounded), then `Application.process_update` with the update's unit of work
(runtime/intake/unit.py) registered for its `use_case`. The unit marks the update
handled in the use case's commit; when no use case committed, the worker commits it.

A handler that raises is tried again, up to `max_attempts` in all; then it is
dead-lettered, the admins are told once, and the chat's later updates go on. A failure
of the database itself (or a pool timeout) is not the update's fault: that attempt is
not counted and the chat is tried again after a pause.

Conversation state lives in `conversation_draft`. With several workers, the one taking
a chat loads that chat's states from there first, so whichever worker handled the
previous step, the next one knows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes, ConversationHandler

from bot.ops.metrics import handler_label, record_handled  # ops (issue 19)
from core.text.i18n import translator
from runtime.intake.locks import chat_locks
from runtime.intake.unit import UpdateWork, in_flight
from runtime.services import AnyApplication
from storage import inbox
from storage.db import Database
from storage.models import ConversationDraft

log = logging.getLogger(__name__)
# PostgreSQL: the chat, for the transaction of the update being handled (issue 19).
_CHAT_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")
RETRY_DELAY_SECONDS = 0.5
# Waiting out a database failure ends after about ten minutes (5 s apart): a "transient"
# error that lasts that long is counted like any other.
MAX_OUTAGE_RETRIES = 120


async def note_failure(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """First error handler: remember the failure on the update's unit of work.

    Before the last attempt the other error handlers (which tell the user that something
    went wrong) are skipped: the update is tried again, maybe with success.
    """
    if not isinstance(update, Update):
        return
    unit = in_flight(context.application.bot_data).get(update.update_id)
    if unit is None:
        return
    unit.error = context.error
    if not unit.final_attempt or is_transient(context.error):
        raise ApplicationHandlerStop


# A pool timeout means "every connection is busy": wait, like a database outage.
TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, ConnectionError, PoolTimeout)


def is_transient(error: BaseException | None) -> bool:
    """The database (or the network to it) failed, not the update: wait, don't count it."""
    while error is not None:
        if isinstance(error, TRANSIENT):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
    return False


class InboxWorker:
    def __init__(
        self,
        app: AnyApplication,
        db: Database,
        *,
        admin_ids: frozenset[int],
        admin_locale: str,
        concurrency: int,  # INTAKE_CONCURRENCY: its default is the settings' (runtime/config.py)
        max_attempts: int = 3,
        shared: bool = False,
        idle_poll_seconds: float = 1.0,
        shutdown_grace_seconds: float = 20.0,
    ) -> None:
        self.app = app
        self.db = db
        self.admin_ids = admin_ids
        self.admin_locale = admin_locale
        self.max_attempts = max_attempts
        self.shared = shared
        self.idle_poll_seconds = idle_poll_seconds
        self.concurrency = max(1, concurrency)
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.cross_process = db.dialect == "postgresql"
        self.locks = chat_locks(app.bot_data)
        self.units = in_flight(app.bot_data)
        self.wake = asyncio.Event()
        self._stop: asyncio.Event | None = None
        # The ring: chats waiting for a turn, in turn order (each at most once).
        self._ring: deque[int] = deque()
        self._queued: set[int] = set()
        self._pending: dict[int, int] = {}  # updates a chat is believed to have waiting
        self._running: dict[int, asyncio.Task[None]] = {}
        self._not_before: dict[int, float] = {}  # a chat to retry after a pause
        self._uncounted: set[int] = set()  # the next claim repeats an attempt (outage)
        self._outages: dict[int, int] = {}
        self._look_again = True

    # ------------------------------------------------------------ being told

    def notify(self, chats: Iterable[int] | None = None) -> None:
        """New updates are in the inbox (from a receiver in this process). With their
        chat keys no query is needed; without, the worker looks at the inbox again."""
        if chats is None:
            self._look_again = True
        else:
            for chat in chats:
                self._pending[chat] = self._pending.get(chat, 0) + 1
                self._enqueue(chat)
        self.wake.set()

    def _enqueue(self, chat: int) -> None:
        if chat not in self._queued and chat not in self._running:
            self._ring.append(chat)
            self._queued.add(chat)

    @property
    def stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    @property
    def busy_chats(self) -> int:
        return len(self._running)

    # ------------------------------------------------------------ the loop

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        looked = 0.0
        try:
            while not stop.is_set():
                self.wake.clear()
                # Looked at now and then even when busy: a chat whose count was missed
                # (another process stored it, or a race) is found within a poll.
                if self._look_again or time.monotonic() - looked >= self.idle_poll_seconds:
                    try:
                        await self.look()
                    except Exception:  # the database went away: wait and try again
                        log.exception("the inbox worker could not read the inbox; trying again")
                    looked = time.monotonic()
                delay = self._start_turns()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self.wake.wait(), timeout=min(delay, self.idle_poll_seconds)
                    )
        finally:
            await self._finish_running()

    async def _finish_running(self) -> None:
        """Stop taking chats; let the turns in progress end within the grace period."""
        running = list(self._running.values())
        if not running:
            return
        log.info(
            "letting %s chats finish (at most %.0fs)", len(running), self.shutdown_grace_seconds
        )
        _done, late = await asyncio.wait(running, timeout=self.shutdown_grace_seconds)
        for task in late:
            task.cancel()  # its transaction rolls back; the update stays pending
        for task in late:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if late:
            log.warning("%s chats were cut off at shutdown; handled at the next start", len(late))

    async def look(self) -> None:
        """Read which chats wait (new arrivals join the ring in the order they waited)."""
        self._look_again = False
        async with self.db.session() as session:
            waiting = await inbox.pending_chats(session)
        for chat, count in waiting.items():
            if chat in self._running:  # its current update is counted in `count`
                self._pending[chat] = max(self._pending.get(chat, 0), count - 1)
            else:
                self._pending[chat] = max(self._pending.get(chat, 0), count)
                self._enqueue(chat)

    def _start_turns(self) -> float:
        """Start turns for ready chats while slots are free; seconds until a paused chat
        is ready (or the idle poll)."""
        next_ready = self.idle_poll_seconds
        skipped: list[int] = []
        now = time.monotonic()
        while self._ring and len(self._running) < self.concurrency and not self.stopping:
            chat = self._ring.popleft()
            self._queued.discard(chat)
            ready_at = self._not_before.get(chat, 0.0)
            if ready_at > now:
                next_ready = min(next_ready, ready_at - now)
                skipped.append(chat)
                continue
            self._not_before.pop(chat, None)
            self._running[chat] = asyncio.create_task(self._turn(chat), name=f"inbox-chat-{chat}")
        for chat in reversed(skipped):  # keep their places at the front
            self._ring.appendleft(chat)
            self._queued.add(chat)
        return max(0.01, next_ready)

    async def _turn(self, chat: int) -> None:
        more = False
        try:
            more = await self.handle_one(chat)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_transient(exc):  # before its attempt was counted, or after: count anew
                self._pause_for_outage(chat, repeat_attempt=False)
                more = True
            else:
                log.exception("the inbox worker failed on a chat; trying again")
                self._not_before[chat] = time.monotonic() + RETRY_DELAY_SECONDS
                more = True
        finally:
            self._running.pop(chat, None)
            if more or self._pending.get(chat, 0) > 0:
                self._enqueue(chat)
            else:
                self._pending.pop(chat, None)
            self.wake.set()

    def _pause_for_outage(self, chat: int, *, repeat_attempt: bool) -> None:
        """Try the chat again after a pause; `repeat_attempt`: its update's attempt was
        counted and the database's failure cut it short, so the next claim repeats it."""
        outage = self._outages.get(chat, 0) + 1
        self._outages[chat] = outage
        if repeat_attempt:
            self._uncounted.add(chat)
        log.warning("the database failed while handling chat %s's update; waiting", chat)
        self._not_before[chat] = time.monotonic() + min(5.0, RETRY_DELAY_SECONDS * outage)

    async def drain(self) -> None:
        """Handle everything pending now, one turn at a time (tests, tools)."""
        await self.look()
        while self._ring:
            chat = self._ring.popleft()
            self._queued.discard(chat)
            if await self.handle_one(chat):
                self._enqueue(chat)

    # ------------------------------------------------------------ one update

    async def handle_one(self, chat: int) -> bool:
        """One turn of `chat`: its oldest pending update. True if it may have more."""
        async with self.locks.hold(chat):
            unit = UpdateWork(self.db, self.app.bot)
            async with unit:
                if self.cross_process and not await self._hold_across_processes(unit, chat):
                    self._pending.pop(chat, None)
                    return False  # another worker has this chat; it takes all of them
                count = chat not in self._uncounted
                # Committed before the handler runs, in one statement (no BEGIN/COMMIT
                # round trips on PostgreSQL).
                async with self.db.own_transaction() as claiming:
                    claimed = await inbox.claim_next(claiming, chat, count_attempt=count)
                self._uncounted.discard(chat)
                if claimed is None:
                    self._pending.pop(chat, None)
                    return False
                self._pending[chat] = max(0, self._pending.get(chat, 1) - 1)
                return await self._handle_claimed(unit, chat, claimed)

    async def _hold_across_processes(self, unit: UpdateWork, chat: int) -> bool:
        """Take the chat for this update's transaction (released by its commit/rollback)."""
        connection = await unit.session.connection()
        got = await connection.scalar(_CHAT_LOCK, {"key": f"duban-inbox:{chat}"})
        return bool(got)

    async def _handle_claimed(self, unit: UpdateWork, chat: int, claimed: inbox.Claimed) -> bool:
        seq, payload, attempts = claimed.seq, claimed.payload, claimed.attempts
        if attempts > self.max_attempts:
            # Counted but never finished: it took the process down each time.
            await self.dead_letter(unit, seq, payload, "the process stopped while handling it")
            return True
        unit.inbox_seq = seq
        unit.final_attempt = attempts >= self.max_attempts
        if self.shared:
            await reload_conversations(self.app, self.db, chat)
        update = Update.de_json(payload, self.app.bot)
        self.units.add(update.update_id, unit)
        started = time.monotonic()  # handler latency for /metrics (bot/ops/metrics.py)
        try:
            await self.app.process_update(update)
        except Exception as exc:  # PTB hands handler errors to note_failure; this is PTB's own
            unit.error = exc
        finally:
            self.units.remove(update.update_id)
        ok = unit.error is None or unit.marked
        record_handled(handler_label(self.app, payload), time.monotonic() - started, ok)
        if unit.error is None or unit.marked:
            if unit.error is not None:
                log.warning("update %s failed after its outcome was committed", seq)
            if not unit.marked:
                await unit.commit()  # no use case committed it: the handled mark alone
            self._outages.pop(chat, None)
            log.debug("handled inbox update %s", seq)
            return self._pending.get(chat, 0) > 0
        error = unit.error
        await unit.rollback()
        if is_transient(error) and self._outages.get(chat, 0) < MAX_OUTAGE_RETRIES:
            self._pause_for_outage(chat, repeat_attempt=True)
            return True
        self._outages.pop(chat, None)
        described = f"{type(error).__name__}: {error}"
        if unit.final_attempt:
            await self.dead_letter(unit, seq, payload, described)
            return True
        async with self.db.unit() as failed_unit:
            await inbox.record_failure(
                failed_unit.session, seq, described, dead=False, now=dt.datetime.now(dt.UTC)
            )
            await failed_unit.commit()
        # Tried again after a pause, keeping its place: the chat's later updates wait.
        self._not_before[chat] = time.monotonic() + RETRY_DELAY_SECONDS * attempts
        return True

    async def dead_letter(
        self, unit: UpdateWork, seq: int, payload: dict[str, Any], error: str
    ) -> None:
        """Set the update aside for good and tell the admins, in the same commit (of
        `unit`, which holds the chat)."""
        _ = translator(self.admin_locale)
        kind = next((k for k in payload if k != "update_id"), "?")
        note = _(
            "An incoming update ({kind}, no. {seq}) could not be handled after {attempts} "
            "attempts and was set aside; the chat's later messages go on. Error: {error}"
        ).format(kind=kind, seq=seq, attempts=self.max_attempts, error=error[:300])
        unit.inbox_seq = None  # not "handled": dead
        await inbox.record_failure(unit.session, seq, error, dead=True, now=dt.datetime.now(dt.UTC))
        for admin in sorted(self.admin_ids):
            await unit.queue_reply(admin, note)
        log.error("update %s dead-lettered: %s", seq, error)
        await unit.commit()


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
