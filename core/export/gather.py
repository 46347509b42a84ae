"""The year-end export: everything of one campaign, read in a fixed number of queries.

`gather_export` reads a campaign's departments, bindings, reports, values, reviews and
evidence (eight queries, however many rows) into plain rows; `core.export.sheets` writes
them as the office's workbook and `core.export.package` packs it with the evidence files.
Reading is async (the database), writing is synchronous CPU work for a worker thread.

Status semantics are the status model's (`core.status.model`), shared with /status,
/overdue and the digest: an item counts as done only once its done-report is accepted in
review; done but not yet accepted is "pending review"; a returned done-report means the
work goes on. Each binding row carries the model's `Facts`, from which the workbook's
three-colour column is assessed on the export's day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.reporting.values import format_number, meets
from core.status.model import PENDING_REVIEW, Facts, effective_status
from core.text.formatting import target_text
from core.text.matching import code_key
from storage import repositories as repo
from storage.models import (
    STATUS_BLOCKED,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NOT_STARTED,
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
class ExportData:
    campaign: CampaignInfo
    departments: tuple[DepartmentRow, ...]
    bindings: tuple[BindingRow, ...]
    reports: tuple[ReportRow, ...]
    evidence: tuple[EvidenceRow, ...]


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


async def campaign_of_year(session: AsyncSession, year: int) -> Campaign | None:
    """The latest campaign of a year (an older campaign stays exportable)."""
    return await session.scalar(
        select(Campaign).where(Campaign.year == year).order_by(Campaign.id.desc()).limit(1)
    )


async def gather_export(session: AsyncSession, campaign_id: int | None = None) -> ExportData:
    """Everything the workbook shows, of the active campaign or of `campaign_id`."""
    campaign = await _campaign(session, campaign_id)
    cid = campaign.id
    departments = list(await repo.departments(session, cid))
    names = {d.id: d.name for d in departments}
    order = {d.id: position for position, d in enumerate(departments)}

    pairs: list[tuple[Binding, Item]] = [
        (binding, item)
        for binding, item in await session.execute(
            select(Binding, Item)
            .join(Item, Item.id == Binding.item_id)
            .where(Binding.campaign_id == cid)
        )
    ]
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

    # Every value of every report of the campaign: the latest ones feed the items sheet.
    report_values: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for report_id, target_id, value in await session.execute(
        select(ReportValue.report_id, ReportValue.target_id, ReportValue.value)
        .join(Report, Report.id == ReportValue.report_id)
        .join(Binding, Binding.id == Report.binding_id)
        .where(Binding.campaign_id == cid)
    ):
        report_values[report_id][target_id] = value

    binding_rows = _binding_rows(
        pairs, targets, all_targets, report_values, names, order, campaign.year
    )
    department_rows = _department_rows(departments, [b for b, _ in pairs])

    # The latest review comment of each report.
    comments: dict[int, str] = {}
    for report_id, comment in await session.execute(
        select(Review.report_id, Review.comment)
        .join(Report, Report.id == Review.report_id)
        .join(Binding, Binding.id == Report.binding_id)
        .where(Binding.campaign_id == cid)
        .order_by(Review.created_at, Review.id)
    ):
        comments[report_id] = comment or ""

    evidence_rows: list[EvidenceRow] = []
    evidence_counts: dict[int, int] = defaultdict(int)
    for evidence, created_at, department_id, code in await session.execute(
        select(Evidence, Report.created_at, Binding.department_id, Item.code)
        .join(Report, Report.id == Evidence.report_id)
        .join(Binding, Binding.id == Report.binding_id)
        .join(Item, Item.id == Binding.item_id)
        .where(Binding.campaign_id == cid)
        .order_by(Report.created_at, Report.id, Evidence.id)
    ):
        evidence_counts[evidence.report_id] += 1
        evidence_rows.append(
            EvidenceRow(
                id=evidence.id,
                report_id=evidence.report_id,
                created_at=created_at,
                department=names.get(department_id, "?"),
                code=code,
                file_name=evidence.file_name,
                kind=evidence.kind,
                mime_type=evidence.mime_type,
                size=evidence.size,
                sha256=evidence.sha256,
                stored_path=evidence.stored_path,
                reused_from_report_id=evidence.reused_from_report_id,
            )
        )

    report_rows = [
        ReportRow(
            id=report_id,
            created_at=created_at,
            department=names.get(department_id, "?"),
            department_id=department_id,
            code=code,
            status=status,
            values=values_text(
                [
                    (all_targets[tid], value)
                    for tid, value in report_values.get(report_id, {}).items()
                    if tid in all_targets
                ]
            ),
            text=text or "",
            evidence_count=evidence_counts.get(report_id, 0),
            review_state=review_state,
            review_comment=comments.get(report_id, ""),
            reporter=reporter or "",
        )
        for report_id, created_at, department_id, code, status, text, review_state, reporter in (
            await session.execute(
                select(
                    Report.id,
                    Report.created_at,
                    Binding.department_id,
                    Item.code,
                    Report.status,
                    Report.text,
                    Report.review_state,
                    User.display_name,
                )
                .join(Binding, Binding.id == Report.binding_id)
                .join(Item, Item.id == Binding.item_id)
                .outerjoin(User, User.id == Report.reporter_id)
                .where(Binding.campaign_id == cid)
                .order_by(Report.created_at, Report.id)
            )
        )
    ]
    return ExportData(
        campaign=CampaignInfo(cid, campaign.year, campaign.title, campaign.active),
        departments=tuple(department_rows),
        bindings=tuple(binding_rows),
        reports=tuple(report_rows),
        evidence=tuple(evidence_rows),
    )


def _binding_rows(
    pairs: list[tuple[Binding, Item]],
    targets: dict[int, list[Target]],
    all_targets: dict[int, Target],
    report_values: dict[int, dict[int, Decimal]],
    names: dict[int, str],
    order: dict[int, int],
    year: int | None,
) -> list[BindingRow]:
    rows: list[tuple[tuple[int, tuple[int, int, int]], BindingRow]] = []
    for binding, item in pairs:
        item_targets = targets.get(item.id, [])
        last = report_values.get(binding.last_report_id or -1, {})
        rows.append(
            (
                (order.get(binding.department_id, 1 << 20), code_key(item.code)),
                BindingRow(
                    department=names.get(binding.department_id, "?"),
                    kind=item.kind,
                    code=item.code,
                    text=item.text,
                    deadline=item.deadline,
                    score=item.score,
                    targets="；".join(
                        target_text(t.metric, t.op, t.value, t.unit) for t in item_targets
                    ),
                    status=effective_status(binding.status, binding.review_state),
                    values=values_text(
                        [(all_targets[tid], v) for tid, v in last.items() if tid in all_targets]
                    ),
                    met=judge(item_targets, last),
                    last_reported_at=binding.last_reported_at,
                    evidence_count=binding.evidence_count or 0,
                    review_state=binding.review_state,
                    facts=Facts(
                        binding.status,
                        binding.review_state,
                        item.deadline,
                        year,
                        binding.last_reported_at,
                        binding.created_at,
                    ),
                ),
            )
        )
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


def _department_rows(departments: list[Department], bindings: list[Binding]) -> list[DepartmentRow]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    last: dict[int, dt.datetime] = {}
    for binding in bindings:
        counts[binding.department_id][effective_status(binding.status, binding.review_state)] += 1
        counts[binding.department_id]["items"] += 1
        if binding.last_reported_at is not None:
            seen = last.get(binding.department_id)
            if seen is None or binding.last_reported_at > seen:
                last[binding.department_id] = binding.last_reported_at
    return [
        DepartmentRow(
            id=d.id,
            name=d.name,
            dept_class=d.dept_class,
            items=counts[d.id]["items"],
            done=counts[d.id][STATUS_DONE],
            pending_review=counts[d.id][PENDING_REVIEW],
            in_progress=counts[d.id][STATUS_IN_PROGRESS],
            not_started=counts[d.id][STATUS_NOT_STARTED],
            blocked=counts[d.id][STATUS_BLOCKED],
            last_reported_at=last.get(d.id),
        )
        for d in departments
    ]
