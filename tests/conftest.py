"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

`database_url` is parametrised over both backends. PostgreSQL is found through
DUBAN_TEST_POSTGRES_URL (default: the local server's `test` database). In CI
(CI=true) a missing PostgreSQL is an error, never a skip; on a developer's machine
without it the PostgreSQL half is skipped with the reason shown.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import Database, upgrade_database
from storage.models import Base
from tests.support.botapi import FakeBotAPI
from tests.support.duban import DubanRig

POSTGRES_URL = os.environ.get(
    "DUBAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
        timeout=5,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    name = f"duban_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc!r}"
        if IN_CI:
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "duban.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_database")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    asyncio.run(_truncate(url, tables))
    yield url


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """PostgreSQL only (emptied), for tests whose subject is the database server."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    asyncio.run(_truncate(postgres_database, tables))
    return postgres_database


async def _truncate(url: str, tables: str) -> None:
    import asyncpg

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, for tests whose subject is not the database."""
    path = tmp_path / "duban.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.close()


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api
        assert_no_person_named_in_groups(api)


def assert_no_person_named_in_groups(api: FakeBotAPI) -> None:
    """No message to a group, in any test, names a person (PRODUCT.md: no shaming).

    The names are those Duban stores (Telegram's full name) of every human who wrote.
    """
    names: set[str] = set()
    for record in api.injected:
        for value in record.update.values():
            sender = value.get("from") if isinstance(value, dict) else None
            if isinstance(sender, dict) and not sender.get("is_bot"):
                full = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
                if len(full) >= 2:
                    names.add(full)
    for message in api.sent:
        if message.chat_id is None or int(message.chat_id) >= 0:
            continue
        shown = " ".join(t for t in (message.plain_text, message.plain_caption) if t)
        leaked = [name for name in names if name in shown]
        assert not leaked, f"a group message names {leaked}: {shown[:200]}"


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    """The real bot, on both databases, with the bundled 2020 campaign imported."""
    duban = DubanRig(fake_api, database_url, tmp_path / "evidence")
    await duban.import_bundled()
    await duban.start()
    try:
        yield duban
    finally:
        await duban.close()


@pytest.fixture
async def sqlite_rig(
    sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> AsyncIterator[DubanRig]:
    """The real bot on SQLite only, for tests whose subject is not the database."""
    duban = DubanRig(fake_api, sqlite_url, tmp_path / "evidence")
    await duban.import_bundled()
    await duban.start()
    try:
        yield duban
    finally:
        await duban.close()
