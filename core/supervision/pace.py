"""Which items are paced (序时进度), and the office's word on it (/pace).

An item is paced by its first target when that target is cumulative
(`core.status.model.is_cumulative`: a count reached from below, "不少于2次"); the value
a department reports for it is compared with the straight line to the target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.status.model import is_cumulative
from core.text.matching import normalize_code
from storage import repositories as repo
from storage.models import AuditLog, Item, Target


class TargetLike(Protocol):
    @property
    def op(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def value(self) -> Decimal: ...


def pace_target_of(
    targets: Sequence[TargetLike], office_says: bool | None = None
) -> Decimal | None:
    """The first target's value when it is paced, else None."""
    if not targets:
        return None
    first = targets[0]
    return first.value if is_cumulative(first.op, first.unit, office_says) else None


class PaceRefused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PaceSet:
    code: str
    title: str
    target: Decimal | None
    unit: str


async def set_pace(
    session: AsyncSession, *, code: str, paced: bool, actor_tg_id: int, now: dt.datetime
) -> PaceSet:
    """Mark an item's first target cumulative (paced) or not; audited."""
    campaign = await repo.active_campaign(session)
    if campaign is None:
        raise PaceRefused("no_campaign")
    normal = normalize_code(code)
    item = await session.scalar(
        select(Item).where(Item.campaign_id == campaign.id, Item.code == normal)
    )
    if item is None:
        raise PaceRefused("no_item", (normal or code)[:20])
    targets = list(
        await session.scalars(
            select(Target).where(Target.item_id == item.id).order_by(Target.position)
        )
    )
    if not targets:
        raise PaceRefused("no_target", item.code)
    old = item.pace_target
    item.pace_target = pace_target_of(targets, paced)
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="pace",
            detail={
                "item_id": item.id,
                "code": item.code,
                "old": str(old) if old is not None else None,
                "new": str(item.pace_target) if item.pace_target is not None else None,
            },
        )
    )
    await session.flush()
    return PaceSet(item.code, item.title, item.pace_target, targets[0].unit)
