"""The dashboard's reader (core/dashboard/interfaces.py) on the database.

`SqlDashboard` reads through the session the web server opened for one request (it
never writes nor commits). Each method is the one query (or the screens' shared query:
`core.reporting.reports`, `core.oversight.overview`, `core.supervision.extensions`)
the read model needs, so a screen costs what it did before the move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.dashboard.interfaces import ColourGroup, DepartmentInfo, TrendSource
from core.dashboard.queries import BindingRef, EvidenceFile
from core.oversight.overview import OverdueSlice, Overview, campaign_overview, overdue_slice
from core.reporting import reports
from core.reporting.reports import HistoryEntry, ItemView
from core.status.day import Day, Reading, parse_milestones
from core.supervision.extensions import ExtensionEntry, extension_history
from storage import repositories as repo
from storage.models import (
    Binding,
    Campaign,
    Department,
    Evidence,
    Item,
    Report,
    ReportValue,
    Target,
)


def _as_date(value: object) -> dt.date:
    # SQLite's date() answers text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _evidence_file(evidence: Evidence, department_id: int) -> EvidenceFile:
    return EvidenceFile(
        evidence.id,
        evidence.report_id,
        evidence.kind,
        evidence.mime_type,
        evidence.file_name,
        evidence.size,
        evidence.stored_path,
        department_id,
    )


class SqlDashboard:
    """`DashboardReader` on `session` (a request's)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def database(self) -> str:
        return str(self.session.get_bind().engine.url)

    def local_day(self, reading: Reading, moment: Any) -> Any:
        """SQL: the local date (in the configured zone) of a UTC time column."""
        tz = reading.rules.tz
        if self.session.get_bind().dialect.name == "postgresql":
            return func.date(func.timezone(str(tz), moment))
        # SQLite keeps UTC without a zone: shift by the zone's offset now (exact for zones
        # without summer time, such as Asia/Shanghai).
        offset = reading.now.astimezone(tz).utcoffset() or dt.timedelta()
        return func.date(moment, f"{int(offset.total_seconds() // 60):+d} minutes")

    async def active_campaign(self) -> Campaign | None:
        return await repo.active_campaign(self.session)

    async def day(self, campaign: Campaign, reading: Reading) -> Day:
        return await reading.day(self.session, campaign)

    async def campaign_overview(self, campaign: Campaign, day: Day) -> Overview:
        return await campaign_overview(self.session, campaign, day=day)

    async def colour_groups(
        self,
        campaign: Campaign,
        reading: Reading,
        department_ids: Sequence[int] | None = None,
    ) -> list[ColourGroup]:
        keys: list[Any] = [
            Binding.status,
            Binding.review_state,
            Item.deadline,
            self.local_day(reading, Binding.last_reported_at),
            self.local_day(reading, Binding.created_at),
            Item.id,
            Binding.extended_due,
            Binding.rectification_due,
            Binding.progress_value,
        ]
        query = (
            select(Item.id)
            .join(Binding, Binding.item_id == Item.id)
            .where(Binding.campaign_id == campaign.id)
        )
        if department_ids is not None:
            keys.insert(0, Binding.department_id)
            query = query.where(Binding.department_id.in_(list(department_ids)))
        rows = await self.session.execute(
            query.with_only_columns(*keys, func.count()).group_by(*keys)
        )
        groups = []
        for row in rows:
            (
                status,
                review_state,
                deadline,
                reported_day,
                bound_day,
                item_id,
                extended,
                rectification,
                progress,
                count,
            ) = row[-10:]
            groups.append(
                ColourGroup(
                    department_id=row[0] if department_ids is not None else None,
                    status=status,
                    review_state=review_state,
                    deadline=deadline,
                    reported_on=_as_date(reported_day) if reported_day is not None else None,
                    bound_on=_as_date(bound_day),
                    item_id=item_id,
                    extended_due=extended,
                    rectification_due=rectification,
                    progress=progress,
                    count=int(count),
                )
            )
        return groups

    async def reports_by_day(
        self,
        campaign: Campaign,
        reading: Reading,
        scope: int | None,
        *,
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> list[tuple[dt.date, int]]:
        # One aggregate query grouped by local day, on the reports' created_at index.
        bindings = select(Binding.id).where(Binding.campaign_id == campaign.id)
        if scope is not None:
            bindings = bindings.where(Binding.department_id == scope)
        day = self.local_day(reading, Report.created_at)
        query = select(day, func.count()).where(Report.binding_id.in_(bindings.scalar_subquery()))
        if since is not None:
            query = query.where(Report.created_at >= since)
        if before is not None:
            query = query.where(Report.created_at < before)
        return [
            (_as_date(value), int(count))
            for value, count in await self.session.execute(query.group_by(day))
        ]

    async def department(self, department_id: int) -> DepartmentInfo | None:
        found = await self.session.get(Department, department_id)
        if found is None:
            return None
        return DepartmentInfo(found.id, found.name, found.dept_class, found.number)

    async def department_items(self, department_id: int) -> list[ItemView]:
        return await reports.department_items(self.session, department_id)

    async def item_bindings(self, code: str) -> list[ItemView]:
        return await reports.item_bindings(self.session, code)

    async def departments(self, department_ids: set[int]) -> dict[int, DepartmentInfo]:
        return {
            d_id: DepartmentInfo(d_id, name, dept_class, number)
            for d_id, name, dept_class, number in await self.session.execute(
                select(
                    Department.id, Department.name, Department.dept_class, Department.number
                ).where(Department.id.in_(department_ids))
            )
        }

    async def extension_history(
        self, binding_ids: Sequence[int]
    ) -> dict[int, list[ExtensionEntry]]:
        return await extension_history(self.session, list(binding_ids))

    async def overdue_slice(
        self,
        campaign: Campaign,
        day: Day,
        *,
        offset: int,
        limit: int,
        department_id: int | None,
    ) -> OverdueSlice:
        return await overdue_slice(
            self.session,
            campaign,
            day=day,
            offset=offset,
            limit=limit,
            department_id=department_id,
        )

    async def binding_ref(self, binding_id: int) -> BindingRef | None:
        row = (
            await self.session.execute(
                select(
                    Binding.id,
                    Binding.department_id,
                    Department.name,
                    Binding.campaign_id,
                    Item.code,
                    Item.title,
                )
                .join(Department, Department.id == Binding.department_id)
                .join(Item, Item.id == Binding.item_id)
                .where(Binding.id == binding_id)
            )
        ).first()
        return BindingRef(*row) if row else None

    async def history(
        self, binding_id: int, *, offset: int, limit: int
    ) -> tuple[list[HistoryEntry], int]:
        return await reports.history(self.session, binding_id, offset=offset, limit=limit)

    async def evidence_of(
        self, report_ids: Sequence[int], department_id: int
    ) -> list[EvidenceFile]:
        return [
            _evidence_file(evidence, department_id)
            for evidence in await self.session.scalars(
                select(Evidence)
                .where(Evidence.report_id.in_(list(report_ids)))
                .order_by(Evidence.id)
            )
        ]

    async def evidence_file(self, evidence_id: int) -> EvidenceFile | None:
        row = (
            await self.session.execute(
                select(Evidence, Binding.department_id)
                .join(Report, Report.id == Evidence.report_id)
                .join(Binding, Binding.id == Report.binding_id)
                .where(Evidence.id == evidence_id)
            )
        ).first()
        return _evidence_file(row[0], row[1]) if row else None

    async def trend_source(
        self, campaign: Campaign, code: str, department_ids: Sequence[int] | None
    ) -> TrendSource | None:
        item = await self.session.scalar(
            select(Item).where(Item.campaign_id == campaign.id, Item.code == code)
        )
        if item is None:
            return None
        target = await self.session.scalar(
            select(Target).where(Target.item_id == item.id).order_by(Target.position).limit(1)
        )
        if target is None:
            return None
        query = (
            select(Department.id, Department.name, Report.created_at, ReportValue.value)
            .select_from(ReportValue)
            .join(Report, Report.id == ReportValue.report_id)
            .join(Binding, Binding.id == Report.binding_id)
            .join(Department, Department.id == Binding.department_id)
            .where(ReportValue.target_id == target.id)
            .order_by(Department.id, Report.created_at, Report.id)
        )
        if department_ids is not None:
            query = query.where(Binding.department_id.in_(list(department_ids)))
        points = tuple(
            (department_id, name, at, value)
            for department_id, name, at, value in await self.session.execute(query)
        )
        return TrendSource(
            target.metric,
            target.unit,
            target.value,
            item.deadline,
            parse_milestones(item.milestones),
            item.pace_target,
            points,
        )
