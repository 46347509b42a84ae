"""The inbox of raw Telegram updates: record on arrival, claim per chat, mark handled.

Receivers call `record` and commit before telling Telegram the updates arrived; workers
learn which chats wait (`pending_chats`), take a chat's oldest pending update while
counting the attempt in one statement (`claim_next`), and `mark_handled` it in the
transaction of the use case that handled it. Functions here flush, never commit: the
caller's unit of work decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import affected
from storage.models import INBOX_DEAD, INBOX_HANDLED, INBOX_PENDING, InboxUpdate

# Core statements for the per-update bookkeeping (the table, not the ORM entity).
TABLE: Table = cast(Table, InboxUpdate.__table__)
# Every key of an Update whose object carries a chat (message-like) or a sender.
_MESSAGE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)
_CHAT_KEYS = ("my_chat_member", "chat_member", "chat_join_request", "message_reaction")


def chat_key_of(payload: Mapping[str, Any]) -> int:
    """The chat whose order an update keeps: its chat, else its sender, else 0.

    A callback query belongs to the chat of the message its button is on, so a button
    pressed in the middle of a /report waits for the texts sent before it.
    """
    for key in _MESSAGE_KEYS + _CHAT_KEYS:
        value = payload.get(key)
        if isinstance(value, Mapping):
            chat = value.get("chat")
            if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    query = payload.get("callback_query")
    if isinstance(query, Mapping):
        message = query.get("message")
        if isinstance(message, Mapping):
            chat = message.get("chat")
            if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    for value in payload.values():
        if isinstance(value, Mapping):
            sender = value.get("from") or value.get("user")
            if isinstance(sender, Mapping) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return 0


async def record(
    session: AsyncSession, payloads: Sequence[Mapping[str, Any]], now: dt.datetime
) -> list[int]:
    """Add updates not seen yet (a redelivered update_id is ignored); the chat key of
    each new one, in arrival order."""
    rows = [
        {
            "update_id": int(p["update_id"]),
            "chat_key": chat_key_of(p),
            "payload": dict(p),
            "state": INBOX_PENDING,
            "attempts": 0,
            "received_at": now,
        }
        for p in payloads
        if isinstance(p.get("update_id"), int)
    ]
    if not rows:
        return []
    conn = await session.connection()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    # One multi-row INSERT (issue 19: a statement per batch, not per update); both
    # backends number `seq` in VALUES order, which is the arrival order. Core, not the
    # ORM's bulk path: these rows are never loaded as objects in this session.
    result = await conn.execute(
        insert(TABLE)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(TABLE.c.seq, TABLE.c.chat_key)
    )
    return [int(chat) for _seq, chat in sorted(result.all())]


async def pending_chats(session: AsyncSession, *, limit: int = 1000) -> dict[int, int]:
    """Chats with pending updates and how many each, the one waiting longest first."""
    first = func.min(InboxUpdate.seq)
    rows = await session.execute(
        select(InboxUpdate.chat_key, func.count())
        .where(InboxUpdate.state == INBOX_PENDING)
        .group_by(InboxUpdate.chat_key)
        .order_by(first)
        .limit(limit)
    )
    return {int(chat): int(count) for chat, count in rows}


@dataclass(frozen=True)
class Claimed:
    seq: int
    payload: dict[str, Any]
    attempts: int  # this one included


# The claim, built once: the chat's oldest pending update, its attempts raised by
# `:step` (1, or 0 to repeat an attempt a database failure cut short).
_OLDEST_PENDING = (
    select(func.min(TABLE.c.seq))
    .where(TABLE.c.chat_key == bindparam("of_chat"), TABLE.c.state == INBOX_PENDING)
    .scalar_subquery()
)
_CLAIM = (
    update(TABLE)
    .where(TABLE.c.seq == _OLDEST_PENDING, TABLE.c.state == INBOX_PENDING)
    .values(attempts=TABLE.c.attempts + bindparam("step"))
    .returning(TABLE.c.seq, TABLE.c.payload, TABLE.c.attempts)
)


async def claim_next(
    connection: AsyncConnection, chat_key: int, *, count_attempt: bool = True
) -> Claimed | None:
    """The chat's oldest pending update, its attempt counted (before it runs, so an update
    that kills the process is bounded too); None if the chat has none. One statement, on
    a connection whose transaction commits it before the update is handled
    (`Database.own_transaction`). `count_attempt=False` repeats an attempt the
    database's failure interrupted."""
    row = (
        await connection.execute(_CLAIM, {"of_chat": chat_key, "step": int(count_attempt)})
    ).first()
    if row is None:
        return None
    return Claimed(seq=int(row.seq), payload=dict(row.payload), attempts=int(row.attempts))


async def pending_of_chat(
    session: AsyncSession, chat_key: int, *, limit: int = 100
) -> list[InboxUpdate]:
    """A chat's pending updates in arrival order."""
    rows = await session.scalars(
        select(InboxUpdate)
        .where(InboxUpdate.state == INBOX_PENDING, InboxUpdate.chat_key == chat_key)
        .order_by(InboxUpdate.seq)
        .limit(limit)
    )
    return list(rows)


async def has_pending(session: AsyncSession, chat_key: int) -> bool:
    """Whether the chat has updates waiting (an album's job waits for its last parts)."""
    found = await session.scalar(
        select(InboxUpdate.seq)
        .where(InboxUpdate.chat_key == chat_key, InboxUpdate.state == INBOX_PENDING)
        .limit(1)
    )
    return found is not None


async def pending_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.state == INBOX_PENDING)
        )
        or 0
    )


_MARK_HANDLED = (
    update(TABLE)
    .where(TABLE.c.seq == bindparam("handled_seq"), TABLE.c.state == INBOX_PENDING)
    .values(state=INBOX_HANDLED, handled_at=bindparam("handled_now"))
)


async def mark_handled(session: AsyncSession, seq: int, now: dt.datetime) -> None:
    """The update is done with; in the transaction of the use case that handled it."""
    conn = await session.connection()
    await conn.execute(_MARK_HANDLED, {"handled_seq": seq, "handled_now": now})


async def record_failure(
    session: AsyncSession, seq: int, error: str, *, dead: bool, now: dt.datetime
) -> None:
    """Note a failed attempt; `dead` moves the update out of the way for good."""
    values: dict[str, Any] = {"last_error": error[:2000]}
    if dead:
        values.update(state=INBOX_DEAD, handled_at=now)
    await session.execute(update(InboxUpdate).where(InboxUpdate.seq == seq).values(**values))


async def prune_handled(session: AsyncSession, before: dt.datetime) -> int:
    """Forget handled updates older than `before` (dead ones stay for the office to see)."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.state == INBOX_HANDLED, InboxUpdate.handled_at < before
        )
    )
    return affected(result)


async def dead_updates(session: AsyncSession) -> list[InboxUpdate]:
    rows = await session.scalars(
        select(InboxUpdate).where(InboxUpdate.state == INBOX_DEAD).order_by(InboxUpdate.seq)
    )
    return list(rows)
