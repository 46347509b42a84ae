"""The year-end export: everything of one campaign, read in a fixed number of queries.

`open_export` reads the small parts of a campaign (its departments with their counts,
the targets, how many bindings, reports and evidence files there are) and returns an
`ExportSource` whose bindings, reports and evidence are *streamed*: each is one query
read in batches (a server-side cursor on PostgreSQL, stepped fetches on SQLite), so
at a million reports nothing is held beyond one batch. `core.export.run` feeds those
batches to the synchronous writer (`core.export.sheets`) in a worker thread;
`gather_export` reads everything into memory instead (small campaigns, tests).

Status semantics are the status model's (`core.status.model`), shared with /status,
/overdue and the digest: an item counts as done only once its done-report is accepted in
review; done but not yet accepted is "pending review"; a returned done-report means the
work goes on. Each binding row carries the model's `Facts`, from which the workbook's
three-colour column is assessed on the export's day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.reporting.values import format_number, meets
from core.scoring.records import ScoringSheets, scoring_sheets
from core.scoring.sql import SqlScoring
from core.status.counts import department_tally
from core.status.day import facts_of
from core.status.model import Facts, effective_status
from core.supervision.extensions import extensions_by_binding
from core.text.formatting import target_text
from core.text.matching import code_key
from core.yearend.records import YearEndSheets, yearend_sheets
from core.yearend.sql import SqlYearEnd
from storage import repositories as repo
from storage.models import (
    Binding,
    Campaign,
    Department,
    Evidence,
    Item,
    Report,
    ReportValue,
    Review,
    Target,
    User,
)


class NoCampaign(Exception):
    """There is no campaign to export (none at all, or no such id)."""


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    year: int | None
    title: str
    active: bool
    starts_on: dt.date | None = None  # the campaign's clock (None: 1 January)


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    name: str
    dept_class: str
    items: int
    done: int
    pending_review: int
    in_progress: int
    not_started: int
    blocked: int
    last_reported_at: dt.datetime | None
    # For the status model's department silence (never reported: counted from this).
    first_bound_at: dt.datetime | None = None

    @property
    def rate(self) -> float:
        return self.done / self.items if self.items else 0.0


@dataclass(frozen=True)
class BindingRow:
    department: str
    kind: str
    code: str
    text: str
    deadline: dt.date | None
    targets: str
    status: str  # effective (core.status.model)
    values: str  # the latest report's values, "metric 92%; ..."
    met: bool | None  # every target met / one missed / nothing to judge
    last_reported_at: dt.datetime | None
    evidence_count: int
    review_state: str
    facts: Facts  # for the three-colour warning (core.status.model.assess)
    score: Decimal | None = None  # 分值 of a table document's item (issue 14)
    extensions: str = ""  # every extension asked, decided, by whom (issue 22)


@dataclass(frozen=True)
class ReportRow:
    id: int
    created_at: dt.datetime
    department: str
    department_id: int
    code: str
    status: str  # as reported
    values: str
    text: str
    evidence_count: int
    review_state: str
    review_comment: str
    reporter: str


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    report_id: int
    created_at: dt.datetime
    department: str
    code: str
    file_name: str
    kind: str
    mime_type: str
    size: int
    sha256: str
    stored_path: str
    reused_from_report_id: int | None


@dataclass(frozen=True)
class ExportCounts:
    bindings: int
    reports: int
    evidence: int


@dataclass(frozen=True)
class ExportData:
    """What the workbook shows. `bindings`, `reports` and `evidence` are iterated once,
    in order: tuples (tests, `gather_export`) or streams fed from the database."""

    campaign: CampaignInfo
    departments: tuple[DepartmentRow, ...]
    bindings: Iterable[BindingRow]
    reports: Iterable[ReportRow]
    evidence: Iterable[EvidenceRow]
    known_counts: ExportCounts | None = None  # None: the sequences' lengths
    scoring: ScoringSheets | None = None  # issue 20: results and scoring details
    yearend: YearEndSheets | None = None  # issue 21: self-scores and the appeal log

    @property
    def counts(self) -> ExportCounts:
        if self.known_counts is not None:
            return self.known_counts
        # Without known counts the rows are in-memory sequences (gather_export).
        return ExportCounts(
            len(cast(Sequence[BindingRow], self.bindings)),
            len(cast(Sequence[ReportRow], self.reports)),
            len(cast(Sequence[EvidenceRow], self.evidence)),
        )


T = TypeVar("T")
Batches = Callable[[], AsyncIterator[list[T]]]
BATCH_ROWS = 5000


@dataclass(frozen=True)
class ExportSource:
    """A campaign ready to be written: the small parts read, the large ones streamable.

    Each of `bindings`, `reports`, `evidence` starts its query when called and yields
    lists of at most `BATCH_ROWS` rows; they share the session, so one at a time."""

    campaign: CampaignInfo
    departments: tuple[DepartmentRow, ...]
    counts: ExportCounts
    bindings: Batches[BindingRow]
    reports: Batches[ReportRow]
    evidence: Batches[EvidenceRow]
    extra: dict[str, Any] = field(default_factory=dict)
    # The 考核结果 and 评分明细 sheets (issue 20), once the campaign has a scoring scheme.
    scoring: ScoringSheets | None = None
    # 自评 and 复核记录 (issue 21), once there are self-scores or appeals.
    yearend: YearEndSheets | None = None


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


async def _campaign(session: AsyncSession, campaign_id: int | None) -> Campaign:
    if campaign_id is None:
        campaign = await repo.active_campaign(session)
    else:
        campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NoCampaign(campaign_id)
    return campaign


async def campaign_to_export(
    session: AsyncSession, campaign_id: int | None = None, *, year: int | None = None
) -> Campaign:
    """The campaign an export is of: `campaign_id`, else the latest of `year`, else the
    active one. NoCampaign when there is none."""
    if year is not None and campaign_id is None:
        campaign = await campaign_of_year(session, year)
        if campaign is None:
            raise NoCampaign(year)
        return campaign
    return await _campaign(session, campaign_id)


async def campaign_of_year(session: AsyncSession, year: int) -> Campaign | None:
    """The latest campaign of a year (an older campaign stays exportable)."""
    found: Campaign | None = await session.scalar(
        select(Campaign).where(Campaign.year == year).order_by(Campaign.id.desc()).limit(1)
    )
    return found


async def open_export(
    session: AsyncSession, campaign_id: int | None = None, *, batch_rows: int = BATCH_ROWS
) -> ExportSource:
    """The active campaign (or `campaign_id`) as an `ExportSource`: five small queries
    now (campaign, departments, per-department counts, targets, row counts), and one
    streamed query per large sheet when it is written."""
    campaign = await _campaign(session, campaign_id)
    cid, year, starts_on = campaign.id, campaign.year, campaign.starts_on
    departments = list(await repo.departments(session, cid))
    names = {d.id: d.name for d in departments}

    targets: dict[int, list[Target]] = defaultdict(list)
    all_targets: dict[int, Target] = {}
    for target in await session.scalars(
        select(Target)
        .join(Item, Item.id == Target.item_id)
        .where(Item.campaign_id == cid)
        .order_by(Target.position)
    ):
        targets[target.item_id].append(target)
        all_targets[target.id] = target

    # Per department: counts by effective status and the latest report
    # (core.status.counts, shared with /status and the digest).
    tally = await department_tally(
        session,
        department_id=Binding.department_id,
        status=Binding.status,
        review_state=Binding.review_state,
        reported_at=Binding.last_reported_at,
        bound_at=Binding.created_at,
        where=Binding.campaign_id == cid,
    )
    last = tally.last_reported_at
    department_rows = tuple(
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

    of_campaign = Binding.campaign_id == cid
    row = (
        await session.execute(
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
    export_counts = ExportCounts(int(row[0]), int(row[1]), int(row[2]))

    targets_text = {
        item_id: "；".join(target_text(t.metric, t.op, t.value, t.unit) for t in item_targets)
        for item_id, item_targets in targets.items()
    }

    def values_of(pairs: Iterable[tuple[int, Decimal]]) -> str:
        return values_text([(all_targets[tid], v) for tid, v in pairs if tid in all_targets])

    # Every extension of the campaign's bindings, in Chinese as the workbook is: few rows.
    extension_texts = await extensions_by_binding(session, cid)

    async def bindings() -> AsyncIterator[list[BindingRow]]:
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
            .where(of_campaign)
            # The overview's department order (as repo.departments sorts, NULLs included);
            # within a department the document's order of codes, sorted here.
            .order_by(Department.dept_class, Department.number, Department.id, Binding.id)
        )
        out: list[BindingRow] = []
        department: list[BindingRow] = []
        department_id: int | None = None
        async for group in _grouped(session, statement, batch_rows, key=lambda r: r[0]):
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
            item_targets = targets.get(item_id, [])
            department.append(
                BindingRow(
                    department=names.get(first[1], "?"),
                    kind=kind,
                    code=code,
                    text=item_text,
                    deadline=deadline,
                    targets=targets_text.get(item_id, ""),
                    status=effective_status(first[2], first[3]),
                    values=values_of(last_values.items()),
                    met=judge(item_targets, last_values),
                    last_reported_at=first[4],
                    evidence_count=first[5] or 0,
                    review_state=first[3],
                    # In core.status.day.FACT_COLUMNS' order.
                    facts=facts_of(
                        (first[2], first[3], deadline, first[4], first[6], role, *first[16:21]),
                        year,
                        starts_on,
                    ),
                    score=score,
                    extensions=extension_texts.get(first[0], ""),
                )
            )
        out.extend(sorted(department, key=lambda b: code_key(b.code)))
        if out:
            yield out

    async def reports() -> AsyncIterator[list[ReportRow]]:
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
            .where(of_campaign)
            .order_by(Report.created_at, Report.id)
        )
        out: list[ReportRow] = []
        async for group in _grouped(session, statement, batch_rows, key=lambda r: r[0]):
            first = group[0]
            out.append(
                ReportRow(
                    id=first[0],
                    created_at=first[1],
                    department=names.get(first[2], "?"),
                    department_id=first[2],
                    code=first[3],
                    status=first[4],
                    values=values_of((r[10], r[11]) for r in group if r[10] is not None),
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

    async def evidence() -> AsyncIterator[list[EvidenceRow]]:
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
            .where(of_campaign)
            .order_by(Report.created_at, Report.id, Evidence.id)
        )
        async for rows in _batches(session, statement, batch_rows):
            yield [
                EvidenceRow(
                    id=r[0],
                    report_id=r[1],
                    created_at=r[2],
                    department=names.get(r[3], "?"),
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

    # Scoring (issue 20): one query without a scheme, a fixed handful with one.
    scoring_store = SqlScoring(session)
    score_book = await scoring_store.book(cid) if await scoring_store.scheme(cid) else None
    return ExportSource(
        campaign=CampaignInfo(cid, campaign.year, campaign.title, campaign.active, starts_on),
        departments=department_rows,
        counts=export_counts,
        bindings=bindings,
        reports=reports,
        evidence=evidence,
        scoring=scoring_sheets(score_book) if score_book is not None else None,
        # Self-scores and appeals exist only once there is a scheme: no query before.
        yearend=await yearend_sheets(SqlYearEnd(session), cid) if score_book is not None else None,
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    """max() over a UTCDateTime column comes back without its type on SQLite."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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


async def gather_export(session: AsyncSession, campaign_id: int | None = None) -> ExportData:
    """Everything the workbook shows, read into memory (small campaigns, tests)."""
    source = await open_export(session, campaign_id)

    async def read(batches: Batches[T]) -> tuple[T, ...]:
        return tuple([row async for batch in batches() for row in batch])

    return ExportData(
        campaign=source.campaign,
        departments=source.departments,
        bindings=await read(source.bindings),
        reports=await read(source.reports),
        evidence=await read(source.evidence),
        known_counts=source.counts,
        scoring=source.scoring,
        yearend=source.yearend,
    )
