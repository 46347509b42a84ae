"""`ScoringReader` and `ScoringWriter` on one SQLAlchemy session (the caller's unit of
work: it commits, never this module). A campaign's `ScoreBook` is a few queries, one per
table, never one per department or binding."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.oversight.urge import URGE_ACTION
from core.scoring.ports import (
    AdjustmentInfo,
    CampaignInfo,
    DeductionInfo,
    DepartmentInfo,
    ScoreBook,
    ScoreLine,
    TargetValue,
    VetoInfo,
    YearRecord,
)
from core.status.model import Facts, Rules, assess
from core.text.matching import code_key
from core.yearend.state import campaign_final
from storage.models import (
    REVIEW_ACCEPTED,
    REVIEW_RETURNED,
    AuditLog,
    Binding,
    BindingPoints,
    Campaign,
    Deduction,
    Department,
    Item,
    ItemScore,
    Report,
    ReportValue,
    Review,
    ScoreAdjustment,
    ScoreAudit,
    ScoringScheme,
    Target,
    User,
    VetoCondition,
    VetoRecord,
)


class SqlScoring:
    """Both ports on `session`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # The campaign rows read by `campaign`, held: the session's identity map holds
        # rows weakly, and `book`'s `session.get(Campaign)` finds the row there (no second
        # query) only while someone holds it.
        self._held: list[Campaign] = []

    # ------------------------------------------------------------ reader

    async def campaign(self, campaign_id: int | None) -> CampaignInfo | None:
        query = select(Campaign)
        if campaign_id is None:
            query = query.where(Campaign.active.is_(True)).order_by(Campaign.id.desc())
        else:
            query = query.where(Campaign.id == campaign_id)
        found = await self.session.scalar(query.limit(1))
        if found is None:
            return None
        self._held.append(found)
        return CampaignInfo(found.id, found.year, found.title)

    async def final(self, campaign_id: int) -> bool:
        return await campaign_final(self.session, campaign_id)

    async def scheme(self, campaign_id: int) -> ScoringScheme | None:
        found: ScoringScheme | None = await self.session.scalar(
            select(ScoringScheme).where(ScoringScheme.campaign_id == campaign_id)
        )
        return found

    async def item_score(self, binding_id: int) -> ItemScore | None:
        return await self.session.get(ItemScore, binding_id)

    async def deduction(self, deduction_id: int) -> Deduction | None:
        return await self.session.get(Deduction, deduction_id)

    async def adjustment(self, adjustment_id: int) -> ScoreAdjustment | None:
        return await self.session.get(ScoreAdjustment, adjustment_id)

    async def veto(self, veto_id: int) -> VetoRecord | None:
        return await self.session.get(VetoRecord, veto_id)

    async def audit(self, campaign_id: int, *, limit: int = 50) -> Sequence[ScoreAudit]:
        rows = await self.session.scalars(
            select(ScoreAudit)
            .where(ScoreAudit.campaign_id == campaign_id)
            .order_by(ScoreAudit.id.desc())
            .limit(limit)
        )
        return rows.all()

    async def year_records(
        self, campaign_id: int, today: dt.date, rules: Rules
    ) -> dict[int, YearRecord]:
        session = self.session
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            return {}
        rows = (
            await session.execute(
                select(
                    Binding.id,
                    Binding.department_id,
                    Binding.status,
                    Binding.review_state,
                    Item.deadline,
                    Binding.last_reported_at,
                    Binding.created_at,
                    Binding.role,
                    Binding.last_report_id,
                    Binding.report_count,
                    Binding.evidence_count,
                    Item.id,
                )
                .join(Item, Item.id == Binding.item_id)
                .where(Binding.campaign_id == campaign_id)
            )
        ).all()
        decisions = (
            await session.execute(
                select(
                    Report.binding_id, Review.decision, func.max(Review.created_at), func.count()
                )
                .join(Review, Review.report_id == Report.id)
                .join(Binding, Binding.id == Report.binding_id)
                .where(Binding.campaign_id == campaign_id)
                .group_by(Report.binding_id, Review.decision)
            )
        ).all()
        accepted: dict[int, dt.datetime] = {}
        returns: dict[int, int] = {}
        for binding_id, decision, latest, count in decisions:
            if decision == REVIEW_ACCEPTED:
                accepted[binding_id] = latest
            elif decision == REVIEW_RETURNED:
                returns[binding_id] = int(count)
        targets = (
            await session.execute(
                select(
                    Target.item_id, Target.id, Target.metric, Target.op, Target.value, Target.unit
                )
                .join(Item, Item.id == Target.item_id)
                .where(Item.campaign_id == campaign_id)
                .order_by(Target.item_id, Target.position)
            )
        ).all()
        by_item: dict[int, list[tuple[int, str, str, Decimal, str]]] = {}
        for item_id, target_id, metric, op, value, unit in targets:
            by_item.setdefault(item_id, []).append((target_id, metric, op, value, unit))
        latest_ids = [r[8] for r in rows if r[8] is not None and by_item.get(r[11])]
        values: dict[tuple[int, int], Decimal] = {}
        if latest_ids:
            for report_id, target_id, value in (
                await session.execute(
                    select(ReportValue.report_id, ReportValue.target_id, ReportValue.value).where(
                        ReportValue.report_id.in_(latest_ids)
                    )
                )
            ).all():
                values[(report_id, target_id)] = value
        urges: dict[int, int] = {}
        # Urges are few per campaign; the department is in the JSON detail (portable).
        for (detail,) in (
            await session.execute(select(AuditLog.detail).where(AuditLog.action == URGE_ACTION))
        ).all():
            if isinstance(detail, dict) and isinstance(detail.get("department_id"), int):
                urges[detail["department_id"]] = urges.get(detail["department_id"], 0) + 1
        records: dict[int, YearRecord] = {}
        for (
            binding_id,
            department_id,
            status,
            review_state,
            deadline,
            last,
            created,
            _role,
            last_report_id,
            report_count,
            evidence_count,
            item_id,
        ) in rows:
            state = assess(
                Facts(status, review_state, deadline, campaign.year, last, created), today, rules
            )
            records[binding_id] = YearRecord(
                binding_id=binding_id,
                effective=state.effective,
                due=state.due,
                past_due=state.past_due,
                accepted_at=accepted.get(binding_id),
                returns=returns.get(binding_id, 0),
                urges=urges.get(department_id, 0),
                reports=report_count,
                evidence=evidence_count,
                values=tuple(
                    TargetValue(metric, op, value, unit, values.get((last_report_id, target_id)))
                    for target_id, metric, op, value, unit in by_item.get(item_id, ())
                ),
            )
        return records

    async def book(self, campaign_id: int) -> ScoreBook:
        session = self.session
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            raise LookupError(campaign_id)
        info = CampaignInfo(campaign.id, campaign.year, campaign.title)
        scheme = await self.scheme(campaign_id)
        conditions = tuple(
            (
                await session.scalars(
                    select(VetoCondition)
                    .where(VetoCondition.campaign_id == campaign_id)
                    .order_by(VetoCondition.id)
                )
            ).all()
        )
        departments = tuple(
            DepartmentInfo(d.id, d.name, d.dept_class, tuple(d.aliases or ()))
            for d in (
                await session.scalars(
                    select(Department)
                    .where(Department.campaign_id == campaign_id)
                    .order_by(Department.dept_class, Department.number, Department.id)
                )
            ).all()
        )
        deductions: dict[int, list[DeductionInfo]] = {}
        # Plain columns, not entities: a large campaign has one or more per binding.
        for row in (
            await session.execute(
                select(
                    Deduction.binding_id,
                    Deduction.id,
                    Deduction.amount,
                    Deduction.reason,
                    Deduction.source,
                    Deduction.state,
                    Deduction.created_by,
                    Deduction.created_at,
                    Deduction.decided_by,
                    Deduction.decided_at,
                )
                .where(Deduction.campaign_id == campaign_id)
                .order_by(Deduction.id)
            )
        ).all():
            deductions.setdefault(row[0], []).append(DeductionInfo(*row[1:]))
        rows = await session.execute(
            select(
                Binding.id,
                Binding.department_id,
                Item.id,
                Item.code,
                Item.kind,
                Item.title,
                Binding.role,
                Item.score,
                BindingPoints.points,
                ItemScore.binding_id,
                ItemScore.reason,
                ItemScore.scored_by,
                ItemScore.scored_at,
            )
            .join(Item, Item.id == Binding.item_id)
            .outerjoin(BindingPoints, BindingPoints.binding_id == Binding.id)
            .outerjoin(ItemScore, ItemScore.binding_id == Binding.id)
            .where(Binding.campaign_id == campaign_id)
        )
        lines = [
            ScoreLine(
                binding_id=r[0],
                department_id=r[1],
                item_id=r[2],
                code=r[3],
                kind=r[4],
                title=r[5],
                role=r[6],
                document_points=r[7],
                points=r[8],
                scored=r[9] is not None,
                score_reason=r[10] or "",
                scored_by=r[11],
                scored_at=r[12],
                deductions=tuple(deductions.get(r[0], ())),
            )
            for r in rows.all()
        ]
        lines.sort(key=lambda line: (line.department_id, code_key(line.code), line.binding_id))
        adjustments = tuple(
            AdjustmentInfo(
                a.id, a.department_id, a.kind, a.amount, a.reason, a.created_by, a.created_at
            )
            for a in (
                await session.scalars(
                    select(ScoreAdjustment)
                    .where(
                        ScoreAdjustment.campaign_id == campaign_id,
                        ScoreAdjustment.withdrawn_at.is_(None),
                    )
                    .order_by(ScoreAdjustment.id)
                )
            ).all()
        )
        by_condition = {c.id: c for c in conditions}
        vetoes = tuple(
            VetoInfo(
                v.id,
                v.department_id,
                by_condition[v.condition_id].code,
                by_condition[v.condition_id].name,
                by_condition[v.condition_id].effect,
                v.grounds,
                v.confirmed_by_body,
                v.created_at,
            )
            for v in (
                await session.scalars(
                    select(VetoRecord)
                    .where(VetoRecord.campaign_id == campaign_id, VetoRecord.withdrawn_at.is_(None))
                    .order_by(VetoRecord.id)
                )
            ).all()
            if v.condition_id in by_condition
        )
        people = {line.scored_by for line in lines if line.scored_by is not None}
        people |= {d.decided_by for line in lines for d in line.deductions if d.decided_by}
        names: dict[int, str] = {}
        if people:
            for tg_id, display_name in (
                await session.execute(
                    select(User.tg_id, User.display_name).where(User.tg_id.in_(sorted(people)))
                )
            ).all():
                names[tg_id] = display_name
        return ScoreBook(
            info, scheme, conditions, departments, tuple(lines), adjustments, vetoes, names
        )

    # ------------------------------------------------------------ writer

    def add(
        self,
        row: ScoringScheme
        | VetoCondition
        | ItemScore
        | Deduction
        | ScoreAdjustment
        | VetoRecord
        | ScoreAudit,
    ) -> None:
        self.session.add(row)

    async def set_points(
        self, campaign_id: int, points: dict[int, Decimal], *, by: int | None, at: dt.datetime
    ) -> None:
        if not points:
            return
        existing = {
            row.binding_id: row
            for row in (
                await self.session.scalars(
                    select(BindingPoints).where(BindingPoints.binding_id.in_(list(points)))
                )
            ).all()
        }
        for binding_id, value in points.items():
            row = existing.get(binding_id)
            if row is None:
                self.session.add(
                    BindingPoints(
                        binding_id=binding_id,
                        campaign_id=campaign_id,
                        points=value,
                        set_by=by,
                        set_at=at,
                    )
                )
            else:
                row.points, row.set_by, row.set_at = value, by, at
        await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()
