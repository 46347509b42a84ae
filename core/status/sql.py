"""The day's readers (core/status/interfaces.py) over a session: a campaign as plain
values and its items' schedule. Reads only."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.status.day import parse_milestones
from core.status.interfaces import CampaignRef, ItemSchedule
from storage import repositories as repo
from storage.models import Campaign, Item


def campaign_ref(campaign: Campaign) -> CampaignRef:
    return CampaignRef(campaign.id, campaign.title, campaign.year, campaign.starts_on)


class SqlDay:
    """`DayReader` and `CampaignReader` on a session (an update's, a job's or a reading one)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_campaign(self) -> CampaignRef | None:
        campaign = await repo.active_campaign(self.session)
        return campaign_ref(campaign) if campaign is not None else None

    async def schedule(self, campaign_id: int) -> list[ItemSchedule]:
        found: list[ItemSchedule] = []
        for item_id, raw, pace_target in await self.session.execute(
            select(Item.id, Item.milestones, Item.pace_target).where(
                Item.campaign_id == campaign_id
            )
        ):
            steps = parse_milestones(raw)
            if steps or pace_target is not None:
                target = Decimal(pace_target) if pace_target is not None else None
                found.append(ItemSchedule(item_id, steps, target))
        return found
