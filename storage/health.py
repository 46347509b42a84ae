"""What operations read from the database (issue 19): the state every process shares.

One statement reads the inbox's depth and oldest pending update, the dead letters, the
outbox's unsent replies, the last digest sent and the exports running, so a scrape of
/metrics or a /readyz probe costs one round trip. Each sub-select is served by an index
(inbox: (state, chat_key, seq) and (state, handled_at); outbox: (sent_at, id); exports:
(state, heartbeat_at)) except the digest's, whose table holds one row per group and day.
Counts and times only: no names, texts or ids of people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    EXPORT_RUNNING,
    INBOX_DEAD,
    INBOX_PENDING,
    DigestSent,
    ExportRun,
    InboxUpdate,
    OutboxMessage,
)


@dataclass(frozen=True)
class SharedState:
    inbox_pending: int
    inbox_oldest_pending_at: dt.datetime | None
    dead_letters: int
    outbox_pending: int
    outbox_oldest_pending_at: dt.datetime | None
    last_digest_sent_at: dt.datetime | None
    exports_running: int


async def shared_state(session: AsyncSession, *, exports_alive_since: dt.datetime) -> SharedState:
    """The shared gauges, as one statement. An export counts as running while its
    heartbeat is later than `exports_alive_since` (a dead process's run does not)."""
    oldest_seq = (
        select(func.min(InboxUpdate.seq))
        .where(InboxUpdate.state == INBOX_PENDING)
        .scalar_subquery()
    )
    oldest_outbox_id = (
        select(func.min(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None)).scalar_subquery()
    )
    row = (
        await session.execute(
            select(
                select(func.count())
                .select_from(InboxUpdate)
                .where(InboxUpdate.state == INBOX_PENDING)
                .scalar_subquery()
                .label("inbox_pending"),
                select(InboxUpdate.received_at)
                .where(InboxUpdate.seq == oldest_seq)
                .scalar_subquery()
                .label("inbox_oldest"),
                select(func.count())
                .select_from(InboxUpdate)
                .where(InboxUpdate.state == INBOX_DEAD)
                .scalar_subquery()
                .label("dead"),
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
                .scalar_subquery()
                .label("outbox_pending"),
                select(OutboxMessage.created_at)
                .where(OutboxMessage.id == oldest_outbox_id)
                .scalar_subquery()
                .label("outbox_oldest"),
                select(func.max(DigestSent.sent_at)).scalar_subquery().label("digest"),
                select(func.count())
                .select_from(ExportRun)
                .where(
                    ExportRun.state == EXPORT_RUNNING,
                    ExportRun.heartbeat_at > exports_alive_since,
                )
                .scalar_subquery()
                .label("exports"),
            )
        )
    ).one()
    return SharedState(
        inbox_pending=int(row.inbox_pending or 0),
        inbox_oldest_pending_at=row.inbox_oldest,
        dead_letters=int(row.dead or 0),
        outbox_pending=int(row.outbox_pending or 0),
        outbox_oldest_pending_at=row.outbox_oldest,
        last_digest_sent_at=row.digest,
        exports_running=int(row.exports or 0),
    )
