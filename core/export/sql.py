"""The export's reader and its runs' store (core/export/interfaces.py) on the database.

`SqlExport` reads a campaign in a fixed number of queries: the small parts at once, and
each large sheet (bindings, reports, evidence) as one streamed query, read in batches
of plain columns (a server-side cursor on PostgreSQL, stepped fetches on SQLite; no ORM
loading per row). `SqlExportRuns` reads and stages an export run's row. Both work on the
session they are given (a unit of work's, or the export's own reading session); neither
commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.export.gather import (
    BindingRow,
    CampaignInfo,
    DepartmentRow,
    EvidenceRow,
    ExportCounts,
    ReportRow,
)
from core.export.interfaces import KeptFile, RunInfo
from core.reporting.values import format_number, meets
from core.scoring.records import ScoringSheets, scoring_sheets
from core.scoring.sql import SqlScoring
from core.status.counts import department_tally
from core.status.day import facts_of
from core.status.model import effective_status
from core.supervision.extensions import extensions_by_binding
from core.text.formatting import target_text
from core.text.matching import code_key
from core.yearend.records import YearEndSheets, yearend_sheets
from core.yearend.sql import SqlYearEnd
from storage import repositories as repo
from storage.db import affected
from storage.models import (
    EXPORT_DONE,
    EXPORT_INTERRUPTED,
    EXPORT_RUNNING,
    AuditLog,
    Binding,
    Campaign,
    Department,
    Evidence,
    ExportRun,
    Item,
    Report,
    ReportValue,
    Review,
    Target,
    User,
)


def values_text(values: list[tuple[Target, Decimal]]) -> str:
    return "；".join(
        f"{target.metric} {format_number(value)}{target.unit}"
        for target, value in sorted(values, key=lambda pair: pair[0].position)
    )


def judge(targets: list[Target], values: dict[int, Decimal]) -> bool | None:
    """False if a given value misses its target; True if every target has a value that
    meets it; None when there is nothing to judge yet."""
    if not targets:
        return None
    given = [(t, values[t.id]) for t in targets if t.id in values]
    if any(not meets(value, t.op, t.value) for t, value in given):
        return False
    return True if len(given) == len(targets) else None


@dataclass(frozen=True)
class _Context:
    """What every sheet's rows are made with: department names and the targets."""

    names: dict[int, str]
    targets: dict[int, list[Target]]  # by item id, in position order
    all_targets: dict[int, Target]  # by target id
    targets_text: dict[int, str]  # by item id

    def values_of(self, pairs: Iterable[tuple[int, Decimal]]) -> str:
        return values_text([(self.all_targets[t], v) for t, v in pairs if t in self.all_targets])


def _info(campaign: Campaign) -> CampaignInfo:
    return CampaignInfo(
        campaign.id, campaign.year, campaign.title, campaign.active, campaign.starts_on
    )


class SqlExport:
    """`ExportReader` on `session`. The department names and targets are read once per
    campaign (with the departments) and kept for the streams."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._names: dict[int, dict[int, str]] = {}
        self._contexts: dict[int, _Context] = {}

    async def campaign(
        self, campaign_id: int | None = None, *, year: int | None = None
    ) -> CampaignInfo | None:
        found: Campaign | None
        if campaign_id is not None:
            found = await self.session.get(Campaign, campaign_id)
        elif year is not None:
            found = await self.session.scalar(
                select(Campaign).where(Campaign.year == year).order_by(Campaign.id.desc()).limit(1)
            )
        else:
            found = await repo.active_campaign(self.session)
        return _info(found) if found is not None else None

    async def departments(self, campaign: CampaignInfo) -> tuple[DepartmentRow, ...]:
        departments = list(await repo.departments(self.session, campaign.id))
        self._names[campaign.id] = {d.id: d.name for d in departments}
        # Per department: counts by effective status and the latest report
        # (core.status.counts, shared with /status and the digest).
        tally = await department_tally(
            self.session,
            department_id=Binding.department_id,
            status=Binding.status,
            review_state=Binding.review_state,
            reported_at=Binding.last_reported_at,
            bound_at=Binding.created_at,
            where=Binding.campaign_id == campaign.id,
        )
        last = tally.last_reported_at
        return tuple(
            DepartmentRow(
                id=d.id,
                name=d.name,
                dept_class=d.dept_class,
                items=tally.of(d.id).total,
                done=tally.of(d.id).done,
                pending_review=tally.of(d.id).pending_review,
                in_progress=tally.of(d.id).in_progress,
                not_started=tally.of(d.id).not_started,
                blocked=tally.of(d.id).blocked,
                last_reported_at=last.get(d.id),
                first_bound_at=tally.first_bound_at.get(d.id),
            )
            for d in departments
        )

    async def _context(self, campaign_id: int) -> _Context:
        if campaign_id in self._contexts:
            return self._contexts[campaign_id]
        names = self._names.get(campaign_id)
        if names is None:
            names = {
                d_id: name
                for d_id, name in await self.session.execute(
                    select(Department.id, Department.name).where(
                        Department.campaign_id == campaign_id
                    )
                )
            }
        targets: dict[int, list[Target]] = defaultdict(list)
        all_targets: dict[int, Target] = {}
        for target in await self.session.scalars(
            select(Target)
            .join(Item, Item.id == Target.item_id)
            .where(Item.campaign_id == campaign_id)
            .order_by(Target.position)
        ):
            targets[target.item_id].append(target)
            all_targets[target.id] = target
        context = _Context(
            names,
            targets,
            all_targets,
            {
                item_id: "；".join(
                    target_text(t.metric, t.op, t.value, t.unit) for t in item_targets
                )
                for item_id, item_targets in targets.items()
            },
        )
        self._contexts[campaign_id] = context
        return context

    async def counts(self, campaign_id: int) -> ExportCounts:
        of_campaign = Binding.campaign_id == campaign_id
        row = (
            await self.session.execute(
                select(
                    select(func.count()).select_from(Binding).where(of_campaign).scalar_subquery(),
                    select(func.count())
                    .select_from(Report)
                    .join(Binding, Binding.id == Report.binding_id)
                    .where(of_campaign)
                    .scalar_subquery(),
                    select(func.count())
                    .select_from(Evidence)
                    .join(Report, Report.id == Evidence.report_id)
                    .join(Binding, Binding.id == Report.binding_id)
                    .where(of_campaign)
                    .scalar_subquery(),
                )
            )
        ).one()
        return ExportCounts(int(row[0]), int(row[1]), int(row[2]))

    async def bindings(
        self, campaign: CampaignInfo, batch_rows: int
    ) -> AsyncIterator[list[BindingRow]]:
        context = await self._context(campaign.id)
        # Every extension of the campaign's bindings, in Chinese as the workbook is.
        extension_texts = await extensions_by_binding(self.session, campaign.id)
        statement = (
            select(
                Binding.id,
                Binding.department_id,
                Binding.status,
                Binding.review_state,
                Binding.last_reported_at,
                Binding.evidence_count,
                Binding.created_at,
                Item.id,
                Item.kind,
                Item.code,
                Item.text,
                Item.deadline,
                ReportValue.target_id,
                ReportValue.value,
                Item.score,
                Binding.role,
                Binding.extended_due,
                Binding.rectification_due,
                Binding.progress_value,
                Item.milestones,
                Item.pace_target,
            )
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .outerjoin(ReportValue, ReportValue.report_id == Binding.last_report_id)
            .where(Binding.campaign_id == campaign.id)
            # The overview's department order (as repo.departments sorts, NULLs included);
            # within a department the document's order of codes, sorted here.
            .order_by(Department.dept_class, Department.number, Department.id, Binding.id)
        )
        out: list[BindingRow] = []
        department: list[BindingRow] = []
        department_id: int | None = None
        async for group in _grouped(self.session, statement, batch_rows, key=lambda r: r[0]):
            first = group[0]
            item_id, kind, code, item_text, deadline = first[7:12]
            if first[1] != department_id:
                out.extend(sorted(department, key=lambda b: code_key(b.code)))
                department, department_id = [], first[1]
                if len(out) >= batch_rows:
                    yield out
                    out = []
            last_values = {r[12]: r[13] for r in group if r[12] is not None}
            score, role = first[14], first[15]
            item_targets = context.targets.get(item_id, [])
            department.append(
                BindingRow(
                    department=context.names.get(first[1], "?"),
                    kind=kind,
                    code=code,
                    text=item_text,
                    deadline=deadline,
                    targets=context.targets_text.get(item_id, ""),
                    status=effective_status(first[2], first[3]),
                    values=context.values_of(last_values.items()),
                    met=judge(item_targets, last_values),
                    last_reported_at=first[4],
                    evidence_count=first[5] or 0,
                    review_state=first[3],
                    # In core.status.day.FACT_COLUMNS' order.
                    facts=facts_of(
                        (first[2], first[3], deadline, first[4], first[6], role, *first[16:21]),
                        campaign.year,
                        campaign.starts_on,
                    ),
                    score=score,
                    extensions=extension_texts.get(first[0], ""),
                )
            )
        out.extend(sorted(department, key=lambda b: code_key(b.code)))
        if out:
            yield out

    async def reports(
        self, campaign: CampaignInfo, batch_rows: int
    ) -> AsyncIterator[list[ReportRow]]:
        context = await self._context(campaign.id)
        latest_review = aliased(Review)
        comment = (
            select(latest_review.comment)
            .where(latest_review.report_id == Report.id)
            .order_by(latest_review.created_at.desc(), latest_review.id.desc())
            .limit(1)
            .correlate(Report)
            .scalar_subquery()
        )
        evidence_count = (
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.report_id == Report.id)
            .correlate(Report)
            .scalar_subquery()
        )
        statement = (
            select(
                Report.id,
                Report.created_at,
                Binding.department_id,
                Item.code,
                Report.status,
                Report.text,
                Report.review_state,
                User.display_name,
                evidence_count,
                comment,
                ReportValue.target_id,
                ReportValue.value,
            )
            .join(Binding, Binding.id == Report.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .outerjoin(User, User.id == Report.reporter_id)
            .outerjoin(ReportValue, ReportValue.report_id == Report.id)
            .where(Binding.campaign_id == campaign.id)
            .order_by(Report.created_at, Report.id)
        )
        out: list[ReportRow] = []
        async for group in _grouped(self.session, statement, batch_rows, key=lambda r: r[0]):
            first = group[0]
            out.append(
                ReportRow(
                    id=first[0],
                    created_at=first[1],
                    department=context.names.get(first[2], "?"),
                    department_id=first[2],
                    code=first[3],
                    status=first[4],
                    values=context.values_of((r[10], r[11]) for r in group if r[10] is not None),
                    text=first[5] or "",
                    evidence_count=first[8] or 0,
                    review_state=first[6],
                    review_comment=first[9] or "",
                    reporter=first[7] or "",
                )
            )
            if len(out) >= batch_rows:
                yield out
                out = []
        if out:
            yield out

    async def evidence(
        self, campaign: CampaignInfo, batch_rows: int
    ) -> AsyncIterator[list[EvidenceRow]]:
        context = await self._context(campaign.id)
        statement = (
            select(
                Evidence.id,
                Evidence.report_id,
                Report.created_at,
                Binding.department_id,
                Item.code,
                Evidence.file_name,
                Evidence.kind,
                Evidence.mime_type,
                Evidence.size,
                Evidence.sha256,
                Evidence.stored_path,
                Evidence.reused_from_report_id,
            )
            .join(Report, Report.id == Evidence.report_id)
            .join(Binding, Binding.id == Report.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .where(Binding.campaign_id == campaign.id)
            .order_by(Report.created_at, Report.id, Evidence.id)
        )
        async for rows in _batches(self.session, statement, batch_rows):
            yield [
                EvidenceRow(
                    id=r[0],
                    report_id=r[1],
                    created_at=r[2],
                    department=context.names.get(r[3], "?"),
                    code=r[4],
                    file_name=r[5],
                    kind=r[6],
                    mime_type=r[7],
                    size=r[8],
                    sha256=r[9],
                    stored_path=r[10],
                    reused_from_report_id=r[11],
                )
                for r in rows
            ]

    async def scoring(self, campaign_id: int) -> ScoringSheets | None:
        # One query without a scheme, a fixed handful with one.
        store = SqlScoring(self.session)
        if not await store.scheme(campaign_id):
            return None
        return scoring_sheets(await store.book(campaign_id))

    async def yearend(self, campaign_id: int) -> YearEndSheets | None:
        return await yearend_sheets(SqlYearEnd(self.session), campaign_id)


async def _batches(
    session: AsyncSession, statement: Select[Any], batch_rows: int
) -> AsyncIterator[Sequence[Any]]:
    """The statement's rows, `batch_rows` at a time, from a streamed result (a
    server-side cursor on PostgreSQL; SQLite steps through the statement). Plain
    columns through the session's connection: no ORM loading per row."""
    connection = await session.connection()
    result = await connection.stream(statement.execution_options(yield_per=batch_rows))
    try:
        async for rows in result.partitions(batch_rows):
            yield rows
    finally:
        await result.close()


async def _grouped(
    session: AsyncSession,
    statement: Select[Any],
    batch_rows: int,
    *,
    key: Callable[[Any], object],
) -> AsyncIterator[list[Any]]:
    """Consecutive rows with the same key (one report and its values), across batches."""
    group: list[Any] = []
    current: object = None
    async for rows in _batches(session, statement, batch_rows):
        for row in rows:
            row_key = key(row)
            if group and row_key != current:
                yield group
                group = []
            current = row_key
            group.append(row)
    if group:
        yield group


def _run_info(run: ExportRun) -> RunInfo:
    return RunInfo(
        run.id,
        run.admin_tg_id,
        run.chat_id,
        run.message_id,
        run.campaign_id,
        run.locale,
        run.state,
        run.started_at,
    )


class SqlExportRuns:
    """`ExportRunStore` on `session` (a unit of work's: it commits, never this class).
    Conditional UPDATEs make each claim (interrupted, link spent) happen once across
    processes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_run(
        self,
        *,
        admin_tg_id: int,
        chat_id: int,
        message_id: int | None,
        campaign_id: int,
        locale: str,
        now: dt.datetime,
    ) -> int:
        run = ExportRun(
            admin_tg_id=admin_tg_id,
            chat_id=chat_id,
            message_id=message_id,
            campaign_id=campaign_id,
            locale=locale,
            state=EXPORT_RUNNING,
            started_at=now,
            heartbeat_at=now,
        )
        self.session.add(run)
        await self.session.flush()
        return run.id

    async def set_message(self, run_id: int, message_id: int) -> None:
        await self._set(run_id, message_id=message_id)

    async def run(self, run_id: int) -> RunInfo | None:
        run = await self.session.get(ExportRun, run_id)
        return _run_info(run) if run is not None else None

    async def has_running(self, admin_tg_id: int, *, beat_after: dt.datetime) -> bool:
        found = await self.session.scalar(
            select(ExportRun.id)
            .where(
                ExportRun.admin_tg_id == admin_tg_id,
                ExportRun.state == EXPORT_RUNNING,
                ExportRun.heartbeat_at > beat_after,
            )
            .limit(1)
        )
        return found is not None

    async def beat(self, run_id: int, *, rows_done: int, rows_total: int, at: dt.datetime) -> None:
        await self.session.execute(
            update(ExportRun)
            .where(ExportRun.id == run_id, ExportRun.state == EXPORT_RUNNING)
            .values(heartbeat_at=at, rows_done=rows_done, rows_total=rows_total)
            .execution_options(synchronize_session=False)
        )

    async def set_heartbeat(self, run_id: int, at: dt.datetime) -> None:
        await self.session.execute(
            update(ExportRun)
            .where(ExportRun.id == run_id, ExportRun.state == EXPORT_RUNNING)
            .values(heartbeat_at=at)
            .execution_options(synchronize_session=False)
        )

    async def finish(
        self,
        run_id: int,
        *,
        state: str,
        now: dt.datetime,
        error: str | None,
        size: int,
        file_name: str,
    ) -> None:
        await self._set(
            run_id,
            state=state,
            finished_at=now,
            heartbeat_at=now,
            error=error,
            size=size,
            file_name=file_name,
        )

    async def stale_runs(self, *, beat_before: dt.datetime) -> list[RunInfo]:
        return [
            _run_info(run)
            for run in await self.session.scalars(
                select(ExportRun).where(
                    ExportRun.state == EXPORT_RUNNING, ExportRun.heartbeat_at < beat_before
                )
            )
        ]

    async def mark_interrupted(self, run_id: int, now: dt.datetime) -> bool:
        result = await self.session.execute(
            update(ExportRun)
            .where(ExportRun.id == run_id, ExportRun.state == EXPORT_RUNNING)
            .values(state=EXPORT_INTERRUPTED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        return affected(result) == 1

    async def keep_file(
        self,
        run_id: int,
        *,
        path: str,
        file_name: str,
        size: int,
        token_sha256: str,
        expires_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        await self._set(
            run_id,
            state=EXPORT_DONE,
            finished_at=now,
            file_path=path,
            file_name=file_name,
            size=size,
            token_sha256=token_sha256,
            token_expires_at=expires_at,
        )

    async def kept_file(self, run_id: int) -> KeptFile | None:
        row = (
            await self.session.execute(
                select(
                    ExportRun.id,
                    ExportRun.admin_tg_id,
                    ExportRun.file_path,
                    ExportRun.file_name,
                    ExportRun.size,
                    ExportRun.token_expires_at,
                    ExportRun.token_used_at,
                ).where(ExportRun.id == run_id, ExportRun.token_expires_at.is_not(None))
            )
        ).first()
        return KeptFile(*row) if row is not None else None

    async def role_of(self, tg_id: int) -> str | None:
        role: str | None = await self.session.scalar(select(User.role).where(User.tg_id == tg_id))
        return role

    async def spend(self, run_id: int, now: dt.datetime) -> bool:
        spent = await self.session.execute(
            update(ExportRun)
            .where(ExportRun.id == run_id, ExportRun.token_used_at.is_(None))
            .values(token_used_at=now)
            .execution_options(synchronize_session=False)
        )
        return affected(spent) == 1

    async def forget_files(self, run_ids: list[int]) -> None:
        if run_ids:
            await self.session.execute(
                update(ExportRun)
                .where(ExportRun.id.in_(run_ids))
                .values(file_path=None)
                .execution_options(synchronize_session=False)
            )

    async def files_to_delete(self, now: dt.datetime) -> list[tuple[int, str]]:
        rows = await self.session.execute(
            select(ExportRun.id, ExportRun.file_path).where(
                ExportRun.file_path.is_not(None),
                (ExportRun.token_expires_at <= now) | ExportRun.token_used_at.is_not(None),
            )
        )
        return [(run_id, path) for run_id, path in rows]

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        self.session.add(AuditLog(at=now, actor_tg_id=actor_tg_id, action=action, detail=detail))

    async def _set(self, run_id: int, **values: object) -> None:
        await self.session.execute(
            update(ExportRun)
            .where(ExportRun.id == run_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
