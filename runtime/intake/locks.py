"""One chat at a time in this process: the inbox worker, conversation timeouts, album jobs.

PTB serialises nothing when updates are fed to `Application.process_update` (the way
Duban feeds them), and its JobQueue runs a conversation's TIMEOUT callback and the
album-finishing job outside the inbox. All three take the chat's lock here, so a
chat's updates and its timers never interleave. Across processes (PostgreSQL) the
worker adds an advisory lock in the update's own transaction (bot/intake/work.py).

A lock is re-entrant for the task that holds it: a handler running inside the worker's
turn (same task) that asks for its own chat's lock does not wait for itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

CHAT_LOCKS_KEY = "duban_chat_locks"


class _ChatLock:
    __slots__ = ("depth", "lock", "owner", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[Any] | None = None
        self.depth = 0
        self.users = 0  # holders and waiters; the entry is dropped at zero


class ChatLocks:
    """Per-chat re-entrant locks; entries exist only while someone holds or waits."""

    def __init__(self) -> None:
        self._locks: dict[int, _ChatLock] = {}

    def busy(self, chat_id: int) -> bool:
        return chat_id in self._locks

    def waiting(self, chat_id: int) -> int:
        """How many wait for the chat's lock (for tests and metrics)."""
        entry = self._locks.get(chat_id)
        if entry is None:
            return 0
        return entry.users - (1 if entry.lock.locked() else 0)

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        entry = self._locks.get(chat_id)
        task = asyncio.current_task()
        if entry is not None and entry.owner is task and task is not None:
            entry.depth += 1
            try:
                yield
            finally:
                entry.depth -= 1
            return
        if entry is None:
            entry = self._locks[chat_id] = _ChatLock()
        entry.users += 1
        try:
            async with entry.lock:
                entry.owner, entry.depth = task, 1
                try:
                    yield
                finally:
                    entry.owner, entry.depth = None, 0
        finally:
            entry.users -= 1
            if entry.users == 0:
                self._locks.pop(chat_id, None)


def chat_locks(bot_data: Any) -> ChatLocks:
    """The application's chat locks (one set per process, kept in `bot_data`)."""
    found = bot_data.get(CHAT_LOCKS_KEY)
    if isinstance(found, ChatLocks):
        return found
    locks = ChatLocks()
    bot_data[CHAT_LOCKS_KEY] = locks
    return locks
