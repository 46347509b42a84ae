"""The daily evidence cap (issue 18, point 6): one liaison's files today, against the cap.

`check_daily_cap` is the use case: given the count's reader (`EvidenceQuotaReader`,
core/reporting/interfaces.py; `SqlEvidenceQuota` over the update's unit of work), it
refuses the next file once the sender's files of the local day reached the cap. It
reads only, before the download, so nothing is staged when it refuses.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.reporting.evidence import EvidenceRejected
from core.reporting.interfaces import EvidenceQuotaReader


def start_of_local_day(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Midnight of `now`'s day in `tz`, in UTC."""
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


async def check_daily_cap(
    quota: EvidenceQuotaReader,
    *,
    user_id: int | None,
    now: dt.datetime,
    tz: ZoneInfo,
    per_day: int,
) -> None:
    """EvidenceRejected("daily_cap") once user `user_id` sent `per_day` evidence files
    since the local midnight of `now` (a user not yet known has sent none)."""
    if user_id is None:
        return
    sent = await quota.evidence_sent_since(user_id, start_of_local_day(now, tz))
    if sent >= per_day:
        raise EvidenceRejected("daily_cap")
