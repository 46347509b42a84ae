"""A liaison's leave (请假): no reminders to them in those days; the digest names the
department so its deputy or the office follows up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import AuditLog, Leave

MAX_LEAVE_DAYS = 366


class LeaveRefused(Exception):
    """reason: order, too_long, past. (A date that is not one: core.text.dates.BadDate.)"""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LeavePeriod:
    start: dt.date
    end: dt.date


async def add_leave(
    session: AsyncSession,
    *,
    tg_id: int,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> LeavePeriod:
    if end < start:
        raise LeaveRefused("order")
    if (end - start).days >= MAX_LEAVE_DAYS:
        raise LeaveRefused("too_long")
    if end < today:
        raise LeaveRefused("past")
    session.add(Leave(user_tg_id=tg_id, start_date=start, end_date=end, created_at=now))
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=tg_id,
            action="leave",
            detail={"start": start.isoformat(), "end": end.isoformat()},
        )
    )
    await session.flush()
    return LeavePeriod(start, end)


async def current_and_future(
    session: AsyncSession, tg_id: int, today: dt.date
) -> list[LeavePeriod]:
    rows = await session.execute(
        select(Leave.start_date, Leave.end_date)
        .where(Leave.user_tg_id == tg_id, Leave.end_date >= today)
        .order_by(Leave.start_date)
    )
    return [LeavePeriod(start, end) for start, end in rows]


async def cancel_leave(session: AsyncSession, tg_id: int, today: dt.date, now: dt.datetime) -> int:
    result = await session.execute(
        delete(Leave).where(Leave.user_tg_id == tg_id, Leave.end_date >= today)
    )
    session.add(AuditLog(at=now, actor_tg_id=tg_id, action="leave_cancelled", detail={}))
    await session.flush()
    return affected(result)


async def on_leave(session: AsyncSession, tg_ids: list[int], day: dt.date) -> set[int]:
    """Which of these users are on leave on `day` (one query)."""
    if not tg_ids:
        return set()
    rows = await session.scalars(
        select(Leave.user_tg_id).where(
            Leave.user_tg_id.in_(tg_ids), Leave.start_date <= day, Leave.end_date >= day
        )
    )
    return set(rows.all())
