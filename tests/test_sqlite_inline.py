"""SQLite in the event loop's thread (storage/sqlite_inline.py, issue 19 point 4).

What the thread per connection used to give must still hold: waiting for another
writer never stops the event loop, a writer of this process waits its turn instead of
failing, a writer held past the busy timeout fails as "database is locked" (which the
intake counts as transient), and a large result is read in batches, not all at once.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, SAWarning

from storage import repositories as repo
from storage.db import Database
from storage.models import Setting
from storage.sqlite_inline import InlineSQLiteDialect


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    # The bot is running before another process writes: its first connection has put
    # the file in WAL mode (switching needs the file to itself).
    async with database.session() as session:
        await session.execute(select(1))
    yield database
    await database.close()


def file_of(url: str) -> str:
    return url.removeprefix("sqlite+aiosqlite:///")


async def ticks_while(work: asyncio.Future[object], every: float = 0.01) -> int:
    """How often a 10 ms timer fired while `work` ran: the loop's responsiveness."""
    count = 0
    while not work.done():
        await asyncio.sleep(every)
        count += 1
    return count


async def write_setting(db: Database, key: str, value: str) -> None:
    async with db.unit() as unit:
        await repo.put_setting(unit.session, key, value)
        await unit.commit()


async def test_a_unit_waits_for_another_processs_writer_then_writes(
    sqlite_db: Database, sqlite_url: str
) -> None:
    other = sqlite3.connect(file_of(sqlite_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process (the CLI, a backup) writes
    try:
        waiting = asyncio.ensure_future(write_setting(sqlite_db, "inline-test", "1"))
        await asyncio.sleep(0.3)  # longer than SQLite's own 50 ms busy timeout
        assert not waiting.done(), "the unit did not wait for the other writer"
        other.execute("COMMIT")
        await waiting
    finally:
        other.close()
    async with sqlite_db.session() as session:
        assert await repo.get_setting(session, "inline-test") == "1"


async def test_the_loop_runs_while_the_unit_waits(sqlite_db: Database, sqlite_url: str) -> None:
    other = sqlite3.connect(file_of(sqlite_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        waiting = asyncio.ensure_future(write_setting(sqlite_db, "inline-loop", "1"))
        timer = asyncio.ensure_future(asyncio.sleep(0.4))
        ticks = await ticks_while(timer)
        assert not waiting.done()
    finally:
        other.execute("COMMIT")
        other.close()
    await waiting
    # 0.4 s of 10 ms timers while the unit waited: most of the 40 fired.
    assert ticks >= 20, ticks


async def test_a_writer_held_past_the_busy_timeout_is_database_is_locked(
    sqlite_db: Database, sqlite_url: str
) -> None:
    dialect = sqlite_db.engine.dialect
    assert isinstance(dialect, InlineSQLiteDialect)
    dialect.busy_timeout_seconds = 0.3
    other = sqlite3.connect(file_of(sqlite_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            await write_setting(sqlite_db, "inline-late", "1")
        assert 0.3 <= time.monotonic() - started < 2.0
    finally:
        other.execute("ROLLBACK")
        other.close()
    await write_setting(sqlite_db, "inline-late", "2")  # the lock was given back


async def test_two_units_of_this_process_take_turns(sqlite_db: Database) -> None:
    order: list[str] = []

    async def first() -> None:
        async with sqlite_db.unit() as unit:
            await repo.put_setting(unit.session, "turn-a", "1")
            await unit.session.flush()  # holds the write lock from here
            order.append("a wrote")
            await asyncio.sleep(0.2)  # e.g. a Telegram call inside the transaction
            order.append("a commits")
            await unit.commit()

    async def second() -> None:
        await asyncio.sleep(0.05)
        await write_setting(sqlite_db, "turn-b", "1")
        order.append("b committed")

    await asyncio.gather(first(), second())
    assert order == ["a wrote", "a commits", "b committed"]
    async with sqlite_db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Setting).where(Setting.key.like("turn-%"))
        )
    assert count == 2


async def test_a_large_result_is_streamed_in_batches(sqlite_db: Database, tmp_path: Path) -> None:
    async with sqlite_db.unit() as unit:
        for n in range(500):
            await repo.put_setting(unit.session, f"stream-{n:03}", str(n))
        await unit.commit()
    batches: list[int] = []
    async with sqlite_db.session() as session:
        result = await session.stream(
            select(Setting.key).where(Setting.key.like("stream-%")).order_by(Setting.key),
            execution_options={"yield_per": 100},
        )
        async for partition in result.partitions():
            batches.append(len(partition))
    assert sum(batches) == 500
    assert max(batches) <= 100 and len(batches) >= 5


async def test_an_abandoned_write_session_gives_the_writer_lock_back(
    sqlite_db: Database,
) -> None:
    """A write session dropped without being closed (its task gone): the pool
    terminates the connection, and the next unit can write."""
    session = sqlite_db.write_sessions()
    await repo.put_setting(session, "abandoned", "1")
    await session.flush()  # BEGIN IMMEDIATE: this process's writer lock is taken
    del session
    with pytest.warns(SAWarning, match="will be terminated"):
        gc.collect()
    await asyncio.sleep(0)
    await asyncio.wait_for(write_setting(sqlite_db, "after-abandoned", "1"), timeout=5)
    async with sqlite_db.session() as reading:
        assert await repo.get_setting(reading, "after-abandoned") == "1"
        assert await repo.get_setting(reading, "abandoned") is None  # never committed


async def test_the_wal_is_checkpointed_by_the_worker_thread_not_by_commits(
    sqlite_db: Database, sqlite_url: str
) -> None:
    async with sqlite_db.session() as session:
        connection = await session.connection()
        mode = (await connection.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar()
    assert mode == 0  # a commit never copies the WAL back in the loop's thread
    async with sqlite_db.unit() as unit:
        for n in range(300):
            await repo.put_setting(unit.session, f"wal-{n:03}", "x" * 2000)
        await unit.commit()
    wal = Path(file_of(sqlite_url) + "-wal")
    assert (await asyncio.to_thread(wal.stat)).st_size > 500_000
    done = await sqlite_db.checkpoint()
    assert done is not None
    frames, copied = done
    assert frames > 0 and copied == frames
