"""Review (审核) of reports marked done: what awaits review, and the office's decision.

A report marked done is `pending` until office staff accept or return it. A decision
writes a `Review` row, sets the report's review state and, when the report is still its
binding's latest, the binding's too (so the item counts as done only once accepted; see
`core.status.model.effective_status`), and flushes; the caller's use case commits.
Two reviewers deciding the same report at the same moment cannot both win: the report's
state changes only from pending.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.people.roster import Recipient, liaisons_of
from core.reporting.reports import TargetView
from storage import repositories as repo
from storage.db import affected
from storage.models import (
    REVIEW_ACCEPTED,
    REVIEW_PENDING,
    REVIEW_RETURNED,
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

DECISIONS = (REVIEW_ACCEPTED, REVIEW_RETURNED)


@dataclass(frozen=True)
class PendingReport:
    report_id: int
    binding_id: int
    department_id: int
    department_name: str
    code: str
    title: str
    status: str
    text: str
    created_at: dt.datetime
    reporter_name: str
    is_latest: bool  # still the binding's latest report
    values: tuple[TargetView, ...]  # each target with the value this report gave
    evidence_count: int
    reused_count: int  # files already submitted with an earlier report


async def pending_reports(
    session: AsyncSession, *, limit: int, report_id: int | None = None
) -> tuple[list[PendingReport], int]:
    """Reports awaiting review, oldest first (at most `limit`), and how many there are.

    With `report_id`, that one report if it is pending. Four queries whatever the count.
    """
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
            Evidence.report_id, func.count(Evidence.id), func.count(Evidence.reused_from_report_id)
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


@dataclass(frozen=True)
class ReportEvidence:
    kind: str
    file_id: str
    file_name: str
    reused_from_report_id: int | None


async def report_evidence(
    session: AsyncSession, report_id: int
) -> tuple[str | None, list[ReportEvidence]]:
    """The item code of a report (None if there is no such report) and its files."""
    code = await session.scalar(
        select(Item.code)
        .join(Binding, Binding.item_id == Item.id)
        .join(Report, Report.binding_id == Binding.id)
        .where(Report.id == report_id)
    )
    if code is None:
        return None, []
    rows = await session.scalars(
        select(Evidence).where(Evidence.report_id == report_id).order_by(Evidence.id)
    )
    return code, [
        ReportEvidence(e.kind, e.file_id, e.file_name, e.reused_from_report_id) for e in rows
    ]


class ReviewFailure(StrEnum):
    NOT_FOUND = "not_found"
    ALREADY = "already"  # decided before (or by someone else just now)
    NOT_PENDING = "not_pending"  # never awaited review (not a done report)


class ReviewRefused(Exception):
    def __init__(self, failure: ReviewFailure, state: str = "") -> None:
        super().__init__(failure.value)
        self.failure = failure
        self.state = state


@dataclass(frozen=True)
class Decided:
    report_id: int
    decision: str
    comment: str
    department_id: int
    department_name: str
    code: str
    title: str
    binding_updated: bool
    liaisons: tuple[Recipient, ...]  # to be told, after the commit
    rectification_due: dt.date | None = None  # a rectification opened by this return


async def check_pending(session: AsyncSession, report_id: int) -> Report:
    """The report if it awaits review; ReviewRefused otherwise. Changes nothing."""
    report = await session.get(Report, report_id)
    if report is None:
        raise ReviewRefused(ReviewFailure.NOT_FOUND)
    if report.review_state in DECISIONS:
        raise ReviewRefused(ReviewFailure.ALREADY, report.review_state)
    if report.review_state != REVIEW_PENDING:
        raise ReviewRefused(ReviewFailure.NOT_PENDING, report.review_state)
    return report


async def decide(
    session: AsyncSession,
    *,
    report_id: int,
    decision: str,
    comment: str,
    reviewer_tg_id: int,
    now: dt.datetime,
    rectification_due: dt.date | None = None,
) -> Decided:
    """Accept or return a pending report, staged and flushed (see the module docstring).

    Returning the binding's latest report with `rectification_due` opens a rectification
    (整改) due then; accepting its latest report ends any (issue 22)."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    report = await check_pending(session, report_id)
    # Only one decision wins: the state changes only from pending.
    claimed = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.review_state == REVIEW_PENDING)
        .values(review_state=decision)
        .execution_options(synchronize_session=False)
    )
    if affected(claimed) != 1:
        # Nothing was changed: the conditional UPDATE matched no row.
        raise ReviewRefused(ReviewFailure.ALREADY)
    binding = await session.get(Binding, report.binding_id)
    assert binding is not None
    item = await session.get(Item, binding.item_id)
    department = await session.get(Department, binding.department_id)
    assert item is not None and department is not None
    reviewer = await repo.user_by_tg_id(session, reviewer_tg_id)
    session.add(
        Review(
            report_id=report_id,
            reviewer_id=reviewer.id if reviewer else None,
            decision=decision,
            comment=comment[:2000],
            created_at=now,
        )
    )
    latest = binding.last_report_id == report_id
    if latest:
        binding.review_state = decision
        if decision == REVIEW_ACCEPTED:
            binding.rectification_due = None
        elif rectification_due is not None:
            binding.rectification_due = rectification_due
            binding.rectification_measures = ""
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=reviewer_tg_id,
            action="review",
            detail={
                "report_id": report_id,
                "decision": decision,
                "rectification_due": rectification_due.isoformat()
                if rectification_due is not None and latest and decision != REVIEW_ACCEPTED
                else None,
            },
        )
    )
    liaisons = await liaisons_of(session, department.id)
    await session.flush()
    return Decided(
        report_id=report_id,
        decision=decision,
        comment=comment[:2000],
        department_id=department.id,
        department_name=department.name,
        code=item.code,
        title=item.title,
        binding_updated=latest,
        liaisons=tuple(liaisons),
        rectification_due=rectification_due if latest and decision != REVIEW_ACCEPTED else None,
    )
