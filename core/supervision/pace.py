"""Which items are paced (序时进度), and the office's word on it (/pace).

An item is paced by its first target when that target is cumulative
(`core.status.model.is_cumulative`: a count reached from below, "不少于2次"); the value
a department reports for it is compared with the straight line to the target. /pace
changes it through the `PaceStore` of core/supervision/interfaces.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.status.model import is_cumulative
from core.supervision.interfaces import PaceStore
from core.text.matching import normalize_code


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
    store: PaceStore, *, code: str, paced: bool, actor_tg_id: int, now: dt.datetime
) -> PaceSet:
    """Mark an item's first target cumulative (paced) or not; audited."""
    campaign = await store.active_campaign()
    if campaign is None:
        raise PaceRefused("no_campaign")
    normal = normalize_code(code)
    item = await store.item(campaign.id, normal) if normal else None
    if item is None:
        raise PaceRefused("no_item", (normal or code)[:20])
    targets = await store.targets(item.id)
    if not targets:
        raise PaceRefused("no_target", item.code)
    new = pace_target_of(targets, paced)
    await store.set_pace_target(item.id, new)
    store.audit(
        at=now,
        actor_tg_id=actor_tg_id,
        action="pace",
        detail={
            "item_id": item.id,
            "code": item.code,
            "old": str(item.pace_target) if item.pace_target is not None else None,
            "new": str(new) if new is not None else None,
        },
    )
    await store.flush()
    return PaceSet(item.code, item.title, new, targets[0].unit)
