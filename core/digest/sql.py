"""The digest's reader (core/digest/interfaces.py) over a session, and the office group's
setting as a digest follows its group.

Each binding's state as of a window's end is read from its own row (`state_as_of`): only
a binding reported again after `until` takes its latest report up to `until` instead, so
today's digest never reads the million reports behind it. Every method is one query
(the departments' leave, two), counted and filtered in the database with the status
model's clauses (`core.status.clauses`, `core.status.counts`); rows come back as plain
values. `SqlDigest` reads only; `SqlOfficeGroup` stages into the unit of work's session,
which commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import (
    Subquery,
    and_,
    case,
    func,
    literal,
    null,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.digest.data import OFFICE_CHAT_KEY, OFFICE_SET_AT_KEY
from core.digest.interfaces import (
    DepartmentName,
    LatestValue,
    PacedRow,
    PastDueRow,
    SentDigest,
    WindowReport,
)
from core.people.sql import on_leave
from core.status.clauses import StateColumns, past_due_clause
from core.status.counts import DepartmentTally, department_tally
from core.status.day import Day, facts_of
from core.status.interfaces import CampaignRef
from core.status.sql import SqlDay
from storage import repositories as repo
from storage.models import (
    REVIEW_PENDING,
    ROLE_LIAISON,
    STATUS_NOT_STARTED,
    Binding,
    DigestSent,
    Evidence,
    Item,
    Report,
    ReportValue,
    Target,
    User,
    UTCDateTime,
)


def state_as_of(campaign_id: int, until: dt.datetime) -> Subquery:
    """Each binding of the campaign as it stood at `until`, as the status model's facts.

    The binding row carries its latest report's state; only a binding reported again
    after `until` (a digest of an earlier day, or a report in the moment since the window
    closed) takes the state of its latest report up to `until` instead, or not started
    when it had none. For today's digest that set is empty, so no query here reads the
    million reports."""
    reported_later = select(Binding.id).where(
        Binding.campaign_id == campaign_id, Binding.last_reported_at > until
    )
    late = (
        select(Report.binding_id.label("binding_id"), func.max(Report.id).label("report_id"))
        .where(Report.binding_id.in_(reported_later), Report.created_at <= until)
        .group_by(Report.binding_id)
        .subquery("late")
    )
    earlier = aliased(Report, name="earlier")
    is_late = Binding.last_reported_at > until  # NULL (never reported): not late
    return (
        select(
            Binding.id.label("binding_id"),
            Binding.department_id.label("department_id"),
            Binding.item_id.label("item_id"),
            Binding.created_at.label("created_at"),
            Binding.red_reported_at.label("red_reported_at"),
            # Supervision (issue 22): as they are now (an extension or rectification is
            # not reconstructed for an earlier day).
            Binding.extended_due.label("extended_due"),
            Binding.rectification_due.label("rectification_due"),
            Binding.progress_value.label("progress_value"),
            case(
                (is_late, func.coalesce(earlier.status, STATUS_NOT_STARTED)),
                else_=Binding.status,
            ).label("status"),
            case((is_late, earlier.review_state), else_=Binding.review_state).label("review_state"),
            type_coerce(
                case((is_late, earlier.created_at), else_=Binding.last_reported_at), UTCDateTime
            ).label("reported_at"),
            case((is_late, earlier.id), else_=Binding.last_report_id).label("report_id"),
        )
        .select_from(Binding)
        .outerjoin(late, late.c.binding_id == Binding.id)
        .outerjoin(earlier, earlier.id == late.c.report_id)
        .where(Binding.campaign_id == campaign_id)
        .subquery("state")
    )


def _sent(row: DigestSent | None) -> SentDigest | None:
    if row is None:
        return None
    return SentDigest(row.local_date, dict(row.summary or {}), row.sent_at)


class SqlDigest(SqlDay):
    """`DigestReader` on a reading session (the job's, the command's, the CLI's)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        # The state as of one moment, built once for the digest's four queries of it.
        self._states: dict[tuple[int, dt.datetime], Subquery] = {}

    def _state(self, campaign_id: int, until: dt.datetime) -> Subquery:
        key = (campaign_id, until)
        if key not in self._states:
            self._states[key] = state_as_of(campaign_id, until)
        return self._states[key]

    async def stored_digest(self, chat_id: int, local_date: dt.date) -> SentDigest | None:
        return _sent(
            await self.session.scalar(
                select(DigestSent).where(
                    DigestSent.chat_id == chat_id, DigestSent.local_date == local_date
                )
            )
        )

    async def previous_digest(self, chat_id: int, local_date: dt.date) -> SentDigest | None:
        return _sent(
            await self.session.scalar(
                select(DigestSent)
                .where(
                    DigestSent.chat_id == chat_id,
                    DigestSent.local_date < local_date,
                    DigestSent.sent_at.is_not(None),
                )
                .order_by(DigestSent.local_date.desc())
                .limit(1)
            )
        )

    async def departments(self, campaign_id: int) -> list[DepartmentName]:
        return [
            DepartmentName(d.id, d.name) for d in await repo.departments(self.session, campaign_id)
        ]

    async def tally_as_of(self, campaign_id: int, until: dt.datetime) -> DepartmentTally:
        state = self._state(campaign_id, until)
        # Plain rows through the session's connection: no ORM loading per row.
        return await department_tally(
            await self.session.connection(),
            department_id=state.c.department_id,
            status=state.c.status,
            review_state=state.c.review_state,
            reported_at=state.c.reported_at,
            bound_at=state.c.created_at,
            where=true(),
            select_from=state,
        )

    async def past_due_as_of(
        self, campaign: CampaignRef, day: Day, until: dt.datetime
    ) -> list[PastDueRow]:
        state = self._state(campaign.id, until)
        facts = StateColumns(
            state.c.status,
            state.c.review_state,
            state.c.reported_at,
            state.c.created_at,
            Item.deadline,
            state.c.item_id,
            state.c.extended_due,
            state.c.rectification_due,
        )
        connection = await self.session.connection()
        rows = await connection.execute(
            select(
                state.c.binding_id,
                state.c.department_id,
                Item.code,
                state.c.red_reported_at,
                # core.status.day.FACT_COLUMNS' order, as of `until`
                state.c.status,
                state.c.review_state,
                Item.deadline,
                type_coerce(state.c.reported_at, UTCDateTime),
                type_coerce(state.c.created_at, UTCDateTime),
                literal("lead"),
                state.c.extended_due,
                state.c.rectification_due,
                null(),
                Item.milestones,
                null(),
            )
            .join(Item, Item.id == state.c.item_id)
            .where(
                past_due_clause(
                    day.today, campaign.year, facts, rules=day.rules, milestones=day.milestones
                )
            )
        )
        year, starts_on = campaign.year, campaign.starts_on
        return [
            PastDueRow(binding_id, department_id, code, red, facts_of(values, year, starts_on))
            for binding_id, department_id, code, red, *values in rows
        ]

    async def paced_as_of(self, campaign: CampaignRef, until: dt.datetime) -> list[PacedRow]:
        state = self._state(campaign.id, until)
        connection = await self.session.connection()
        rows = await connection.execute(
            select(
                state.c.department_id,
                Item.code,
                state.c.status,
                state.c.review_state,
                Item.deadline,
                type_coerce(state.c.reported_at, UTCDateTime),
                type_coerce(state.c.created_at, UTCDateTime),
                literal("lead"),
                state.c.extended_due,
                state.c.rectification_due,
                state.c.progress_value,
                Item.milestones,
                Item.pace_target,
            )
            .join(Item, Item.id == state.c.item_id)
            .where(Item.pace_target.is_not(None))
        )
        year, starts_on = campaign.year, campaign.starts_on
        return [
            PacedRow(department_id, code, facts_of(values, year, starts_on))
            for department_id, code, *values in rows
        ]

    async def window_reports(
        self, campaign_id: int, since: dt.datetime, until: dt.datetime
    ) -> list[WindowReport]:
        # Each report's binding's status when the window opened: its latest report
        # before, by the (binding, created_at) index.
        earlier = aliased(Report, name="earlier")
        status_before = (
            select(earlier.status)
            .where(earlier.binding_id == Report.binding_id, earlier.created_at <= since)
            .order_by(earlier.created_at.desc(), earlier.id.desc())
            .limit(1)
            .correlate(Report)
            .scalar_subquery()
        )
        connection = await self.session.connection()
        rows = await connection.execute(
            select(
                Report.binding_id,
                Report.status,
                func.count(Evidence.id),
                Binding.department_id,
                Item.code,
                Item.title,
                status_before,
            )
            .join(Binding, Binding.id == Report.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .outerjoin(Evidence, Evidence.report_id == Report.id)
            .where(
                Binding.campaign_id == campaign_id,
                Report.created_at > since,
                Report.created_at <= until,
            )
            .group_by(
                Report.id,
                Report.binding_id,
                Report.status,
                Binding.department_id,
                Item.code,
                Item.title,
            )
            .order_by(Report.id)
        )
        return [
            WindowReport(binding_id, status, int(evidence), department_id, code, title, before)
            for binding_id, status, evidence, department_id, code, title, before in rows
        ]

    async def latest_values(self, campaign_id: int, until: dt.datetime) -> list[LatestValue]:
        state = self._state(campaign_id, until)
        connection = await self.session.connection()
        rows = await connection.execute(
            select(
                state.c.department_id,
                Item.code,
                ReportValue.value,
                Target.metric,
                Target.op,
                Target.value,
                Target.unit,
                Target.position,
            )
            .select_from(state)
            # Only bindings whose item has targets, each target's value by the unique
            # (report_id, target_id) index.
            .join(Target, Target.item_id == state.c.item_id)
            .join(
                ReportValue,
                and_(
                    ReportValue.report_id == state.c.report_id,
                    ReportValue.target_id == Target.id,
                ),
            )
            .join(Item, Item.id == state.c.item_id)
        )
        return [LatestValue(*row) for row in rows]

    async def pending_reviews(self, campaign_id: int, until: dt.datetime) -> int:
        connection = await self.session.connection()
        pending = await connection.scalar(
            select(func.count(Report.id))
            .join(Binding, Binding.id == Report.binding_id)
            .where(
                Binding.campaign_id == campaign_id,
                Report.review_state == REVIEW_PENDING,
                Report.created_at <= until,
            )
        )
        return int(pending or 0)

    async def departments_on_leave(self, department_ids: Sequence[int], day: dt.date) -> set[int]:
        # Two queries: the departments' main liaisons, then which of them are away.
        if not department_ids:
            return set()
        mains = (
            await self.session.execute(
                select(User.tg_id, User.department_id).where(
                    User.role == ROLE_LIAISON,
                    User.is_deputy.is_(False),
                    User.department_id.in_(list(department_ids)),
                )
            )
        ).all()
        if not mains:
            return set()
        away = await on_leave(self.session, [tg for tg, _ in mains], day)
        by_department: dict[int, list[int]] = defaultdict(list)
        for tg_id, department_id in mains:
            by_department[department_id].append(tg_id)
        return {d for d, people in by_department.items() if all(p in away for p in people)}


class SqlOfficeGroup:
    """`OfficeGroupStore` on a session (the unit of work's, or a reading one for the
    reads): the office group's setting and its digests' bookkeeping. Stages and flushes;
    the unit commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def office_chat(self) -> str | None:
        return await repo.get_setting(self.session, OFFICE_CHAT_KEY)

    async def office_set_at(self) -> str | None:
        return await repo.get_setting(self.session, OFFICE_SET_AT_KEY)

    async def set_office_chat(self, chat_id: int, now: dt.datetime) -> None:
        await repo.put_setting(self.session, OFFICE_CHAT_KEY, str(chat_id))
        await repo.put_setting(self.session, OFFICE_SET_AT_KEY, now.isoformat())

    async def move_office_group(self, old_chat_id: int, new_chat_id: int) -> None:
        await repo.put_setting(self.session, OFFICE_CHAT_KEY, str(new_chat_id))
        await self.session.execute(
            update(DigestSent).where(DigestSent.chat_id == old_chat_id).values(chat_id=new_chat_id)
        )

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        repo.audit(self.session, at=now, actor_tg_id=actor_tg_id, action=action, detail=detail)

    async def flush(self) -> None:
        await self.session.flush()
