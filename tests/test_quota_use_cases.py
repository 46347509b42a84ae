"""The daily evidence cap (core.reporting.quota.check_daily_cap) on a recording fake of
its reader (core/reporting/interfaces.py, EvidenceQuotaReader): the liaison's files are
counted from the local midnight, and the file past the cap is refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from core.reporting.evidence import EvidenceRejected
from core.reporting.interfaces import EvidenceQuotaReader
from core.reporting.quota import check_daily_cap

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 09:30 in Shanghai on 20 May 2020; its local midnight is 16:00 UTC the day before.
NOW = dt.datetime(2020, 5, 20, 1, 30, tzinfo=dt.UTC)
MIDNIGHT = dt.datetime(2020, 5, 19, 16, 0, tzinfo=dt.UTC)


@dataclass
class RecordingQuota:
    """When each user's files were sent; every question asked noted."""

    sent: dict[int, list[dt.datetime]] = field(default_factory=dict)
    asked: list[tuple[int, dt.datetime]] = field(default_factory=list)

    async def evidence_sent_since(self, user_id: int, since: dt.datetime) -> int:
        self.asked.append((user_id, since))
        return sum(1 for at in self.sent.get(user_id, []) if at >= since)


def quota(**sent: int) -> RecordingQuota:
    """`u7=5`: user 7 sent five files this morning (after the local midnight)."""
    fake = RecordingQuota(
        {int(k.removeprefix("u")): [MIDNIGHT + dt.timedelta(hours=1)] * v for k, v in sent.items()}
    )
    reader: EvidenceQuotaReader = fake  # the fake satisfies the Protocol (mypy checks)
    assert reader is fake
    return fake


async def test_below_the_cap_the_file_is_let_through_counted_from_local_midnight() -> None:
    fake = quota(u7=4)
    await check_daily_cap(fake, user_id=7, now=NOW, tz=SHANGHAI, per_day=5)
    assert fake.asked == [(7, MIDNIGHT)]


async def test_at_the_cap_the_next_file_is_refused() -> None:
    fake = quota(u7=5, u8=0)
    with pytest.raises(EvidenceRejected) as refused:
        await check_daily_cap(fake, user_id=7, now=NOW, tz=SHANGHAI, per_day=5)
    assert refused.value.reason == "daily_cap"
    # Another liaison's count is their own.
    await check_daily_cap(fake, user_id=8, now=NOW, tz=SHANGHAI, per_day=5)


async def test_the_cap_is_per_local_day() -> None:
    # 23:59 in Shanghai counts from that day's midnight; a minute later, from the next.
    fake = quota(u7=5)
    late = dt.datetime(2020, 5, 20, 15, 59, tzinfo=dt.UTC)
    # The five files were sent at 01:00 local time on 20 May.
    with pytest.raises(EvidenceRejected):
        await check_daily_cap(fake, user_id=7, now=late, tz=SHANGHAI, per_day=5)
    next_day = late + dt.timedelta(minutes=1)
    await check_daily_cap(fake, user_id=7, now=next_day, tz=SHANGHAI, per_day=5)
    assert fake.asked[-1] == (7, next_day)


async def test_a_user_not_yet_known_is_not_counted() -> None:
    fake = quota()
    await check_daily_cap(fake, user_id=None, now=NOW, tz=SHANGHAI, per_day=0)
    assert fake.asked == []
