"""The unit of work: one session, one commit, and what waits for that commit.

Every write of Duban goes through a `UnitOfWork` (cosmicpython's pattern): the caller
opens one (`Database.unit()`), hands it to the use case, which stages its changes in
`unit.session` and ends with `await unit.commit()`. Steps that must share the
transaction run just before the commit (`before_commit`); steps that must not happen
unless it succeeded (a Telegram message, a file sent) run right after (`after_commit`).

This class is the only place that commits (tests/test_commit_sites.py fails on any
other `commit()`, `session.begin()` or `engine.begin()`, bar a short documented list).
On SQLite a unit's transaction begins `IMMEDIATE` (storage/db.py), so two units never
deadlock upgrading a read lock to a write lock ("database is locked"); plain
`Database.session()`s are for reading and begin deferred.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from types import TracebackType

    from storage.db import Database

log = logging.getLogger(__name__)
Step = Callable[[], Awaitable[Any]]


class UnitOfWork:
    """One transaction; `commit()` makes it durable, then runs what waited for it.

    Used as `async with db.unit() as unit: ...; await unit.commit()`; leaving the block
    without a commit rolls back. After a commit the unit may be used again (a second
    transaction on the same session); `commits` counts them.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._session: AsyncSession | None = None
        self._before_commit: list[Step] = []
        self._after_commit: list[Step] = []
        self.commits = 0

    @property
    def session(self) -> AsyncSession:
        """The unit's session, opened on first use (the transaction begins at its first
        statement, so a use case that downloads a file first holds no lock meanwhile)."""
        if self._session is None:
            # Sessions of write units: on SQLite they begin IMMEDIATE (storage/db.py).
            self._session = self.db.write_sessions()
        return self._session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for the use case's reads that never takes SQLite's write lock early.

        On PostgreSQL it is the unit's own session (one transaction, no second
        connection, no BEGIN and ROLLBACK of its own). On SQLite, where the unit's first
        statement takes the one write lock, it is a short deferred session, so a handler
        that reads, downloads a photo, then writes, holds no lock during the download."""
        if self.db.dialect == "postgresql":
            yield self.session
            return
        async with self.db.session() as session:
            yield session

    @property
    def committed(self) -> bool:
        return self.commits > 0

    def before_commit(self, step: Step) -> None:
        """Run `step` inside the transaction, just before the commit, in order."""
        self._before_commit.append(step)

    async def after_commit(self, step: Step) -> None:
        """Run `step` once the commit succeeded; at once if the unit is past its commit
        and has nothing new staged."""
        idle = self._session is None or not self._session.in_transaction()
        if self.committed and idle and not self._before_commit:
            await step()
        else:
            self._after_commit.append(step)

    async def _committing(self) -> None:
        """Called inside the transaction after the `before_commit` steps (subclasses)."""

    async def _committed(self) -> None:
        """Called after the commit, before the `after_commit` steps (subclasses)."""

    async def commit(self) -> None:
        """The one commit of this unit; then what waited for it, in the order asked."""
        while self._before_commit:
            steps, self._before_commit = self._before_commit, []
            for step in steps:
                await step()
        await self._committing()
        await self.session.commit()
        self.commits += 1
        await self._committed()
        waiting, self._after_commit = self._after_commit, []
        for step in waiting:
            await step()

    async def rollback(self) -> None:
        self._before_commit.clear()
        self._after_commit.clear()
        if self._session is not None:
            await self._session.rollback()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
