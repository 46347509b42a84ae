"""SQLite for the asyncio engine without a thread per connection (issue 19, point 4).

The bot's statements are small: an indexed lookup or a one-row update takes SQLite a few
microseconds. aiosqlite runs each call of each statement (cursor, execute, fetch, close,
commit, the pool's rollback) on the connection's own thread and wakes the event loop
with the answer: about 70 such hand-offs for one /items update, each costing ~18 µs of
CPU on the two threads, which is more than the statements themselves (measured in
bench/RESULTS.md, "SQLite in the event loop's thread"). This dialect is SQLAlchemy's
own pysqlite dialect, marked usable by the asyncio extension: every statement runs
synchronously in the greenlet of the awaiting coroutine, on the loop's thread.

What a thread used to give, kept:

* **Waiting for the write lock never blocks the loop.** SQLite has one writer at a
  time. Duban's units of work begin `BEGIN IMMEDIATE` (storage/db.py); here the process
  first takes an asyncio lock (one writer per process, as SQLite allows anyway), so two
  units of this process never wait for each other inside SQLite. Another process's
  writer (the CLI, a backup) is waited for by retrying `BEGIN IMMEDIATE` with asyncio
  sleeps, not with SQLite's busy handler. Past `BUSY_TIMEOUT_MS` in all it fails like
  before: "database is locked", which the intake counts as transient.
* **No checkpoint in the loop's thread.** Connections do not checkpoint the WAL when a
  commit makes it long (`wal_autocheckpoint=0`, storage/db.py): copying pages back and
  syncing the file would stall every chat. `Database.checkpoint()` does it in a worker
  thread, on a connection of its own; the intake's maintenance calls it every 15 s.
* **Only short waits inside SQLite.** The connection's own busy timeout is
  `INLINE_BUSY_TIMEOUT_MS`: a reader meets a lock only in WAL's rare edge cases
  (recovery, a truncating checkpoint), which then stall the loop at most that long.

The price: a long query (the export's, at a million reports) occupies the loop while
SQLite computes, as the Python that turns its rows into a workbook already does. The
URL stays `sqlite+aiosqlite://` (runtime/config.py); storage/db.py picks this dialect.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.util.concurrency import await_only, in_greenlet

# A lock held by another process is retried this often (doubling up to the last).
RETRY_DELAYS_SECONDS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1)
# SQLite's own busy handler, kept short: it sleeps in the loop's thread.
INLINE_BUSY_TIMEOUT_MS = 50


class WriterLock:
    """One writing transaction of this process at a time, handed over without SQLite."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.holder: object | None = None  # the DB-API connection holding it

    def _current(self) -> asyncio.Lock:
        # One lock per event loop (an engine may outlive a test's loop); a new loop
        # cannot inherit a holder, the old loop's transactions are gone with it.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self.holder = asyncio.Lock(), loop, None
        return self._lock

    def acquire(self, connection: object, timeout: float) -> None:
        """From a greenlet (a SQLAlchemy event or dialect hook): wait, without blocking
        the loop, until this process has no other writer."""
        connection = raw(connection)
        if self.holder is connection:
            return
        lock = self._current()
        if not lock.locked():  # the usual case: taken at once, no timer, no task
            await_only(lock.acquire())
            self.holder = connection
            return
        try:
            await_only(asyncio.wait_for(lock.acquire(), timeout))
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self.holder = connection

    def release(self, connection: object) -> None:
        if self._lock is not None and self.holder is raw(connection):
            self.holder = None
            self._lock.release()


def raw(connection: object) -> object:
    """The sqlite3 connection behind SQLAlchemy's pool proxy (the dialect's hooks get
    either)."""
    return getattr(connection, "dbapi_connection", connection)


async def _nothing() -> None:
    return None


def _awaited() -> None:
    """A no-op await: SQLAlchemy's `AsyncConnection.execute` insists that a statement
    awaited something (it guards against sync drivers); this one does, for a couple of
    greenlet switches and no trip through the event loop."""
    if in_greenlet():
        await_only(_nothing())


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's async results call once rows are buffered: nothing to do."""


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)


class InlineExecutionContext(SQLiteExecutionContext):
    def create_server_side_cursor(self) -> Any:
        # sqlite3 steps through a result as it is fetched: a plain cursor streams
        # (`session.stream()`, the export's million rows).
        return self._dbapi_connection.cursor()


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, run by the asyncio extension in the loop's thread (module docstring)."""

    is_async = True
    # A connection the pool finds abandoned (its owner gone without closing it) is
    # terminated, as aiosqlite's are: `do_terminate` closes it and gives back the
    # writer lock, which would otherwise stay held until the process ends.
    has_terminate = True
    supports_statement_cache = True
    supports_server_side_cursors = True
    execution_ctx_cls = InlineExecutionContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writer = WriterLock()
        self.busy_timeout_seconds = 10.0  # set by storage/db.py

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("factory", InlineConnection)
        # sqlite3's own default waits 5 s in the loop's thread before the pragmas set ours.
        kwargs.setdefault("timeout", INLINE_BUSY_TIMEOUT_MS / 1000)
        return super().connect(*args, **kwargs)

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # As SQLAlchemy's aiosqlite dialect: a file gets a real pool, memory one connection.
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def begin_immediate(self, dbapi_connection: Any) -> None:
        """`BEGIN IMMEDIATE` once this process's other writer is done, retrying while
        another process writes; the whole wait is bounded by the busy timeout. Each try
        runs with SQLite's busy handler off, so no try holds the loop; the pauses
        between tries are asyncio's. A wait that runs out is SQLAlchemy's
        OperationalError "database is locked", which the intake counts as transient."""
        deadline = time.monotonic() + self.busy_timeout_seconds
        try:
            self.writer.acquire(dbapi_connection, self.busy_timeout_seconds)
        except sqlite3.OperationalError as exc:
            raise OperationalError("BEGIN IMMEDIATE", None, exc) from None
        try:
            dbapi_connection.execute("PRAGMA busy_timeout=0")
            try:
                attempt = 0
                while True:
                    try:
                        dbapi_connection.execute("BEGIN IMMEDIATE")
                        return
                    except sqlite3.OperationalError as exc:
                        if "locked" not in str(exc) or time.monotonic() >= deadline:
                            raise OperationalError("BEGIN IMMEDIATE", None, exc) from None
                    delay = RETRY_DELAYS_SECONDS[min(attempt, len(RETRY_DELAYS_SECONDS) - 1)]
                    attempt += 1
                    await_only(asyncio.sleep(delay))
            finally:
                dbapi_connection.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")
        except BaseException:
            self.writer.release(dbapi_connection)
            raise

    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        _awaited()
        super().do_execute(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        _awaited()
        super().do_execute_no_params(cursor, statement, context)  # type: ignore[no-untyped-call]

    def do_executemany(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        _awaited()
        super().do_executemany(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]

    def do_commit(self, dbapi_connection: Any) -> None:
        try:
            super().do_commit(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            self.writer.release(dbapi_connection)

    def do_rollback(self, dbapi_connection: Any) -> None:
        try:
            super().do_rollback(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            self.writer.release(dbapi_connection)

    def do_close(self, dbapi_connection: Any) -> None:
        try:
            super().do_close(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            self.writer.release(dbapi_connection)

    def do_terminate(self, dbapi_connection: Any) -> None:
        try:
            super().do_terminate(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            self.writer.release(dbapi_connection)
