"""load_actor's short-lived cache (core.people.actors), on SQLite and PostgreSQL: a
repeated lookup issues no statement; a change to the user made through any session of
this process (another engine too, a bulk update too) is seen at once; a change the
cache cannot see (another process: here a raw SQL update) is seen once the
ACTOR_CACHE_SECONDS have passed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select, text, update

from core.people import actors
from core.people.actors import load_actor
from core.people.permissions import Role
from storage.db import Database
from storage.models import ROLE_LEADER, ROLE_LIAISON, User

TG = 660_001


async def _role(db: Database) -> Role:
    async with db.session() as session:
        actor = await load_actor(session, TG, admin_ids=frozenset(), default_locale="zh")
    return actor.role


async def test_cached_within_seconds_and_exact_within_the_process(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    assert await _role(db) is Role.STRANGER
    other = Database(database_url)  # as another part of the process (e.g. a test rig)
    try:
        async with other.session() as session:
            session.add(User(tg_id=TG, role=ROLE_LEADER))
            await session.commit()
        assert await _role(db) is Role.LEADER  # the insert was seen at once

        statements.clear()
        assert await _role(db) is Role.LEADER
        assert not [s for s in statements if "app_user" in s]  # from the cache

        async with other.session() as session:
            await session.execute(update(User).where(User.tg_id == TG).values(role=None))
            await session.commit()
        assert await _role(db) is Role.STRANGER  # a bulk update too

        # Another process's change is invisible to this process's events.
        async with other.session() as session:
            await session.execute(text(f"UPDATE app_user SET role = 'leader' WHERE tg_id = {TG}"))
            await session.commit()
        assert await _role(db) is Role.STRANGER  # still cached ...
        now = actors.time.monotonic()
        monkeypatch.setattr(
            actors.time, "monotonic", lambda: now + actors.ACTOR_CACHE_SECONDS + 0.1
        )
        assert await _role(db) is Role.LEADER  # ... for ACTOR_CACHE_SECONDS at most
    finally:
        await other.close()


async def test_a_change_in_the_same_session_is_seen(db: Database) -> None:
    async with db.session() as session:
        session.add(User(tg_id=TG, role=ROLE_LIAISON))
        await session.commit()
    assert await _role(db) is Role.STRANGER  # a liaison without a department
    async with db.session() as session:
        row = await session.scalar(select(User).where(User.tg_id == TG))
        assert row is not None
        row.role = ROLE_LEADER
        await session.flush()
        actor = await load_actor(session, TG, admin_ids=frozenset(), default_locale="zh")
        assert actor.role is Role.LEADER
        await session.commit()
    assert await _role(db) is Role.LEADER
