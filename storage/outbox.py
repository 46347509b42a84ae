"""The outbox: replies written in a use case's transaction, sent after its commit.

`queue` adds a row to the caller's session (flushed, never committed: the use case's
commit makes the reply as durable as what it reports). A sender then sends the rows and
`mark_sent`s each one right after Telegram accepted it, so a reply goes out twice only
if the process dies between those two steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import OutboxMessage


async def queue(
    session: AsyncSession,
    chat_id: int,
    text: str,
    options: dict[str, Any] | None = None,
    *,
    now: dt.datetime,
) -> int:
    """Add a reply to send after the commit; its id."""
    row = OutboxMessage(
        chat_id=chat_id, text=text, options=dict(options or {}), created_at=now, attempts=0
    )
    session.add(row)
    await session.flush()
    return row.id


async def unsent(
    session: AsyncSession, *, ids: Sequence[int] | None = None, limit: int = 200
) -> list[OutboxMessage]:
    """Replies not sent yet (of `ids`, or all), oldest first."""
    statement = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(list(ids)))
    rows = await session.scalars(statement.order_by(OutboxMessage.id).limit(limit))
    return list(rows)


async def mark_sent(session: AsyncSession, message_id: int, now: dt.datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(sent_at=now, attempts=OutboxMessage.attempts + 1)
    )


async def mark_attempt_failed(
    session: AsyncSession, message_id: int, error: str, *, give_up: bool, now: dt.datetime
) -> None:
    """A send failed: count it; `give_up` (Telegram refused, or too many tries) ends it."""
    values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1, "failed": error[:500]}
    if give_up:
        values["sent_at"] = now
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )


async def prune_sent(session: AsyncSession, before: dt.datetime) -> int:
    result = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < before
        )
    )
    return affected(result)
