"""The durable inbox and outbox (issue 11), in one process, on SQLite and PostgreSQL:
arrival order per chat, redelivery, a poisoned update set aside, replies left unsent by
a dead process, housekeeping, and a group that became a supergroup."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from pathlib import Path

from sqlalchemy import select
from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.intake.housekeeping import sweep
from core.digest.data import OFFICE_CHAT_KEY
from storage import inbox, outbox
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    INBOX_DEAD,
    INBOX_HANDLED,
    ConversationDraft,
    InboxUpdate,
    OutboxMessage,
)
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig

NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
USER = u.TgUser(id=610_001, first_name="甲")
OTHER = u.TgUser(id=610_002, first_name="乙")


def _text(user: u.TgUser, update_id: int, text: str) -> dict[str, object]:
    update = u.text_message(user, text)
    update["update_id"] = update_id
    return update


async def test_inbox_orders_by_arrival_and_ignores_a_redelivery(db: Database) -> None:
    # Telegram may restart update ids: arrival order, not update_id, is the chat's order.
    async with db.session() as session:
        new = await inbox.record(
            session,
            [_text(USER, 500, "one"), _text(OTHER, 4, "other"), _text(USER, 3, "two")],
            NOW,
        )
        again = await inbox.record(session, [_text(USER, 3, "two")], NOW)
        await session.commit()
    assert (new, again) == ([USER.id, OTHER.id, USER.id], [])
    async with db.session() as session:
        assert await inbox.pending_chats(session) == {USER.id: 2, OTHER.id: 1}
        rows = await inbox.pending_of_chat(session, USER.id)
        assert [r.payload["message"]["text"] for r in rows] == ["one", "two"]
        await inbox.mark_handled(session, rows[0].seq, NOW)
        await session.commit()
    async with db.session() as session:
        assert [r.update_id for r in await inbox.pending_of_chat(session, USER.id)] == [3]
        assert await inbox.pending_count(session) == 2


def test_chat_key_of_a_button_is_the_chat_of_its_message() -> None:
    group = u.group_chat()
    press = {
        "update_id": 1,
        "callback_query": {
            "id": "q",
            "from": USER.to_dict(),
            "chat_instance": "c",
            "message": {"message_id": 5, "date": 0, "chat": group.to_dict()},
        },
    }
    assert inbox.chat_key_of(press) == group.id
    no_message = {"update_id": 2, "callback_query": {"id": "q", "from": USER.to_dict()}}
    assert inbox.chat_key_of(no_message) == USER.id
    assert inbox.chat_key_of({"update_id": 3}) == 0


async def test_a_poisoned_update_is_retried_then_set_aside_and_the_chat_goes_on(
    rig: DubanRig,
) -> None:
    assert rig.app is not None
    tries: list[int] = []

    async def explode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        tries.append(update.update_id)
        raise RuntimeError("poisoned")

    rig.app.add_handler(MessageHandler(filters.Regex("^poison$"), explode), group=-5)
    since = rig.api.mark()
    rig.inject(u.text_message(USER, "poison"))
    rig.inject(u.command(USER, "/start"))
    # The chat's next update is handled, after the poisoned one was set aside.
    await rig.api.wait_for(chat_id=USER.id, contains="/join", since=since, timeout=20)
    note = await rig.api.wait_for(chat_id=ADMIN.id, since=since, timeout=10)
    assert "尝试 3 次" in note.plain_text and "RuntimeError" in note.plain_text
    sorry = [m for m in rig.api.messages_to(USER.id) if "处理时出错了" in (m.plain_text or "")]
    assert len(sorry) == 1, "the user is told once, on the last attempt"
    assert len(tries) == 3
    await rig.api.assert_quiet(ADMIN.id, seconds=1.0)  # the admins are told once
    async with rig.session() as session:
        rows = list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.seq)))
    poisoned = [r for r in rows if r.payload["message"].get("text") == "poison"]
    assert [(r.state, r.attempts) for r in poisoned] == [(INBOX_DEAD, 3)]
    assert "poisoned" in (poisoned[0].last_error or "")
    assert all(r.state == INBOX_HANDLED for r in rows if r not in poisoned)


async def test_replies_left_unsent_by_a_dead_process_are_sent_at_start(rig: DubanRig) -> None:
    await rig.stop()
    async with rig.session() as session:
        await outbox.queue(session, USER.id, "✅ 已记录（留在发件箱）", now=NOW)
        await session.commit()
    await rig.start()
    sent = await rig.api.wait_for(chat_id=USER.id, contains="留在发件箱", timeout=10)
    assert sent.plain_text == "✅ 已记录（留在发件箱）"
    async with rig.session() as session:
        row = await session.scalar(select(OutboxMessage))
        assert row is not None and row.sent_at is not None and row.failed is None


async def test_housekeeping_prunes_old_rows_and_abandoned_staged_files(
    db: Database, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    staging = tmp_path / "evidence" / ".staging"
    staging.mkdir(parents=True)
    kept_sha, lost_sha, fresh_sha = "a" * 64, "b" * 64, "c" * 64
    for sha in (kept_sha, lost_sha, fresh_sha):
        (staging / f"{sha}.jpg").write_bytes(b"x")
    old = time.time() - 3 * 3600
    for sha in (kept_sha, lost_sha):
        os.utime(staging / f"{sha}.jpg", (old, old))
    async with db.session() as session:
        await inbox.record(session, [_text(USER, 1, "old"), _text(USER, 2, "new")], now)
        first, second = await inbox.pending_of_chat(session, USER.id)
        await inbox.mark_handled(session, first.seq, now - dt.timedelta(hours=50))
        await inbox.mark_handled(session, second.seq, now - dt.timedelta(hours=1))
        session.add(
            ConversationDraft(
                name="report",
                chat_id=USER.id,
                user_id=USER.id,
                state=3,
                data={"files": [{"sha256": kept_sha}]},
                updated_at=now - dt.timedelta(minutes=5),
            )
        )
        session.add(
            ConversationDraft(
                name="report",
                chat_id=OTHER.id,
                user_id=OTHER.id,
                state=3,
                data={},
                updated_at=now - dt.timedelta(hours=2),
            )
        )
        await session.commit()
    swept = await sweep(
        db, staging, keep=dt.timedelta(hours=48), conversation_timeout=dt.timedelta(minutes=30)
    )
    assert (swept.inbox_rows, swept.drafts, swept.staged_files) == (1, 1, 1)
    assert sorted(p.name.split(".")[0] for p in staging.iterdir()) == [kept_sha, fresh_sha]
    async with db.session() as session:
        left = list(await session.scalars(select(InboxUpdate.update_id)))
        drafts = list(await session.scalars(select(ConversationDraft.chat_id)))
    assert left == [2] and drafts == [USER.id]


async def test_a_group_upgraded_to_a_supergroup_keeps_its_digest(rig: DubanRig) -> None:
    old = u.group_chat(-4001, "督办群", type="group")
    new = u.group_chat(-1004001, "督办群")
    reply = await rig.ask(ADMIN, "/setgroup", chat=old)
    assert "本群已设为办公室群" in reply.plain_text
    migrate = u.text_message(ADMIN, "x", old)
    del migrate["message"]["text"]  # type: ignore[attr-defined]
    migrate["message"]["migrate_to_chat_id"] = new.id  # type: ignore[index]
    rig.inject(migrate)
    came = u.text_message(ADMIN, "x", new)
    del came["message"]["text"]  # type: ignore[attr-defined]
    came["message"]["migrate_from_chat_id"] = old.id  # type: ignore[index]
    rig.inject(came)
    await rig.api.wait_idle(timeout=10)
    for _ in range(50):
        async with rig.session() as session:
            if await repo.get_setting(session, OFFICE_CHAT_KEY) == str(new.id):
                break
        await _pause()
    else:
        raise AssertionError("the office group did not follow the upgrade")
    since = rig.api.mark()
    await rig.ask(ADMIN, "/digest")
    digest = await rig.api.wait_for(chat_id=new.id, since=since, timeout=20)
    assert digest.chat_id == new.id
    async with rig.session() as session:
        rows = list(await session.scalars(select(InboxUpdate)))
    moved = [r for r in rows if "migrate_to_chat_id" in r.payload["message"]]
    assert [r.state for r in moved] == [INBOX_HANDLED]


async def _pause() -> None:
    await asyncio.sleep(0.1)
