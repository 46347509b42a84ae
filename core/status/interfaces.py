"""What reading the day needs from storage, as narrow Protocols (issue 19, point 5).

A campaign as plain values (`CampaignRef`), and its items' schedule (`DayReader`): what
`core.status.day` turns into the `Day` of an update or job. `core.status.sql.SqlDay`
reads it from the database; unit tests pass a fake. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class CampaignRef:
    """A campaign as the status model and the reading screens need it."""

    id: int
    title: str
    year: int | None
    starts_on: dt.date | None


@dataclass(frozen=True)
class ItemSchedule:
    """One item's dated steps (oldest first) and its pace target, if it has either."""

    item_id: int
    milestones: tuple[dt.date, ...] = ()
    pace_target: Decimal | None = None


class DayReader(Protocol):
    async def schedule(self, campaign_id: int) -> list[ItemSchedule]:
        """The campaign's items with milestones or a pace target (one query)."""


class CampaignReader(Protocol):
    async def active_campaign(self) -> CampaignRef | None:
        """The active campaign, the newest if several are (one query)."""
