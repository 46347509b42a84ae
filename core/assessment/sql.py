"""The assessment administration Protocols (core/assessment/interfaces.py) on the
update's unit-of-work session: `SqlAssessment` is an `AdjustStore`, an
`EvidencePolicyStore`, a `CampaignWriter` and a `SwitchStore`. It stages and flushes; the
unit of work commits, never this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.interfaces import (
    CampaignRef,
    DepartmentRef,
    ItemRef,
    NewBinding,
    NewDepartment,
    NewItem,
    Placed,
)
from storage import repositories as repo
from storage.models import (
    ROLE_LIAISON,
    AuditLog,
    Binding,
    Campaign,
    Department,
    Invite,
    Item,
    ItemScore,
    Report,
    Target,
    User,
)

MAX_METRIC = 120


def _item(item: Item) -> ItemRef:
    return ItemRef(item.id, item.code, item.title, item.kind, item.department_id, item.deadline)


def _department(department: Department) -> DepartmentRef:
    return DepartmentRef(
        department.id,
        department.campaign_id,
        department.name,
        department.dept_class,
        tuple(department.aliases or ()),
    )


def _campaign(campaign: Campaign) -> CampaignRef:
    return CampaignRef(campaign.id, campaign.year, campaign.title)


class SqlAssessment:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------ campaigns

    async def active_campaign(self) -> CampaignRef | None:
        found = await repo.active_campaign(self.session)
        return _campaign(found) if found is not None else None

    async def campaign_by_fingerprint(self, fingerprint: str) -> CampaignRef | None:
        found = await self.session.scalar(
            select(Campaign).where(Campaign.fingerprint == fingerprint)
        )
        return _campaign(found) if found is not None else None

    async def counts(self, campaign_id: int) -> tuple[int, int, int]:
        counts = []
        for column, owner in (
            (Department.id, Department.campaign_id),
            (Item.id, Item.campaign_id),
            (Binding.id, Binding.campaign_id),
        ):
            found = await self.session.scalar(
                select(func.count(column)).where(owner == campaign_id)
            )
            counts.append(int(found or 0))
        return counts[0], counts[1], counts[2]

    async def deactivate_campaigns(self) -> None:
        await self.session.execute(update(Campaign).values(active=False))

    async def add_campaign(
        self, *, year: int | None, title: str, source_name: str, fingerprint: str, active: bool
    ) -> int:
        campaign = Campaign(
            year=year, title=title, source_name=source_name, fingerprint=fingerprint, active=active
        )
        self.session.add(campaign)
        await self.session.flush()
        return campaign.id

    async def other_departments(self, campaign_id: int) -> list[DepartmentRef]:
        found = await self.session.scalars(
            select(Department)
            .where(Department.campaign_id != campaign_id)
            .order_by(Department.campaign_id.desc())
        )
        return [_department(d) for d in found]

    async def add_departments(
        self, campaign_id: int, departments: Sequence[NewDepartment]
    ) -> list[int]:
        rows = [
            Department(
                campaign_id=campaign_id,
                number=d.number,
                name=d.name,
                dept_class=d.dept_class,
                aliases=list(d.aliases),
            )
            for d in departments
        ]
        self.session.add_all(rows)
        await self.session.flush()
        return [row.id for row in rows]

    async def add_items(self, campaign_id: int, items: Sequence[NewItem]) -> list[int]:
        rows = [
            Item(
                campaign_id=campaign_id,
                code=item.code,
                kind=item.kind,
                department_id=item.owner_id,
                position=item.position,
                title=item.title,
                text=item.text,
                deadline=item.deadline,
                score=item.score,
                standard=item.standard,
                milestones=list(item.milestones),
                pace_target=item.pace_target,
                targets=[
                    Target(
                        position=i,
                        metric=t.metric[:MAX_METRIC],
                        op=t.op,
                        value=t.value,
                        unit=t.unit,
                    )
                    for i, t in enumerate(item.targets)
                ],
            )
            for item in items
        ]
        self.session.add_all(rows)
        await self.session.flush()
        return [row.id for row in rows]

    def add_bindings(self, campaign_id: int, bindings: Sequence[NewBinding]) -> None:
        self.session.add_all(
            Binding(
                campaign_id=campaign_id,
                department_id=b.department_id,
                item_id=b.item_id,
                **({"role": b.role} if b.role is not None else {}),
            )
            for b in bindings
        )

    # ------------------------------------------------------------ items, departments

    async def item(self, campaign_id: int, code: str) -> ItemRef | None:
        found = await self.session.scalar(
            select(Item).where(Item.campaign_id == campaign_id, Item.code == code)
        )
        return _item(found) if found is not None else None

    async def items(self, campaign_id: int) -> list[ItemRef]:
        found = await self.session.scalars(select(Item).where(Item.campaign_id == campaign_id))
        return [_item(item) for item in found]

    async def department(self, department_id: int) -> DepartmentRef | None:
        found = await self.session.get(Department, department_id)
        return _department(found) if found is not None else None

    async def departments(self, campaign_id: int) -> list[DepartmentRef]:
        return [_department(d) for d in await repo.departments(self.session, campaign_id)]

    async def last_number(self, campaign_id: int) -> int | None:
        number: int | None = await self.session.scalar(
            select(func.max(Department.number)).where(Department.campaign_id == campaign_id)
        )
        return number

    async def add_department(
        self,
        *,
        campaign_id: int,
        number: int | None,
        name: str,
        dept_class: str,
        aliases: Sequence[str],
    ) -> int:
        department = Department(
            campaign_id=campaign_id,
            number=number,
            name=name,
            dept_class=dept_class,
            aliases=list(aliases),
        )
        self.session.add(department)
        await self.session.flush()
        return department.id

    # ------------------------------------------------------------ bindings

    async def binding(self, department_id: int, item_id: int) -> int | None:
        found: int | None = await self.session.scalar(
            select(Binding.id).where(
                Binding.department_id == department_id, Binding.item_id == item_id
            )
        )
        return found

    async def report_count(self, binding_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count(Report.id)).where(Report.binding_id == binding_id)
            )
            or 0
        )

    async def scored(self, binding_id: int) -> bool:
        return await self.session.get(ItemScore, binding_id) is not None

    def add_binding(self, *, campaign_id: int, department_id: int, item_id: int) -> None:
        self.session.add(
            Binding(campaign_id=campaign_id, department_id=department_id, item_id=item_id)
        )

    async def remove_binding(self, binding_id: int) -> None:
        # No ORM cascade hangs off a binding; the database's own cascades apply as before.
        await self.session.execute(delete(Binding).where(Binding.id == binding_id))

    async def set_deadline(self, item_id: int, deadline: dt.date) -> None:
        await self.session.execute(update(Item).where(Item.id == item_id).values(deadline=deadline))
        await self.session.execute(
            update(Binding).where(Binding.item_id == item_id).values(red_reported_at=None)
        )

    async def set_evidence_required(self, item_id: int, required: bool) -> None:
        await self.session.execute(
            update(Item).where(Item.id == item_id).values(evidence_required=required)
        )

    # ------------------------------------------------------------ people following

    async def placed_elsewhere(self, campaign_id: int) -> tuple[list[Placed], list[Placed]]:
        liaisons = await self.session.execute(
            select(User.id, Department.name)
            .join(Department, Department.id == User.department_id)
            .where(User.role == ROLE_LIAISON, Department.campaign_id != campaign_id)
        )
        invites = await self.session.execute(
            select(Invite.id, Department.name)
            .join(Department, Department.id == Invite.department_id)
            .where(Invite.used_by.is_(None), Department.campaign_id != campaign_id)
        )
        return [Placed(*row) for row in liaisons], [Placed(*row) for row in invites]

    async def move(
        self, *, liaisons: Sequence[int], invites: Sequence[int], department_id: int
    ) -> None:
        if liaisons:
            await self.session.execute(
                update(User).where(User.id.in_(liaisons)).values(department_id=department_id)
            )
        if invites:
            await self.session.execute(
                update(Invite).where(Invite.id.in_(invites)).values(department_id=department_id)
            )

    # ------------------------------------------------------------ audit

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int | None, now: dt.datetime
    ) -> None:
        self.session.add(AuditLog(at=now, actor_tg_id=actor_tg_id, action=action, detail=detail))

    async def flush(self) -> None:
        await self.session.flush()
