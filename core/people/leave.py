"""A liaison's leave (请假): no reminders to them in those days; the digest names the
department so its deputy or the office follows up.

`add_leave`, `current_and_future` and `cancel_leave` take a `LeaveStore`
(core/people/interfaces.py). `on_leave` is the shared reader the digest and the
reminders call with their own session (core.people.sql holds its query).
"""

from __future__ import annotations

import datetime as dt

from core.people.interfaces import LeavePeriod, LeaveStore
from core.people.sql import on_leave

MAX_LEAVE_DAYS = 366

__all__ = [
    "MAX_LEAVE_DAYS",
    "LeavePeriod",
    "LeaveRefused",
    "add_leave",
    "cancel_leave",
    "current_and_future",
    "on_leave",
]


class LeaveRefused(Exception):
    """reason: order, too_long, past. (A date that is not one: core.text.dates.BadDate.)"""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def add_leave(
    store: LeaveStore,
    *,
    tg_id: int,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> LeavePeriod:
    """Record a leave from `start` to `end` (both included); refused, staging nothing,
    when the dates are the wrong way round, longer than a year, or already over."""
    if end < start:
        raise LeaveRefused("order")
    if (end - start).days >= MAX_LEAVE_DAYS:
        raise LeaveRefused("too_long")
    if end < today:
        raise LeaveRefused("past")
    period = LeavePeriod(start, end)
    store.add_leave(tg_id, period, now)
    store.audit(
        at=now,
        actor_tg_id=tg_id,
        action="leave",
        detail={"start": start.isoformat(), "end": end.isoformat()},
    )
    await store.flush()
    return period


async def current_and_future(store: LeaveStore, tg_id: int, today: dt.date) -> list[LeavePeriod]:
    return await store.leaves_from(tg_id, today)


async def cancel_leave(store: LeaveStore, tg_id: int, today: dt.date, now: dt.datetime) -> int:
    """End the user's current and future leave; how many periods were removed."""
    count = await store.cancel_leaves_from(tg_id, today)
    store.audit(at=now, actor_tg_id=tg_id, action="leave_cancelled", detail={})
    await store.flush()
    return count
