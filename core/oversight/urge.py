"""Urging (催办) a department: who is told, whether it was just urged, and the record.

An urge goes privately to the department's liaisons and, as a note naming only the
department, to the office group. Each urge is written to the audit log (action `urge`,
detail: department_id, text, liaison_count); an urge of the same department within
`REPEAT_WINDOW` of the last one asks the office to confirm first, so a double tap does
not message people twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.people.roster import Recipient, liaisons_of
from core.status.model import EFFECTIVE_ORDER, effective_status
from core.text.matching import code_key
from storage.models import AuditLog, Binding, Item

REPEAT_WINDOW = dt.timedelta(hours=1)
URGE_ACTION = "urge"


@dataclass(frozen=True)
class Outstanding:
    code: str
    title: str
    status: str  # effective


@dataclass(frozen=True)
class UrgePlan:
    department_id: int
    liaisons: tuple[Recipient, ...]
    outstanding: tuple[Outstanding, ...]  # the department's items not done, worst first
    last_urged_at: dt.datetime | None  # within REPEAT_WINDOW, else None


async def last_urge(
    session: AsyncSession, department_id: int, now: dt.datetime
) -> dt.datetime | None:
    """When the department was last urged within REPEAT_WINDOW, if it was."""
    rows = await session.execute(
        select(AuditLog.at, AuditLog.detail)
        .where(AuditLog.action == URGE_ACTION, AuditLog.at >= now - REPEAT_WINDOW)
        .order_by(AuditLog.at.desc())
    )
    # The window holds a handful of rows: filtering the JSON detail here stays portable.
    for at, detail in rows:
        if isinstance(detail, dict) and detail.get("department_id") == department_id:
            urged_at: dt.datetime = at
            return urged_at
    return None


async def plan_urge(session: AsyncSession, department_id: int, now: dt.datetime) -> UrgePlan:
    """Who would be told, about what, and whether the department was urged just now."""
    rows = await session.execute(
        select(Item.code, Item.title, Binding.status, Binding.review_state)
        .join(Item, Item.id == Binding.item_id)
        .where(Binding.department_id == department_id)
    )
    outstanding = [
        Outstanding(code, title, effective_status(status, review_state))
        for code, title, status, review_state in rows
    ]
    outstanding = [o for o in outstanding if o.status != "done"]
    outstanding.sort(key=lambda o: (EFFECTIVE_ORDER.get(o.status, 9), code_key(o.code)))
    return UrgePlan(
        department_id=department_id,
        liaisons=tuple(await liaisons_of(session, department_id)),
        outstanding=tuple(outstanding),
        last_urged_at=await last_urge(session, department_id, now),
    )


async def record_urge(
    session: AsyncSession,
    *,
    actor_tg_id: int,
    department_id: int,
    text: str,
    liaison_count: int,
    now: dt.datetime,
) -> None:
    """Write the urge to the audit log, staged and flushed; the caller commits."""
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action=URGE_ACTION,
            detail={"department_id": department_id, "text": text, "liaison_count": liaison_count},
        )
    )
    await session.flush()
