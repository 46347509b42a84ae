"""The database handle: one async engine and its session factories, opened and closed once.

`Database.unit()` gives a unit of work (storage/unit.py), the one way to write and commit;
`Database.session()` a session for reading. Repositories never commit.

SQLite, which several chats now use at once (issue 19): WAL (readers never wait for the
writer), a busy timeout (another process's brief write is waited for, not an error), and
every unit of work begins `BEGIN IMMEDIATE`, taking the write lock at its first
statement instead of upgrading a read lock later, which SQLite refuses at once with
"database is locked" when another writer committed in between. Reading sessions begin
deferred. The pool (both databases) is sized by `DB_POOL_SIZE` / `DB_POOL_OVERFLOW`; a
caller that waits `DB_POOL_TIMEOUT` seconds for a connection gets a `TimeoutError` of
SQLAlchemy's, which the intake counts as transient (the update waits, it is not failed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, CursorResult, Result, event
from sqlalchemy.engine import make_url

# Re-exported (the `as` form) so handlers can name the session type, and catch a unique
# key's refusal, without importing SQLAlchemy, which they may not (pyproject.toml, TID251).
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class PoolSize:
    """Connections of one process's engine: `size` kept open, `overflow` more on demand,
    `timeout` seconds a caller waits for one before SQLAlchemy's pool TimeoutError."""

    size: int = 10
    overflow: int = 10
    timeout: float = 30.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by `_sqlite_begin` below, not by the driver (SQLAlchemy's
    # documented recipe for SQLite's transactions, aiosqlite included).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (status screens, backups) run while a report is being written;
    # busy_timeout turns a brief lock into a wait instead of an error.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
        # A file database gets a real pool (SQLAlchemy >= 2.0.38 for aiosqlite).
        engine = create_async_engine(url, echo=echo, **({} if memory else sizing))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, **sizing)


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

    def unit(self) -> UnitOfWork:
        """A unit of work: the one way to write (see storage/unit.py)."""
        from storage.unit import UnitOfWork

        return UnitOfWork(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def claims(self) -> AsyncIterator[AsyncSession]:
        """A write session for the scheduler's claims (core/scheduling/once.py), which
        commit each claim at once, before the send it guards: the documented exception to
        "only a unit of work commits" (tests/test_commit_sites.py). Begins IMMEDIATE on
        SQLite, like a unit."""
        async with self.write_sessions() as session:
            yield session

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
