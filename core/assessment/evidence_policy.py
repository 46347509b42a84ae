"""Whether an item requires evidence (PRODUCT.md: evidence is asked for where an item needs
it, not demanded for every step). Default: asked, not required; the office decides.

The use case takes an `EvidencePolicyStore` (core/assessment/interfaces.py) explicitly and never
commits; the caller's unit of work does."""

from __future__ import annotations

import datetime as dt

from core.assessment.interfaces import EvidencePolicyStore


async def set_evidence_required(
    store: EvidencePolicyStore, *, code: str, required: bool, actor_tg_id: int, now: dt.datetime
) -> bool:
    """Set the item's policy in the active campaign; False when there is no such item."""
    campaign = await store.active_campaign()
    if campaign is None:
        return False
    item = await store.item(campaign.id, code)
    if item is None:
        return False
    await store.set_evidence_required(item.id, required)
    store.log(
        "evidence_policy",
        {"code": code, "required": required},
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await store.flush()
    return True
