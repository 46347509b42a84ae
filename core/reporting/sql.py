"""The reporting readers and writers (core/reporting/interfaces.py) over the database.

The writer stages into the session of the update's unit of work, which alone commits.
The reader reads in the unit's `reading()` session: on SQLite a short one of its own, so
a handler that reads, then downloads a photo from Telegram, then writes, holds no
transaction during the download (a unit's transaction holds the one write lock from its
first statement on); on PostgreSQL the unit's own.

`SqlReview` (review: accept, return) reads and writes in the unit's own session: a
decision reads the report and claims it in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.people.roster import Recipient, liaisons_of
from core.reporting import reports
from core.reporting.evidence import EvidenceStore
from core.reporting.reports import ItemView, NewEvidence, Recorded, TargetView
from core.reporting.review import PendingReport, ReportEvidence, UnderReview
from storage.db import affected
from storage.models import (
    REVIEW_PENDING,
    AuditLog,
    Binding,
    Department,
    Evidence,
    Item,
    Report,
    ReportValue,
    Review,
    Target,
    User,
)
from storage.unit import UnitOfWork


class SqlReporting:
    """`ItemReader` (the unit's `reading()` sessions) and `ReportWriter` (its `session`)."""

    def __init__(self, unit: UnitOfWork, store: EvidenceStore) -> None:
        self.unit = unit
        self.store = store

    @property
    def session(self) -> AsyncSession:
        return self.unit.session

    async def department_items(self, department_id: int) -> list[ItemView]:
        async with self.unit.reading() as reading:
            return await reports.department_items(reading, department_id)

    async def own_item(self, department_id: int, code: str) -> ItemView | None:
        async with self.unit.reading() as reading:
            return await reports.own_item(reading, department_id, code)

    async def code_exists(self, code: str) -> bool:
        async with self.unit.reading() as reading:
            return await reports.code_exists(reading, code)

    async def record_report(
        self,
        *,
        reporter_tg_id: int,
        department_id: int,
        binding_id: int,
        status: str,
        values: dict[int, Decimal],
        text: str,
        evidence: Sequence[NewEvidence],
        source: str,
        now: dt.datetime,
        source_message: tuple[int, int] | None = None,
    ) -> Recorded:
        return await reports.record_report(
            self.session,
            self.store,
            reporter_tg_id=reporter_tg_id,
            department_id=department_id,
            binding_id=binding_id,
            status=status,
            values=values,
            text=text,
            evidence=evidence,
            source=source,
            now=now,
            source_message=source_message,
        )


class SqlReview:
    """`ReviewStore` (and so `ReviewReader`) on the unit's `session`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pending_reports(
        self, *, limit: int, report_id: int | None = None
    ) -> tuple[list[PendingReport], int]:
        # Four queries whatever the count: the page, then targets, values and files of it.
        session = self.session
        condition = Report.review_state == REVIEW_PENDING
        if report_id is not None:
            condition = condition & (Report.id == report_id)
        total = int(await session.scalar(select(func.count(Report.id)).where(condition)) or 0)
        rows = (
            await session.execute(
                select(Report, Binding, Department.name, Item.code, Item.title, User.display_name)
                .join(Binding, Binding.id == Report.binding_id)
                .join(Department, Department.id == Binding.department_id)
                .join(Item, Item.id == Binding.item_id)
                .outerjoin(User, User.id == Report.reporter_id)
                .where(condition)
                .order_by(Report.created_at, Report.id)
                .limit(limit)
            )
        ).all()
        if not rows:
            return [], total
        report_ids = [report.id for report, *_ in rows]
        item_ids = {binding.item_id for _, binding, *_ in rows}
        targets: dict[int, list[Target]] = defaultdict(list)
        for target in await session.scalars(
            select(Target).where(Target.item_id.in_(item_ids)).order_by(Target.position)
        ):
            targets[target.item_id].append(target)
        values: dict[tuple[int, int], Decimal] = {}
        for rid, target_id, value in await session.execute(
            select(ReportValue.report_id, ReportValue.target_id, ReportValue.value).where(
                ReportValue.report_id.in_(report_ids)
            )
        ):
            values[(rid, target_id)] = value
        evidence: dict[int, tuple[int, int]] = {}
        for rid, count, reused in await session.execute(
            select(
                Evidence.report_id,
                func.count(Evidence.id),
                func.count(Evidence.reused_from_report_id),
            )
            .where(Evidence.report_id.in_(report_ids))
            .group_by(Evidence.report_id)
        ):
            evidence[rid] = (int(count), int(reused))
        found = [
            PendingReport(
                report_id=report.id,
                binding_id=binding.id,
                department_id=binding.department_id,
                department_name=department_name,
                code=code,
                title=title,
                status=report.status,
                text=report.text or "",
                created_at=report.created_at,
                reporter_name=reporter_name or "",
                is_latest=binding.last_report_id == report.id,
                values=tuple(
                    TargetView(t.id, t.metric, t.op, t.value, t.unit, values.get((report.id, t.id)))
                    for t in targets.get(binding.item_id, [])
                ),
                evidence_count=evidence.get(report.id, (0, 0))[0],
                reused_count=evidence.get(report.id, (0, 0))[1],
            )
            for report, binding, department_name, code, title, reporter_name in rows
        ]
        return found, total

    async def report_evidence(self, report_id: int) -> tuple[str | None, list[ReportEvidence]]:
        code = await self.session.scalar(
            select(Item.code)
            .join(Binding, Binding.item_id == Item.id)
            .join(Report, Report.binding_id == Binding.id)
            .where(Report.id == report_id)
        )
        if code is None:
            return None, []
        rows = await self.session.scalars(
            select(Evidence).where(Evidence.report_id == report_id).order_by(Evidence.id)
        )
        return code, [
            ReportEvidence(e.kind, e.file_id, e.file_name, e.reused_from_report_id) for e in rows
        ]

    async def under_review(self, report_id: int) -> UnderReview | None:
        row = (
            await self.session.execute(
                select(
                    Report.review_state,
                    Binding.id,
                    Binding.last_report_id,
                    Department.id,
                    Department.name,
                    Item.code,
                    Item.title,
                )
                .join(Binding, Binding.id == Report.binding_id)
                .join(Department, Department.id == Binding.department_id)
                .join(Item, Item.id == Binding.item_id)
                .where(Report.id == report_id)
            )
        ).first()
        if row is None:
            return None
        state, binding_id, latest, department_id, department_name, code, title = row
        return UnderReview(
            report_id=report_id,
            review_state=state,
            binding_id=binding_id,
            is_latest=latest == report_id,
            department_id=department_id,
            department_name=department_name,
            code=code,
            title=title,
        )

    async def claim(self, report_id: int, decision: str) -> bool:
        claimed = await self.session.execute(
            update(Report)
            .where(Report.id == report_id, Report.review_state == REVIEW_PENDING)
            .values(review_state=decision)
            .execution_options(synchronize_session=False)
        )
        return affected(claimed) == 1

    async def add_review(
        self, *, report_id: int, reviewer_tg_id: int, decision: str, comment: str, now: dt.datetime
    ) -> None:
        reviewer = await self.session.scalar(select(User.id).where(User.tg_id == reviewer_tg_id))
        self.session.add(
            Review(
                report_id=report_id,
                reviewer_id=reviewer,
                decision=decision,
                comment=comment,
                created_at=now,
            )
        )

    async def set_binding_review(
        self,
        binding_id: int,
        state: str,
        *,
        end_rectification: bool = False,
        rectification_due: dt.date | None = None,
    ) -> None:
        values: dict[str, Any] = {"review_state": state}
        if end_rectification:
            values["rectification_due"] = None
        elif rectification_due is not None:
            values["rectification_due"] = rectification_due
            values["rectification_measures"] = ""
        await self.session.execute(update(Binding).where(Binding.id == binding_id).values(values))

    async def liaisons(self, department_id: int) -> list[Recipient]:
        return await liaisons_of(self.session, department_id)

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        self.session.add(AuditLog(at=now, actor_tg_id=actor_tg_id, action=action, detail=detail))

    async def flush(self) -> None:
        await self.session.flush()


class SqlEvidenceQuota:
    """`EvidenceQuotaReader` in the unit's `reading()` session: the count comes before
    the file's download, so on SQLite it must not begin the unit's write transaction."""

    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    async def evidence_sent_since(self, user_id: int, since: dt.datetime) -> int:
        # One query, on the reports' created_at index, then their evidence by report.
        async with self.unit.reading() as reading:
            count = await reading.scalar(
                select(func.count(Evidence.id))
                .join(Report, Evidence.report_id == Report.id)
                .where(Report.reporter_id == user_id, Report.created_at >= since)
            )
        return int(count or 0)
