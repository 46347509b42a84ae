"""How much evidence one liaison sent today: the daily cap's count (issue 18, point 6)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Evidence, Report


def start_of_local_day(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Midnight of `now`'s day in `tz`, in UTC."""
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


async def evidence_sent_since(session: AsyncSession, user_id: int, since: dt.datetime) -> int:
    """Evidence files in reports by user `user_id` made since `since` (one query, on the
    reports' created_at index, then their evidence by report)."""
    count = await session.scalar(
        select(func.count(Evidence.id))
        .join(Report, Evidence.report_id == Report.id)
        .where(Report.reporter_id == user_id, Report.created_at >= since)
    )
    return int(count or 0)
