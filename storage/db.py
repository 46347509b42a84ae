"""The database handle: one async engine and its session factory, opened and closed once.

`Database.session()` gives one session per unit of work (one per update in the bot);
use cases commit once at their end, repositories never commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, event
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

DuplicateRow = IntegrityError  # a unique key refused the row (e.g. a campaign imported twice)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (status screens, backups) run while a report is being written;
    # busy_timeout turns a brief lock into a wait instead of an error.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """The engine and session factory of one process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work. Rolls back whatever was not committed when it ends."""
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
