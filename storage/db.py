"""The database handle: one async engine and its session factories, opened and closed once.

`Database.unit()` gives a unit of work (storage/unit.py), the one way to write and commit;
`Database.session()` a session for reading. Repositories never commit.

SQLite, which several chats now use at once (issue 19): statements run in the event
loop's thread (storage/sqlite_inline.py: no thread hand-off per call), WAL (readers never
wait for the writer), and every unit of work begins `BEGIN IMMEDIATE`, taking the write
lock at its first statement instead of upgrading a read lock later, which SQLite refuses
at once with "database is locked" when another writer committed in between; a unit waits
for another writer (of this process or another) in asyncio, up to `BUSY_TIMEOUT_MS`.
Reading sessions begin deferred. PostgreSQL's pooled connections are pinged only after
sitting idle (`_ping_when_idle`). The pool (both databases) is sized by `DB_POOL_SIZE` /
`DB_POOL_OVERFLOW`; a caller that waits `DB_POOL_TIMEOUT` seconds for a connection gets a
`TimeoutError` of SQLAlchemy's, which the intake counts as transient (the update waits,
it is not failed).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, CursorResult, Result, event
from sqlalchemy.dialects import registry
from sqlalchemy.engine import make_url

# Re-exported (the `as` form) so handlers can name the session type, and catch a unique
# key's refusal (IntegrityError), without importing SQLAlchemy, which they may not
# (pyproject.toml, TID251).
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import Session

from storage.sqlite_inline import INLINE_BUSY_TIMEOUT_MS, InlineSQLiteDialect

if TYPE_CHECKING:
    from storage.unit import UnitOfWork


class DubanSession(Session):
    """The (sync) session class behind every session of Duban's: its own class, so the
    few session events Duban needs (the actor cache's, core/people/actors.py) listen
    here and not on SQLAlchemy's global `Session`, which other code shares."""


DuplicateRow = IntegrityError  # a unique key refused the row (e.g. a campaign imported twice)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


WRITE_OPTION = "duban_write_unit"
BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection unused this long is pinged before use (`_ping_when_idle`).
PING_AFTER_IDLE_SECONDS = 10.0
INLINE_DRIVER = "duban_inline"
registry.register(f"sqlite.{INLINE_DRIVER}", "storage.sqlite_inline", "InlineSQLiteDialect")


@dataclass(frozen=True)
class PoolSize:
    """Connections of one process's engine: `size` kept open, `overflow` more on demand,
    `timeout` seconds a caller waits for one before SQLAlchemy's pool TimeoutError."""

    size: int = 10
    overflow: int = 10
    timeout: float = 30.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by `_sqlite_begin` below, not by the driver (SQLAlchemy's
    # documented recipe for SQLite's transactions).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (status screens, backups) run while a report is being written.
    # The busy timeout is short: statements run in the loop's thread, and the wait for
    # another writer happens before BEGIN IMMEDIATE, in asyncio (storage/sqlite_inline.py).
    cursor.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")
    # WAL is kept in the file once set; switching needs the database to itself, which a
    # connection opened while another process writes would not get: ask first.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The WAL is checkpointed in a worker thread (`Database.checkpoint`), not by the
    # commit that makes it long, which runs in the event loop's thread.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _checkpoint_wal(path: str) -> tuple[int, int]:
    connection = sqlite3.connect(path, timeout=INLINE_BUSY_TIMEOUT_MS / 1000)
    try:
        _busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        connection.close()
    return int(frames), int(copied)


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(WRITE_OPTION, False):
        dialect = cast(InlineSQLiteDialect, conn.dialect)
        dialect.begin_immediate(conn.connection.dbapi_connection)
    else:
        conn.exec_driver_sql("BEGIN")


def create_engine(url: str, *, echo: bool = False, pool: PoolSize | None = None) -> AsyncEngine:
    parsed = make_url(url)
    pool = pool or PoolSize()
    sizing: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": pool.overflow,
        "pool_timeout": pool.timeout,
    }
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if not memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        # `sqlite+aiosqlite://` as configured, run in the loop's thread (sqlite_inline.py).
        inline = parsed.set(drivername=f"sqlite+{INLINE_DRIVER}")
        engine = create_async_engine(inline, echo=echo, **({} if memory else sizing))
        cast(InlineSQLiteDialect, engine.dialect).busy_timeout_seconds = BUSY_TIMEOUT_MS / 1000
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(url, echo=echo, **sizing)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a PostgreSQL connection before use only if it sat in the pool a while.

    `pool_pre_ping` costs a round trip at every checkout (three per update); a
    connection used a moment ago is alive. One idle past `PING_AFTER_IDLE_SECONDS`
    (PostgreSQL restarted, a firewall dropped it) is pinged, and replaced when the ping
    fails (SQLAlchemy's pool retries the checkout on `DisconnectionError`). A connection
    that dies between a recent use and the next one fails that transaction as a
    disconnect, which the intake counts as transient and tries again (a scheduled job's
    run meeting one fails, and the next scheduled check runs it again)."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer a ping") from exc

    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checked_out)


class Database:
    """The engine and session factories of one process."""

    def __init__(self, url: str, *, echo: bool = False, pool: PoolSize | None = None) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo, pool=pool)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=DubanSession
        )
        # The same pool; its connections carry the option that makes SQLite begin IMMEDIATE.
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self.write_sessions = async_sessionmaker(
            self.write_engine, expire_on_commit=False, sync_session_class=DubanSession
        )
        # Single statements committed on their own (`own_transaction`, PostgreSQL).
        self.autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    def unit(self) -> UnitOfWork:
        """A unit of work: the one way to write (see storage/unit.py)."""
        from storage.unit import UnitOfWork

        return UnitOfWork(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def claims(self) -> AsyncIterator[AsyncSession]:
        """A write session for the scheduler's claims (core/scheduling/sql.py), which
        commit each claim at once, before the send it guards: the documented exception to
        "only a unit of work commits" (tests/test_commit_sites.py). Begins IMMEDIATE on
        SQLite, like a unit."""
        async with self.write_sessions() as session:
            yield session

    async def checkpoint(self) -> tuple[int, int] | None:
        """SQLite: copy what the WAL holds back into the database file, in a worker
        thread on a connection of its own (PASSIVE: never waits for readers or the
        writer, does what it can now). (frames in the WAL, frames copied); None for
        PostgreSQL or an in-memory database."""
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return await asyncio.to_thread(_checkpoint_wal, str(url.database))

    @asynccontextmanager
    async def own_transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one statement that is its own transaction (the inbox's claim
        of an update, committed before the update is handled). On PostgreSQL it runs in
        autocommit: no BEGIN and COMMIT round trips (and so, should the answer be lost
        after PostgreSQL ran it, the statement stands: a claim is then counted for an
        attempt that never ran, which is the safe side of the bound on attempts). On
        SQLite it is a unit of work's `BEGIN IMMEDIATE ... COMMIT` (the process's one
        writer, storage/sqlite_inline.py), committed when the block ends without an
        error."""
        if self.dialect == "sqlite":
            async with self.unit() as unit:
                yield await unit.session.connection()
                await unit.commit()
            return
        async with self.autocommit_engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading; whatever it changed is rolled back when it ends."""
        async with self.sessions() as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply Alembic migrations (synchronously; call it outside a running event loop)."""
    from alembic import command

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


async def upgrade_database_async(url: str, revision: str = "head") -> None:
    """Apply migrations from inside an event loop (Alembic's env runs its own loop)."""
    await asyncio.to_thread(upgrade_database, url, revision)


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed. AsyncSession.execute is typed as returning a
    `Result`; for such statements it is a `CursorResult`, which counts them."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
