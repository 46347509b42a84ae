"""Self-assessment (自评): the window, a department's proposed scores, submit and return.

Departments report once (no 多头填报): each item's statement is pre-filled from its
latest accepted report, and the evidence already filed counts; a statement of its own is
required only for an item never accepted. A proposed score lies between 0 and the item's
points in the scheme. Submitting locks the department's self-assessment until the office
returns it with a comment. The window opens only once the scheme is confirmed, and closes
at the end of its deadline day (local time) or by `/assess close`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.people.roster import Recipient, liaisons_of
from core.text.matching import code_key, normalize_code
from core.yearend.state import (
    Acting,
    YearEndRefused,
    audit,
    ensure_not_final,
    liaisons_by_department,
    year_end,
)
from storage.models import (
    BINDING_LEAD,
    REVIEW_ACCEPTED,
    SELF_DRAFT,
    SELF_RETURNED,
    SELF_SUBMITTED,
    Binding,
    BindingPoints,
    Department,
    Item,
    Report,
    ScoringScheme,
    SelfAssessment,
    SelfScore,
    YearEnd,
)

MAX_STATEMENT = 2000


@dataclass(frozen=True)
class SelfItem:
    """One of a department's items as its self-assessment shows it."""

    binding_id: int
    code: str
    title: str
    points: Decimal | None
    accepted: bool  # its latest done-report was accepted
    prefilled: str  # the latest accepted report's text ("" if none)
    evidence: int  # evidence files already filed
    score: Decimal | None  # the proposed score, None while not given
    statement: str  # the department's own statement

    @property
    def needs_statement(self) -> bool:
        return not self.accepted and not self.statement.strip()

    @property
    def shown_statement(self) -> str:
        return self.statement or self.prefilled


@dataclass(frozen=True)
class SelfForm:
    campaign_id: int
    department_id: int
    department: str
    state: str  # SELF_DRAFT / SELF_SUBMITTED / SELF_RETURNED
    deadline: dt.date | None
    return_comment: str
    report_name: str
    items: tuple[SelfItem, ...]

    @property
    def missing(self) -> list[SelfItem]:
        """Items that still lack a score, or a statement where one is required."""
        return [i for i in self.items if i.score is None or i.needs_statement]


def window_open(row: YearEnd, today: dt.date) -> bool:
    return (
        row.self_opened_at is not None
        and row.self_closed_at is None
        and (row.self_deadline is None or today <= row.self_deadline)
    )


async def open_window(
    session: AsyncSession, campaign_id: int, deadline: dt.date, acting: Acting
) -> list[tuple[str, Recipient]]:
    """Open the window; returns (department, liaison) pairs to tell privately."""
    scheme = await session.scalar(
        select(ScoringScheme).where(ScoringScheme.campaign_id == campaign_id)
    )
    if scheme is None or scheme.confirmed_at is None:
        raise YearEndRefused("scheme_not_confirmed")
    row = await year_end(session, campaign_id)
    ensure_not_final(row)
    if deadline < acting.today:
        raise YearEndRefused("bad_deadline", deadline=deadline)
    before = row.self_deadline.isoformat() if row.self_deadline else ""
    row.self_opened_at, row.self_opened_by = acting.now, acting.tg_id
    row.self_deadline, row.self_closed_at = deadline, None
    audit(
        session,
        campaign_id,
        acting,
        "selfassess_open",
        subject="自评",
        before=before,
        after=deadline.isoformat(),
    )
    departments = await session.execute(
        select(Department.id, Department.name)
        .where(Department.campaign_id == campaign_id)
        .order_by(Department.dept_class, Department.number, Department.id)
    )
    liaisons = await liaisons_by_department(session, campaign_id)
    return [
        (name, r) for department_id, name in departments for r in liaisons.get(department_id, [])
    ]


async def close_window(session: AsyncSession, campaign_id: int, acting: Acting) -> None:
    row = await year_end(session, campaign_id)
    if row.self_opened_at is None or row.self_closed_at is not None:
        raise YearEndRefused("not_open")
    row.self_closed_at = acting.now
    audit(session, campaign_id, acting, "selfassess_close", subject="自评")


async def _assessment(
    session: AsyncSession, campaign_id: int, department_id: int
) -> SelfAssessment | None:
    row: SelfAssessment | None = await session.scalar(
        select(SelfAssessment).where(
            SelfAssessment.campaign_id == campaign_id,
            SelfAssessment.department_id == department_id,
        )
    )
    return row


async def self_form(session: AsyncSession, campaign_id: int, department_id: int) -> SelfForm:
    """The department's items with points, pre-filled statements and proposed scores."""
    department = await session.get(Department, department_id)
    if department is None or department.campaign_id != campaign_id:
        raise YearEndRefused("no_department")
    latest_accepted = (
        select(Report.binding_id, func.max(Report.id).label("report_id"))
        .join(Binding, Binding.id == Report.binding_id)
        .where(Binding.department_id == department_id, Report.review_state == REVIEW_ACCEPTED)
        .group_by(Report.binding_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Binding.id,
            Item.code,
            Item.title,
            BindingPoints.points,
            Report.text,
            Binding.evidence_count,
            SelfScore.score,
            SelfScore.statement,
        )
        .join(Item, Item.id == Binding.item_id)
        .outerjoin(BindingPoints, BindingPoints.binding_id == Binding.id)
        .outerjoin(latest_accepted, latest_accepted.c.binding_id == Binding.id)
        .outerjoin(Report, Report.id == latest_accepted.c.report_id)
        .outerjoin(SelfScore, SelfScore.binding_id == Binding.id)
        .where(Binding.department_id == department_id, Binding.role == BINDING_LEAD)
    )
    items = [
        SelfItem(
            binding_id=binding_id,
            code=code,
            title=title,
            points=points,
            accepted=report_text is not None,
            prefilled=report_text or "",
            evidence=evidence or 0,
            score=score,
            statement=statement or "",
        )
        for binding_id, code, title, points, report_text, evidence, score, statement in rows
    ]
    items.sort(key=lambda item: code_key(item.code))
    assessment = await _assessment(session, campaign_id, department_id)
    row = await year_end(session, campaign_id)
    return SelfForm(
        campaign_id=campaign_id,
        department_id=department_id,
        department=department.name,
        state=assessment.state if assessment else SELF_DRAFT,
        deadline=row.self_deadline,
        return_comment=assessment.return_comment if assessment else "",
        report_name=(assessment.report_name if assessment else "") or "",
        items=tuple(items),
    )


async def _editable(
    session: AsyncSession, campaign_id: int, department_id: int, acting: Acting
) -> SelfAssessment:
    row = await year_end(session, campaign_id)
    ensure_not_final(row)
    if not window_open(row, acting.today):
        raise YearEndRefused("window_closed")
    assessment = await _assessment(session, campaign_id, department_id)
    if assessment is None:
        assessment = SelfAssessment(
            campaign_id=campaign_id, department_id=department_id, state=SELF_DRAFT
        )
        session.add(assessment)
    elif assessment.state == SELF_SUBMITTED:
        raise YearEndRefused("submitted")
    return assessment


async def set_self_score(
    session: AsyncSession,
    campaign_id: int,
    department_id: int,
    code_text: str,
    score: Decimal,
    statement: str,
    acting: Acting,
) -> SelfItem:
    """Propose `score` for the department's item `code_text` (with a statement)."""
    form = await self_form(session, campaign_id, department_id)
    code = normalize_code(code_text)
    if code is None:
        raise YearEndRefused("no_item", code=code_text)
    item = next((i for i in form.items if normalize_code(i.code) == code), None)
    if item is None:
        raise YearEndRefused("no_item", code=code_text)
    await _editable(session, campaign_id, department_id, acting)
    if item.points is None:
        raise YearEndRefused("no_points", code=item.code)
    if score < 0 or score > item.points:
        raise YearEndRefused("above_points", code=item.code, points=item.points)
    statement = statement.strip()[:MAX_STATEMENT]
    if not item.accepted and not statement and not item.statement:
        raise YearEndRefused("statement_needed", code=item.code)
    row = await session.get(SelfScore, item.binding_id)
    if row is None:
        row = SelfScore(binding_id=item.binding_id, campaign_id=campaign_id, statement="")
        session.add(row)
    row.score = score
    if statement:
        row.statement = statement
    row.set_by, row.set_at = acting.tg_id, acting.now
    await session.flush()
    return SelfItem(
        binding_id=item.binding_id,
        code=item.code,
        title=item.title,
        points=item.points,
        accepted=item.accepted,
        prefilled=item.prefilled,
        evidence=item.evidence,
        score=score,
        statement=row.statement,
    )


async def attach_self_report(
    session: AsyncSession,
    campaign_id: int,
    department_id: int,
    *,
    file_id: str,
    sha256: str | None,
    name: str,
    acting: Acting,
) -> None:
    """Attach (or replace) the optional self-check report (自查报告)."""
    assessment = await _editable(session, campaign_id, department_id, acting)
    assessment.report_file_id, assessment.report_sha256 = file_id, sha256
    assessment.report_name = name[:255]


async def submit(
    session: AsyncSession, campaign_id: int, department_id: int, acting: Acting
) -> SelfForm:
    """Lock the department's self-assessment; every item needs a score (and a statement
    where it was never accepted)."""
    form = await self_form(session, campaign_id, department_id)
    assessment = await _editable(session, campaign_id, department_id, acting)
    if not form.items:
        raise YearEndRefused("no_item", code="")
    if form.missing:
        raise YearEndRefused("incomplete", codes=", ".join(i.code for i in form.missing))
    assessment.state = SELF_SUBMITTED
    assessment.submitted_at, assessment.submitted_by = acting.now, acting.tg_id
    total = sum((i.score or Decimal(0) for i in form.items), Decimal(0))
    audit(
        session,
        campaign_id,
        acting,
        "selfassess_submit",
        subject=form.department,
        after=str(total),
        department_id=department_id,
    )
    await session.flush()
    return await self_form(session, campaign_id, department_id)


async def return_self(
    session: AsyncSession, campaign_id: int, department_id: int, comment: str, acting: Acting
) -> list[Recipient]:
    """The office returns a submitted self-assessment with a comment; returns whom to tell."""
    comment = comment.strip()
    if not comment:
        raise YearEndRefused("reason_needed")
    row = await year_end(session, campaign_id)
    ensure_not_final(row)
    assessment = await _assessment(session, campaign_id, department_id)
    if assessment is None or assessment.state != SELF_SUBMITTED:
        raise YearEndRefused("not_submitted")
    assessment.state = SELF_RETURNED
    assessment.returned_at, assessment.returned_by = acting.now, acting.tg_id
    assessment.return_comment = comment[:MAX_STATEMENT]
    department = await session.get(Department, department_id)
    audit(
        session,
        campaign_id,
        acting,
        "selfassess_return",
        subject=department.name if department else "",
        reason=comment,
        department_id=department_id,
    )
    return await liaisons_of(session, department_id)


@dataclass(frozen=True)
class Pending:
    """A department that has not submitted, with whom to remind."""

    department_id: int
    department: str
    liaisons: tuple[Recipient, ...]


async def not_submitted(session: AsyncSession, campaign_id: int) -> list[Pending]:
    """Departments with items whose self-assessment is not submitted (for reminders)."""
    submitted = select(SelfAssessment.department_id).where(
        SelfAssessment.campaign_id == campaign_id, SelfAssessment.state == SELF_SUBMITTED
    )
    rows = await session.execute(
        select(Department.id, Department.name)
        .where(Department.campaign_id == campaign_id, Department.id.not_in(submitted))
        .order_by(Department.dept_class, Department.number, Department.id)
    )
    liaisons = await liaisons_by_department(session, campaign_id)
    return [
        Pending(department_id, name, tuple(liaisons.get(department_id, [])))
        for department_id, name in rows
    ]


async def self_state(session: AsyncSession, campaign_id: int, department_id: int) -> str | None:
    """The department's self-assessment state (draft, submitted, returned); None if never begun."""
    assessment = await _assessment(session, campaign_id, department_id)
    return assessment.state if assessment is not None else None


async def self_scores(session: AsyncSession, campaign_id: int) -> dict[int, tuple[Decimal, str]]:
    """Binding id -> (proposed score, statement), for /score and the export."""
    rows = await session.execute(
        select(SelfScore.binding_id, SelfScore.score, SelfScore.statement).where(
            SelfScore.campaign_id == campaign_id
        )
    )
    return {binding_id: (score, statement) for binding_id, score, statement in rows}
