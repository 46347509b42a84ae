"""The office's reading screens' readers (core/oversight/interfaces.py) over a session:
`OverviewReader` (/status), `OverdueReader` (/overdue) and `CardReader` (/dept, /item).
Each method is one query (the counts grouped, the rows filtered by the status model's SQL
clauses, `core.status.clauses`), whatever the number of departments; rows come back as
plain values and the status model's `Facts`. Reads only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.oversight.interfaces import (
    DepartmentFacts,
    DepartmentFound,
    DepartmentInfo,
    OverdueCount,
    OverdueRow,
)
from core.people.sql import find_department
from core.reporting import reports
from core.reporting.reports import ItemView
from core.status.clauses import overdue_clause, past_due_clause, silent_clause
from core.status.counts import DepartmentTally, department_tally
from core.status.day import FACT_COLUMNS, Day, facts_of
from core.status.interfaces import CampaignRef
from core.status.sql import SqlDay
from core.supervision.interfaces import ExtensionEntry
from core.supervision.sql import extension_history
from storage import repositories as repo
from storage.models import Binding, Department, Item


def _info(department: Department) -> DepartmentInfo:
    return DepartmentInfo(department.id, department.name, department.number, department.dept_class)


class SqlOverview(SqlDay):
    """`OverviewReader`, `OverdueReader` and `CardReader` on a session (the update's, or a
    reading one)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)

    async def departments(self, campaign_id: int) -> list[DepartmentInfo]:
        return [_info(d) for d in await repo.departments(self.session, campaign_id)]

    async def tally(self, campaign_id: int) -> DepartmentTally:
        return await department_tally(
            self.session,
            department_id=Binding.department_id,
            status=Binding.status,
            review_state=Binding.review_state,
            reported_at=Binding.last_reported_at,
            bound_at=Binding.created_at,
            where=Binding.campaign_id == campaign_id,
        )

    async def department_facts(self, campaign: CampaignRef) -> list[DepartmentFacts]:
        rows = await self.session.execute(
            select(Binding.department_id, *FACT_COLUMNS)
            .join(Item, Item.id == Binding.item_id)
            .where(Binding.campaign_id == campaign.id)
        )
        year, starts_on = campaign.year, campaign.starts_on
        return [
            DepartmentFacts(department_id, facts_of(facts, year, starts_on))
            for department_id, *facts in rows
        ]

    async def overdue_counts(
        self, campaign: CampaignRef, day: Day, *, department_id: int | None = None
    ) -> list[OverdueCount]:
        past_due = past_due_clause(
            day.today, campaign.year, rules=day.rules, milestones=day.milestones
        )
        silent = silent_clause(day.today, day.rules)
        query = (
            select(
                Binding.department_id,
                Department.number,
                func.count(),
                func.count(case((past_due, 1))),
                func.count(case((silent, 1))),
            )
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .where(Binding.campaign_id == campaign.id, or_(past_due, silent))
            .group_by(Binding.department_id, Department.number)
        )
        if department_id is not None:
            query = query.where(Binding.department_id == department_id)
        return [
            OverdueCount(dept_id, number, int(count), int(past), int(quiet))
            for dept_id, number, count, past, quiet in await self.session.execute(query)
        ]

    async def overdue_rows(
        self, campaign: CampaignRef, day: Day, *, department_ids: Sequence[int] | None = None
    ) -> list[OverdueRow]:
        query = (
            select(
                Binding.id,
                Binding.department_id,
                Department.name,
                Department.number,
                Item.code,
                Item.title,
                *FACT_COLUMNS,
            )
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .where(
                Binding.campaign_id == campaign.id,
                overdue_clause(day.today, day.rules, campaign.year, milestones=day.milestones),
            )
        )
        if department_ids is not None:
            query = query.where(Binding.department_id.in_(list(department_ids)))
        year, starts_on = campaign.year, campaign.starts_on
        rows = await self.session.execute(query)
        return [
            OverdueRow(
                binding_id, dept_id, name, number, code, title, facts_of(facts, year, starts_on)
            )
            for binding_id, dept_id, name, number, code, title, *facts in rows
        ]

    async def find_department(self, query: str) -> DepartmentFound:
        choice = await find_department(self.session, query)
        found = _info(choice.found) if choice.found is not None else None
        return DepartmentFound(found, tuple(_info(d) for d in choice.candidates))

    async def department(self, department_id: int) -> DepartmentInfo | None:
        found = await repo.department_by_id(self.session, department_id)
        return _info(found) if found is not None else None

    async def department_items(self, department_id: int) -> list[ItemView]:
        return await reports.department_items(self.session, department_id)

    async def item_bindings(self, code: str) -> list[ItemView]:
        return await reports.item_bindings(self.session, code)

    async def extension_history(
        self, binding_ids: Sequence[int]
    ) -> dict[int, list[ExtensionEntry]]:
        return await extension_history(self.session, binding_ids)
