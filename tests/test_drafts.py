"""The draft store (storage.drafts) on both backends: save, load, drop, due time, and the
queries the persistence, the album finisher and a handover use."""

from __future__ import annotations

import datetime as dt

from storage import drafts
from storage.db import Database
from storage.drafts import DraftKey

NOW = dt.datetime(2020, 6, 1, 8, 0, tzinfo=dt.UTC)
REPORT = DraftKey(drafts.REPORT, 700, 7)


async def test_save_load_replace_drop(db: Database) -> None:
    async with db.session() as session:
        assert await drafts.load(session, REPORT) is None
        await drafts.save(session, REPORT, 1, {"code": "A5.1"}, NOW)
        await session.commit()
    async with db.session() as session:
        draft = await drafts.load(session, REPORT)
        assert draft is not None and (draft.state, draft.data) == (1, {"code": "A5.1"})
        assert draft.updated_at == NOW
        await drafts.save(session, REPORT, 3, {"code": "A5.1", "status": "done"}, NOW)
        await session.commit()
    async with db.session() as session:
        draft = await drafts.load(session, REPORT)
        assert draft is not None and draft.state == 3 and draft.data["status"] == "done"
        await drafts.drop(session, REPORT)
        await drafts.drop(session, REPORT)  # dropping what is gone is no error
        await session.commit()
    async with db.session() as session:
        assert await drafts.load(session, REPORT) is None


async def test_due_time_follows_the_last_answer(db: Database) -> None:
    async with db.session() as session:
        draft = await drafts.save(session, REPORT, 1, {}, NOW)
        timeout = dt.timedelta(minutes=10)
        assert drafts.due_at(draft, timeout) == NOW + timeout
        assert not drafts.expired(draft, NOW + timeout, timeout)
        assert drafts.expired(draft, NOW + timeout + dt.timedelta(seconds=1), timeout)


async def test_states_keys_and_a_users_drafts(db: Database) -> None:
    album_a = DraftKey(drafts.ALBUM_PREFIX + "111", 700, 7)
    album_b = DraftKey(drafts.ALBUM_PREFIX + "222", 800, 8)
    other = DraftKey(drafts.URGE, 700, 7)
    like_album = DraftKey("x" + drafts.ALBUM_PREFIX + "1", 700, 7)  # contains, not starts with
    async with db.session() as session:
        for key, state in ((REPORT, 2), (album_a, 0), (album_b, 0), (other, 1), (like_album, 0)):
            await drafts.save(session, key, state, {}, NOW)
        await session.commit()
    async with db.session() as session:
        assert await drafts.states(session, drafts.REPORT) == {(700, 7): 2}
        keys = await drafts.keys_starting(session, drafts.ALBUM_PREFIX)
        assert sorted(k.name for k in keys) == ["album:111", "album:222"]
        closed = await drafts.drop_users(
            session, 7, names=[drafts.REPORT], prefixes=[drafts.ALBUM_PREFIX]
        )
        await session.commit()
        assert closed == 2
    async with db.session() as session:
        left = {
            k
            for k in (REPORT, album_a, album_b, other, like_album)
            if await drafts.load(session, k)
        }
        assert left == {album_b, other, like_album}
