"""Urging (催办) a department: who is told, whether it was just urged, and the record.

An urge goes privately to the department's liaisons and, as a note naming only the
department and how many items are outstanding (never a person, never the office's text,
which may name people), to the office group. Each urge is written to the audit log
(action `urge`, detail: department_id, text, liaison_count); an urge of the same
department within `REPEAT_WINDOW` of its last one asks the office to confirm first, so a
double tap does not message people twice. A department without a liaison is not urged,
and nothing is recorded.

The use cases take an `UrgeStore` (core/oversight/interfaces.py) explicitly; the handler
passes `core.oversight.urge_sql.SqlUrge` over its unit of work, which commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from core.oversight.interfaces import DepartmentRef, UrgeReader, UrgeStore
from core.people.roster import Recipient
from core.status.model import DONE, EFFECTIVE_ORDER, effective_status
from core.text.matching import code_key

REPEAT_WINDOW = dt.timedelta(hours=1)
URGE_ACTION = "urge"
MAX_NOTE = 1000


@dataclass(frozen=True)
class Outstanding:
    code: str
    title: str
    status: str  # effective


@dataclass(frozen=True)
class UrgePlan:
    department: DepartmentRef
    liaisons: tuple[Recipient, ...]
    outstanding: tuple[Outstanding, ...]  # the department's items not done, worst first
    last_urged_at: dt.datetime | None  # within REPEAT_WINDOW, else None


@dataclass(frozen=True)
class GroupNote:
    """What the office group is told: the department and a count, nothing else."""

    chat_id: int
    department: str
    outstanding: int


class UrgeRefusal(StrEnum):
    NO_LIAISON = "no_liaison"  # nobody to urge: nothing sent, nothing recorded
    NO_DEPARTMENT = "no_department"


@dataclass(frozen=True)
class UrgeOutcome:
    """Exactly one of: refused, waiting for a confirmation (urged within the hour), urged."""

    plan: UrgePlan | None = None
    refusal: UrgeRefusal | None = None
    confirm_since: dt.datetime | None = None  # the last urge, when a confirmation is asked
    note: str = ""
    group: GroupNote | None = None  # None: no office group set, no note goes out

    @property
    def urged(self) -> bool:
        return self.plan is not None and self.refusal is None and self.confirm_since is None


async def plan_urge(reader: UrgeReader, department: DepartmentRef, now: dt.datetime) -> UrgePlan:
    """Who would be told, about what, and whether the department was urged just now."""
    outstanding = [
        Outstanding(b.code, b.title, effective_status(b.status, b.review_state))
        for b in await reader.bindings(department.id)
    ]
    outstanding = [o for o in outstanding if o.status != DONE]
    outstanding.sort(key=lambda o: (EFFECTIVE_ORDER.get(o.status, 9), code_key(o.code)))
    return UrgePlan(
        department=department,
        liaisons=tuple(await reader.liaisons(department.id)),
        outstanding=tuple(outstanding),
        last_urged_at=await reader.last_urged(department.id, now - REPEAT_WINDOW),
    )


def group_chat(setting: str | None) -> int | None:
    """The office group's chat id from its setting; None when unset or unusable."""
    if not setting or not setting.lstrip("-").isdigit():
        return None
    return int(setting)


async def urge(
    store: UrgeStore,
    department: DepartmentRef,
    *,
    note: str,
    actor_tg_id: int,
    now: dt.datetime,
    confirmed: bool = False,
) -> UrgeOutcome:
    """Urge `department`: recorded (staged, flushed) with who is to be told after the
    commit. Not when it has no liaison; not yet, unless `confirmed`, when it was urged
    within REPEAT_WINDOW (the outcome then says when, and nothing is recorded)."""
    note = note.strip()[:MAX_NOTE]
    plan = await plan_urge(store, department, now)
    if not plan.liaisons:
        return UrgeOutcome(plan, refusal=UrgeRefusal.NO_LIAISON, note=note)
    if plan.last_urged_at is not None and not confirmed:
        return UrgeOutcome(plan, confirm_since=plan.last_urged_at, note=note)
    store.log(
        URGE_ACTION,
        {"department_id": department.id, "text": note, "liaison_count": len(plan.liaisons)},
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await store.flush()
    chat_id = group_chat(await store.office_chat())
    group = None if chat_id is None else GroupNote(chat_id, department.name, len(plan.outstanding))
    return UrgeOutcome(plan, note=note, group=group)


async def urge_by_id(
    store: UrgeStore,
    department_id: int,
    *,
    note: str,
    actor_tg_id: int,
    now: dt.datetime,
    confirmed: bool = False,
) -> UrgeOutcome:
    """`urge` of a department chosen by id (a button); refused when it no longer exists."""
    department = await store.department(department_id)
    if department is None:
        return UrgeOutcome(refusal=UrgeRefusal.NO_DEPARTMENT, note=note)
    return await urge(
        store, department, note=note, actor_tg_id=actor_tg_id, now=now, confirmed=confirmed
    )
