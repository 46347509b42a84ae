"""What the office and leaders read: how far each department is, and what is late.

Every rule (effective status, due date, silence, colour) is the status model's,
`core.status.model`; the SQL filters are its `core.status.clauses`. Every screen here is
one aggregate or joined query, never one query per department.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.status.clauses import overdue_clause, past_due_clause, silent_clause
from core.status.counts import department_tally
from core.status.day import FACT_COLUMNS, Day, facts_of
from core.status.model import Counts, State, department_quiet_days, department_silent
from core.text.matching import code_key
from storage import repositories as repo
from storage.models import Binding, Campaign, Department, Item


@dataclass(frozen=True)
class DepartmentSummary:
    id: int
    name: str
    number: int | None
    dept_class: str
    counts: Counts
    last_reported_at: dt.datetime | None
    # The status model's department silence (`department_quiet_days`, `department_silent`):
    # local days since any of its items was reported, or, never reported, since the later
    # of its first binding and the campaign's start. None without a day read, or bindings.
    quiet_days: int | None = None
    silent: bool = False


@dataclass(frozen=True)
class Overview:
    campaign_id: int
    title: str
    year: int | None
    departments: tuple[DepartmentSummary, ...]  # worst first
    totals: Counts = field(default_factory=Counts)


def worst_first(summary: DepartmentSummary) -> tuple[object, ...]:
    """Lowest rate first; then more blocked, more not started, longer silent; then the
    document's order. Departments without items go last."""
    counts = summary.counts
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    return (
        counts.rate is None,
        counts.rate or 0.0,
        -counts.blocked,
        -counts.not_started,
        summary.last_reported_at or never,
        summary.number if summary.number is not None else 10_000,
        summary.id,
    )


async def campaign_overview(
    session: AsyncSession, campaign: Campaign, *, day: Day | None = None
) -> Overview:
    """Per-department counts of a campaign, worst first: the departments, and their
    bindings counted by effective status (`core.status.counts`, shared with the digest
    and the export); with the update's `day`, each department's silence as the digest
    says it."""
    departments = await repo.departments(session, campaign.id)
    tally = await department_tally(
        session,
        department_id=Binding.department_id,
        status=Binding.status,
        review_state=Binding.review_state,
        reported_at=Binding.last_reported_at,
        bound_at=Binding.created_at,
        where=Binding.campaign_id == campaign.id,
    )
    quiet: dict[int, int | None] = {}
    if day is not None:
        quiet = {
            d.id: department_quiet_days(
                tally.last_reported_at.get(d.id),
                tally.first_bound_at.get(d.id),
                campaign.year,
                campaign.starts_on,
                day.today,
                day.rules.tz,
            )
            for d in departments
        }
    summaries = sorted(
        (
            DepartmentSummary(
                id=d.id,
                name=d.name,
                number=d.number,
                dept_class=d.dept_class,
                counts=tally.of(d.id),
                last_reported_at=tally.last_reported_at.get(d.id),
                quiet_days=quiet.get(d.id),
                silent=day is not None and department_silent(quiet.get(d.id), day.rules),
            )
            for d in departments
        ),
        key=worst_first,
    )
    return Overview(campaign.id, campaign.title, campaign.year, tuple(summaries), tally.totals)


async def colour_counts(
    session: AsyncSession, campaign: Campaign, *, day: Day
) -> dict[int, dict[str, int]]:
    """Per department, how many items are red and yellow today (one query)."""
    rows = await session.execute(
        select(Binding.department_id, *FACT_COLUMNS)
        .join(Item, Item.id == Binding.item_id)
        .where(Binding.campaign_id == campaign.id)
    )
    counts: dict[int, dict[str, int]] = {}
    for department_id, *facts in rows:
        state = day.assess(facts_of(facts, campaign.year, campaign.starts_on))
        entry = counts.setdefault(department_id, {"red": 0, "yellow": 0})
        if state.colour.value in entry:
            entry[state.colour.value] += 1
    return counts


# ---------------------------------------------------------------- overdue


@dataclass(frozen=True)
class OverdueItem:
    binding_id: int
    department_id: int
    department_name: str
    department_number: int | None
    code: str
    title: str
    last_reported_at: dt.datetime | None
    state: State

    @property
    def past_deadline(self) -> bool:
        return self.state.past_due

    @property
    def silent_days(self) -> int | None:
        """Days without a report, when silent."""
        return self.state.quiet_days if self.state.silent else None


async def overdue_items(
    session: AsyncSession,
    campaign: Campaign,
    *,
    day: Day,
    department_ids: Sequence[int] | None = None,
) -> list[OverdueItem]:
    """Bindings past due and not done, or silent (`State.overdue`): one joined query
    filtered by the same rule in SQL; of `department_ids` only, when given (the
    dashboard's pages).

    Sorted by department (document order), then past-due before silent, then code.
    """
    query = (
        select(
            Binding.id,
            Binding.department_id,
            Department.name,
            Department.number,
            Item.code,
            Item.title,
            *FACT_COLUMNS,
        )
        .join(Item, Item.id == Binding.item_id)
        .join(Department, Department.id == Binding.department_id)
        .where(
            Binding.campaign_id == campaign.id,
            overdue_clause(day.today, day.rules, campaign.year, milestones=day.milestones),
        )
    )
    if department_ids is not None:
        query = query.where(Binding.department_id.in_(list(department_ids)))
    rows = await session.execute(query)
    found: list[OverdueItem] = []
    for binding_id, department_id, name, number, code, title, *facts in rows:
        last = facts[3]  # Binding.last_reported_at (FACT_COLUMNS)
        state = day.assess(facts_of(facts, campaign.year, campaign.starts_on))
        if state.overdue:
            found.append(
                OverdueItem(binding_id, department_id, name, number, code, title, last, state)
            )
    found.sort(
        key=lambda o: (
            o.department_number if o.department_number is not None else 10_000,
            o.department_id,
            not o.past_deadline,
            code_key(o.code),
        )
    )
    return found


# Entries a page of /overdue shows: about one message. A city's campaign has tens of
# thousands overdue; the rest is a button press (or the dashboard) away.
OVERDUE_PAGE = 30


@dataclass(frozen=True)
class OverdueSlice:
    """One page of the overdue list, and what the whole list counts."""

    rows: tuple[OverdueItem, ...]
    offset: int
    total: int  # overdue bindings in all
    past_due: int  # of them past due (some are silent too)
    silent: int
    per_department: dict[int, int] = field(default_factory=dict)  # overdue of each

    @property
    def departments(self) -> int:
        """Departments with anything overdue."""
        return len(self.per_department)


async def overdue_slice(
    session: AsyncSession,
    campaign: Campaign,
    *,
    day: Day,
    offset: int = 0,
    limit: int = 50,
    department_id: int | None = None,
) -> OverdueSlice:
    """`limit` entries of the /overdue list from `offset`, in its order (departments in
    the document's order); of one department when given.

    Two queries whatever the campaign's size: each department's overdue, past-due and
    silent counts (in SQL, by the model's clauses), then `overdue_items` for only the
    departments the page reaches."""
    past_due = past_due_clause(day.today, campaign.year, rules=day.rules, milestones=day.milestones)
    silent = silent_clause(day.today, day.rules)
    query = (
        select(
            Binding.department_id,
            Department.number,
            func.count(),
            func.count(case((past_due, 1))),
            func.count(case((silent, 1))),
        )
        .join(Item, Item.id == Binding.item_id)
        .join(Department, Department.id == Binding.department_id)
        .where(Binding.campaign_id == campaign.id, or_(past_due, silent))
        .group_by(Binding.department_id, Department.number)
    )
    if department_id is not None:
        query = query.where(Binding.department_id == department_id)
    per_department = sorted(
        (number if number is not None else 10_000, dept_id, int(count), int(past), int(quiet))
        for dept_id, number, count, past, quiet in await session.execute(query)
    )
    offset, limit = max(0, offset), max(1, limit)
    wanted: list[int] = []
    first_index = 0  # where the first wanted department's rows start in the whole list
    start = 0
    for _number, dept_id, count, _past, _quiet in per_department:
        if start + count > offset and start < offset + limit:
            if not wanted:
                first_index = start
            wanted.append(dept_id)
        start += count
    rows: list[OverdueItem] = []
    if wanted:
        found = await overdue_items(session, campaign, day=day, department_ids=wanted)
        rows = found[offset - first_index : offset - first_index + limit]
    return OverdueSlice(
        rows=tuple(rows),
        offset=offset,
        total=start,
        past_due=sum(entry[3] for entry in per_department),
        silent=sum(entry[4] for entry in per_department),
        per_department={entry[1]: entry[2] for entry in per_department},
    )
