"""Whether an item requires evidence (PRODUCT.md: evidence is asked for where an item needs
it, not demanded for every step). Default: asked, not required; the office decides."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import AuditLog, Item


async def set_evidence_required(
    session: AsyncSession, *, code: str, required: bool, actor_tg_id: int, now: dt.datetime
) -> bool:
    """Set the item's policy in the active campaign; False when there is no such item."""
    campaign = await repo.active_campaign(session)
    if campaign is None:
        return False
    item = await session.scalar(
        select(Item).where(Item.campaign_id == campaign.id, Item.code == code)
    )
    if item is None:
        return False
    item.evidence_required = required
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="evidence_policy",
            detail={"code": code, "required": required},
        )
    )
    await session.flush()
    return True
