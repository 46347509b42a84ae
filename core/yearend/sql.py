"""The year end's readers and writer (core/yearend/interfaces.py) on one SQLAlchemy
session: the unit of work's, which alone commits. `SqlYearEnd` is scoring's `SqlScoring`
with the year end's own tables added, so the year end reads the score book, the scheme
and the lock exactly as scoring does and an appeal's change goes through the scoring
acts on the same session. Every method is one query (a list is read in one, never one
per department or item)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Select, func, select

from core.people.leave import on_leave
from core.people.roster import Recipient, liaisons_of
from core.scoring.sql import SqlScoring
from core.yearend.interfaces import Staged
from core.yearend.values import (
    FeedbackProgress,
    Given,
    OpenAppeal,
    ReminderLiaison,
    SelfItem,
    SelfScoreRow,
    SiteCheckLine,
)
from storage.models import (
    APPEAL_OPEN,
    BINDING_LEAD,
    DEDUCTION_CONFIRMED,
    REVIEW_ACCEPTED,
    ROLE_LIAISON,
    SELF_SUBMITTED,
    Appeal,
    Binding,
    BindingPoints,
    Deduction,
    Department,
    Item,
    Report,
    ResultFeedback,
    SelfAssessment,
    SelfScore,
    SiteCheck,
    User,
    YearEnd,
)


def _submitted(campaign_id: int) -> Select[tuple[int]]:
    """The departments whose self-assessment is submitted (a subquery)."""
    return select(SelfAssessment.department_id).where(
        SelfAssessment.campaign_id == campaign_id, SelfAssessment.state == SELF_SUBMITTED
    )


class SqlYearEnd(SqlScoring):
    """Every year-end Protocol, and scoring's, on `session`. One per handler call, passed
    down: it holds the campaign row it read (`SqlScoring.campaign`), which saves the score
    book a query."""

    # ------------------------------------------------------------ writer

    def stage(self, row: Staged) -> None:
        self.session.add(row)

    # ------------------------------------------------------------ the year end's row

    async def year_end_row(self, campaign_id: int) -> YearEnd | None:
        found: YearEnd | None = await self.session.scalar(
            select(YearEnd).where(YearEnd.campaign_id == campaign_id)
        )
        return found

    # ------------------------------------------------------------ people

    async def department_name(self, campaign_id: int, department_id: int) -> str | None:
        department = await self.session.get(Department, department_id)
        if department is None or department.campaign_id != campaign_id:
            return None
        return department.name

    async def departments(self, campaign_id: int) -> list[tuple[int, str]]:
        rows = await self.session.execute(
            select(Department.id, Department.name)
            .where(Department.campaign_id == campaign_id)
            .order_by(Department.dept_class, Department.number, Department.id)
        )
        return [(department_id, name) for department_id, name in rows]

    async def liaisons_by_department(self, campaign_id: int) -> dict[int, list[Recipient]]:
        rows = await self.session.execute(
            select(User.department_id, User.tg_id, User.locale, User.display_name)
            .join(Department, Department.id == User.department_id)
            .where(User.role == ROLE_LIAISON, Department.campaign_id == campaign_id)
            .order_by(User.department_id, User.is_deputy, User.id)
        )
        found: dict[int, list[Recipient]] = {}
        for department_id, tg_id, locale, name in rows:
            found.setdefault(department_id, []).append(Recipient(tg_id, locale, name or ""))
        return found

    async def liaisons_of(self, department_id: int) -> list[Recipient]:
        return await liaisons_of(self.session, department_id)

    async def on_leave(self, tg_ids: list[int], day: dt.date) -> set[int]:
        return await on_leave(self.session, tg_ids, day)

    # ------------------------------------------------------------ self-assessment

    async def self_items(self, department_id: int) -> list[SelfItem]:
        latest_accepted = (
            select(Report.binding_id, func.max(Report.id).label("report_id"))
            .join(Binding, Binding.id == Report.binding_id)
            .where(Binding.department_id == department_id, Report.review_state == REVIEW_ACCEPTED)
            .group_by(Report.binding_id)
            .subquery()
        )
        rows = await self.session.execute(
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
        return [
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

    async def self_assessment(self, campaign_id: int, department_id: int) -> SelfAssessment | None:
        found: SelfAssessment | None = await self.session.scalar(
            select(SelfAssessment).where(
                SelfAssessment.campaign_id == campaign_id,
                SelfAssessment.department_id == department_id,
            )
        )
        return found

    async def self_score(self, binding_id: int) -> SelfScore | None:
        return await self.session.get(SelfScore, binding_id)

    async def self_scores(self, campaign_id: int) -> dict[int, tuple[Decimal, str]]:
        rows = await self.session.execute(
            select(SelfScore.binding_id, SelfScore.score, SelfScore.statement).where(
                SelfScore.campaign_id == campaign_id
            )
        )
        return {binding_id: (score, statement) for binding_id, score, statement in rows}

    async def not_submitted(self, campaign_id: int) -> list[tuple[int, str]]:
        submitted = _submitted(campaign_id)
        rows = await self.session.execute(
            select(Department.id, Department.name)
            .where(Department.campaign_id == campaign_id, Department.id.not_in(submitted))
            .order_by(Department.dept_class, Department.number, Department.id)
        )
        return [(department_id, name) for department_id, name in rows]

    async def department_count(self, campaign_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Department)
            .where(Department.campaign_id == campaign_id)
        )
        return int(count or 0)

    async def submitted_count(self, campaign_id: int) -> int:
        submitted = _submitted(campaign_id)
        count = await self.session.scalar(select(func.count()).select_from(submitted.subquery()))
        return int(count or 0)

    async def unsubmitted_liaisons(self, campaign_id: int) -> list[ReminderLiaison]:
        submitted = _submitted(campaign_id)
        rows = await self.session.execute(
            select(Department.id, Department.name, User.tg_id, User.locale, User.is_deputy)
            .join(User, User.department_id == Department.id)
            .where(
                Department.campaign_id == campaign_id,
                Department.id.not_in(submitted),
                User.role == ROLE_LIAISON,
            )
            .order_by(Department.id, User.is_deputy, User.id)
        )
        return [
            ReminderLiaison(department_id, name, tg_id, locale, bool(deputy))
            for department_id, name, tg_id, locale, deputy in rows
        ]

    # ------------------------------------------------------------ site checks

    async def site_checks(self, campaign_id: int, department_id: int | None) -> list[SiteCheckLine]:
        query = (
            select(SiteCheck, Department.name)
            .join(Department, Department.id == SiteCheck.department_id)
            .where(SiteCheck.campaign_id == campaign_id)
            .order_by(SiteCheck.checked_on, SiteCheck.id)
        )
        if department_id is not None:
            query = query.where(SiteCheck.department_id == department_id)
        return [
            SiteCheckLine(c.id, name, c.checked_on, c.team, c.findings, len(c.photos or ()))
            for c, name in await self.session.execute(query)
        ]

    async def site_check(self, check_id: int) -> SiteCheck | None:
        return await self.session.get(SiteCheck, check_id)

    async def site_check_days(self, campaign_id: int) -> list[tuple[int, dt.date]]:
        rows = await self.session.execute(
            select(SiteCheck.id, SiteCheck.checked_on).where(SiteCheck.campaign_id == campaign_id)
        )
        return [(check_id, day) for check_id, day in rows]

    async def confirmed_deductions(self, department_id: int) -> list[tuple[Deduction, str, str]]:
        rows = await self.session.execute(
            select(Deduction, Item.code, Department.name)
            .join(Binding, Binding.id == Deduction.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .where(
                Binding.department_id == department_id,
                Deduction.state == DEDUCTION_CONFIRMED,
            )
            .order_by(Deduction.id.desc())
        )
        return [(deduction, code, name) for deduction, code, name in rows]

    async def deductions(self, deduction_ids: list[int]) -> list[Deduction]:
        if not deduction_ids:
            return []
        rows = await self.session.scalars(select(Deduction).where(Deduction.id.in_(deduction_ids)))
        return list(rows)

    # ------------------------------------------------------------ feedback and appeals

    async def feedbacks(self, campaign_id: int) -> list[Given]:
        rows = await self.session.execute(
            select(
                ResultFeedback.department_id,
                ResultFeedback.delivered_at,
                ResultFeedback.recheck_deadline,
            ).where(ResultFeedback.campaign_id == campaign_id)
        )
        return [Given(*row) for row in rows]

    async def feedback_of(self, campaign_id: int, department_id: int) -> Given | None:
        row = (
            await self.session.execute(
                select(
                    ResultFeedback.department_id,
                    ResultFeedback.delivered_at,
                    ResultFeedback.recheck_deadline,
                ).where(
                    ResultFeedback.campaign_id == campaign_id,
                    ResultFeedback.department_id == department_id,
                )
            )
        ).first()
        return Given(*row) if row is not None else None

    async def fed_back(self, campaign_id: int) -> set[int]:
        return set(
            await self.session.scalars(
                select(ResultFeedback.department_id).where(
                    ResultFeedback.campaign_id == campaign_id
                )
            )
        )

    async def feedback_progress(self, campaign_id: int) -> FeedbackProgress:
        departments = await self.department_count(campaign_id)
        fed_back, last_deadline = (
            await self.session.execute(
                select(func.count(), func.max(ResultFeedback.recheck_deadline)).where(
                    ResultFeedback.campaign_id == campaign_id
                )
            )
        ).one()
        return FeedbackProgress(departments, int(fed_back or 0), last_deadline)

    async def appeal(self, appeal_id: int) -> Appeal | None:
        return await self.session.get(Appeal, appeal_id)

    async def open_appeals(self, campaign_id: int) -> list[OpenAppeal]:
        rows = await self.session.execute(
            select(Appeal.id, Appeal.department_id, Appeal.subject, Appeal.reason)
            .where(Appeal.campaign_id == campaign_id, Appeal.state == APPEAL_OPEN)
            .order_by(Appeal.id)
        )
        return [OpenAppeal(*row) for row in rows]

    # ------------------------------------------------------------ the export's sheets

    async def self_score_rows(self, campaign_id: int) -> list[SelfScoreRow]:
        rows = await self.session.execute(
            select(
                Department.name,
                Item.code,
                Item.title,
                BindingPoints.points,
                SelfScore.score,
                SelfScore.statement,
                SelfAssessment.state,
                SelfAssessment.submitted_at,
                Department.dept_class,
                Department.number,
            )
            .select_from(SelfScore)
            .join(Binding, Binding.id == SelfScore.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .outerjoin(BindingPoints, BindingPoints.binding_id == Binding.id)
            .outerjoin(
                SelfAssessment,
                (SelfAssessment.department_id == Department.id)
                & (SelfAssessment.campaign_id == campaign_id),
            )
            .where(SelfScore.campaign_id == campaign_id)
        )
        return [SelfScoreRow(*row) for row in rows]

    async def appeal_rows(self, campaign_id: int) -> list[tuple[Appeal, str]]:
        rows = await self.session.execute(
            select(Appeal, Department.name)
            .join(Department, Department.id == Appeal.department_id)
            .where(Appeal.campaign_id == campaign_id)
            .order_by(Appeal.id)
        )
        return [(appeal, name) for appeal, name in rows]
