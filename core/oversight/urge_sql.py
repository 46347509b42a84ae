"""`UrgeStore` (core/oversight/interfaces.py) on the update's unit-of-work session; the
unit commits, never this module."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.digest.data import OFFICE_CHAT_KEY
from core.oversight.interfaces import BindingState, DepartmentRef
from core.oversight.urge import URGE_ACTION
from core.people.roster import Recipient, liaisons_of
from storage import repositories as repo
from storage.models import AuditLog, Binding, Department, Item


class SqlUrge:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def department(self, department_id: int) -> DepartmentRef | None:
        found = await self.session.get(Department, department_id)
        return DepartmentRef(found.id, found.name) if found is not None else None

    async def bindings(self, department_id: int) -> list[BindingState]:
        rows = await self.session.execute(
            select(Item.code, Item.title, Binding.status, Binding.review_state)
            .join(Item, Item.id == Binding.item_id)
            .where(Binding.department_id == department_id)
        )
        return [BindingState(*row) for row in rows]

    async def liaisons(self, department_id: int) -> list[Recipient]:
        return await liaisons_of(self.session, department_id)

    async def last_urged(self, department_id: int, since: dt.datetime) -> dt.datetime | None:
        rows = await self.session.execute(
            select(AuditLog.at, AuditLog.detail)
            .where(AuditLog.action == URGE_ACTION, AuditLog.at >= since)
            .order_by(AuditLog.at.desc())
        )
        # The window holds a handful of rows: filtering the JSON detail here stays portable.
        for at, detail in rows:
            if isinstance(detail, dict) and detail.get("department_id") == department_id:
                urged_at: dt.datetime = at
                return urged_at
        return None

    async def office_chat(self) -> str | None:
        return await repo.get_setting(self.session, OFFICE_CHAT_KEY)

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        self.session.add(AuditLog(at=now, actor_tg_id=actor_tg_id, action=action, detail=detail))

    async def flush(self) -> None:
        await self.session.flush()
