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

from core.scheduling.once import ReminderKey
from core.scheduling.workdays import WorkingDay
from core.yearend.interfaces import ReminderReader
from core.yearend.selfassess import window_open
from core.yearend.state import active_campaign
from core.yearend.values import ReminderLiaison

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
    reader: ReminderReader, now: dt.datetime, zone: dt.tzinfo, is_working: WorkingDay
) -> SelfRound:
    """Who is to be reminded today (the caller claims the keys before sending)."""
    empty = SelfRound((), 0, 0, None)
    campaign_id = (await active_campaign(reader)).id
    row = await reader.year_end_row(campaign_id)
    today = now.astimezone(zone).date()
    if (
        row is None
        or not window_open(row, today)
        or row.self_deadline is None
        or not is_working(today)
    ):
        return empty
    deadline = row.self_deadline
    departments = await reader.department_count(campaign_id)
    liaisons = await reader.unsubmitted_liaisons(campaign_id)
    submitted = await reader.submitted_count(campaign_id)
    away = await reader.on_leave([p.tg_id for p in liaisons], today)
    by_department: dict[int, list[ReminderLiaison]] = {}
    for person in liaisons:
        by_department.setdefault(person.department_id, []).append(person)
    reminders: list[SelfReminder] = []
    for department_id, people in by_department.items():
        # The main liaisons; while every one is away (or there is none), the deputies.
        mains = [p for p in people if not p.deputy and p.tg_id not in away]
        chosen = mains or [p for p in people if p.deputy and p.tg_id not in away]
        reminders += [
            SelfReminder(
                p.tg_id,
                p.locale,
                p.department,
                deadline,
                ReminderKey(p.tg_id, KIND, str(department_id), today.isoformat()),
            )
            for p in chosen
        ]
    return SelfRound(tuple(reminders), submitted, departments - submitted, deadline)


def group_key(chat_id: int, today: dt.date) -> ReminderKey:
    return ReminderKey(chat_id, GROUP_KIND, "counts", today.isoformat())
