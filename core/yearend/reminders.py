"""Reminders of the self-assessment (自评): private, on working days, within the
reminder hours; the office group hears counts only.

While the window is open, each working day every department that has not submitted gets
one private reminder per liaison: its main liaisons, or — while every main liaison is
on leave, or it has none — its deputies (those on leave are never told). The deadline
does not move. The office group gets one line a day with how many departments have
submitted and how many not, naming no one. `ReminderSent` keys (user, "selfassess",
department, day) make each go out once, across restarts and processes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.people.leave import on_leave
from core.scheduling.once import ReminderKey
from core.scheduling.workdays import WorkingDay
from core.yearend.selfassess import window_open
from core.yearend.state import active_campaign, year_end
from storage.models import ROLE_LIAISON, SELF_SUBMITTED, Department, SelfAssessment, User

KIND = "selfassess"
GROUP_KIND = "selfassess_group"


@dataclass(frozen=True)
class SelfReminder:
    user_tg_id: int
    locale: str | None
    department: str
    deadline: dt.date
    key: ReminderKey


@dataclass(frozen=True)
class SelfRound:
    reminders: tuple[SelfReminder, ...]
    submitted: int
    pending: int
    deadline: dt.date | None


async def plan_self_reminders(
    session: AsyncSession, now: dt.datetime, zone: dt.tzinfo, is_working: WorkingDay
) -> SelfRound:
    """Who is to be reminded today (the caller claims the keys before sending)."""
    empty = SelfRound((), 0, 0, None)
    campaign_id = (await active_campaign(session)).id
    row = await year_end(session, campaign_id)
    today = now.astimezone(zone).date()
    if not window_open(row, today) or row.self_deadline is None or not is_working(today):
        return empty
    submitted_ids = select(SelfAssessment.department_id).where(
        SelfAssessment.campaign_id == campaign_id, SelfAssessment.state == SELF_SUBMITTED
    )
    departments = await session.scalar(
        select(func.count()).select_from(Department).where(Department.campaign_id == campaign_id)
    )
    rows = (
        await session.execute(
            select(Department.id, Department.name, User.tg_id, User.locale, User.is_deputy)
            .join(User, User.department_id == Department.id)
            .where(
                Department.campaign_id == campaign_id,
                Department.id.not_in(submitted_ids),
                User.role == ROLE_LIAISON,
            )
            .order_by(Department.id, User.is_deputy, User.id)
        )
    ).all()
    submitted = int(
        await session.scalar(select(func.count()).select_from(submitted_ids.subquery())) or 0
    )
    away = await on_leave(session, [r.tg_id for r in rows], today)
    reminders: list[SelfReminder] = []
    by_department: dict[int, list[tuple[str, int, str | None, bool]]] = {}
    for department_id, name, tg_id, locale, deputy in rows:
        by_department.setdefault(department_id, []).append((name, tg_id, locale, deputy))
    for department_id, people in by_department.items():
        mains = [p for p in people if not p[3] and p[1] not in away]
        chosen = mains or [p for p in people if p[3] and p[1] not in away]
        for name, tg_id, locale, _deputy in chosen:
            reminders.append(
                SelfReminder(
                    tg_id,
                    locale,
                    name,
                    row.self_deadline,
                    ReminderKey(tg_id, KIND, str(department_id), today.isoformat()),
                )
            )
    return SelfRound(
        tuple(reminders), submitted, int(departments or 0) - submitted, row.self_deadline
    )


def group_key(chat_id: int, today: dt.date) -> ReminderKey:
    return ReminderKey(chat_id, GROUP_KIND, "counts", today.isoformat())
