"""What the office and leaders read: how far each department is, and what is late.

Every rule (effective status, due date, silence, colour) is the status model's,
`core.status.model`; the SQL filters are its `core.status.clauses`. The use cases
(`status_overview` for /status, `read_overdue` for /overdue) take their reader
(`OverviewReader`, `OverdueReader`, core/oversight/interfaces.py) and the update's
`Reading` explicitly; `core.oversight.overview_sql.SqlOverview` is the database's. Every
screen is one aggregate or joined query per part, never one query per department.

`campaign_overview`, `colour_counts`, `overdue_items` and `overdue_slice` take a session
and an ORM campaign: the same use cases over `SqlOverview`, for the dashboard, the export,
bench and tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from core.oversight.interfaces import (
    DepartmentInfo,
    OverdueCount,
    OverdueReader,
    OverdueRow,
    OverviewReader,
)
from core.oversight.overview_sql import SqlOverview
from core.status.counts import DepartmentTally
from core.status.day import Day, Reading
from core.status.interfaces import CampaignRef
from core.status.model import Counts, State, department_quiet_days, department_silent
from core.status.sql import campaign_ref
from core.text.matching import code_key
from storage.models import Campaign


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


def summarise(
    campaign: CampaignRef,
    departments: Iterable[DepartmentInfo],
    tally: DepartmentTally,
    day: Day | None,
) -> Overview:
    """Per-department counts of a campaign, worst first; with the update's `day`, each
    department's silence as the digest says it (the status model's)."""
    departments = list(departments)
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


async def overview_of(
    reader: OverviewReader, campaign: CampaignRef, *, day: Day | None = None
) -> Overview:
    """The departments, and their bindings counted by effective status (two queries)."""
    departments = await reader.departments(campaign.id)
    return summarise(campaign, departments, await reader.tally(campaign.id), day)


async def colours_of(
    reader: OverviewReader, campaign: CampaignRef, *, day: Day
) -> dict[int, dict[str, int]]:
    """Per department, how many items are red and yellow today (one query)."""
    counts: dict[int, dict[str, int]] = {}
    for binding in await reader.department_facts(campaign):
        state = day.assess(binding.facts)
        entry = counts.setdefault(binding.department_id, {"red": 0, "yellow": 0})
        if state.colour.value in entry:
            entry[state.colour.value] += 1
    return counts


@dataclass(frozen=True)
class StatusView:
    """What /status shows: the overview of the active campaign and its colours."""

    day: Day
    overview: Overview
    colours: dict[int, dict[str, int]]


async def status_overview(reader: OverviewReader, reading: Reading) -> StatusView | None:
    """/status at `reading` (the update's day): None without an active campaign. The
    campaign, its day, departments, tally and colours: five queries whatever its size."""
    campaign = await reader.active_campaign()
    if campaign is None:
        return None
    day = await reading.read(reader, campaign)
    overview = await overview_of(reader, campaign, day=day)
    return StatusView(day, overview, await colours_of(reader, campaign, day=day))


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


def overdue_entries(rows: Iterable[OverdueRow], day: Day) -> list[OverdueItem]:
    """The rows the status model calls overdue on `day`, sorted by department (document
    order), then past-due before silent, then code."""
    found: list[OverdueItem] = []
    for row in rows:
        state = day.assess(row.facts)
        if state.overdue:
            found.append(
                OverdueItem(
                    row.binding_id,
                    row.department_id,
                    row.department_name,
                    row.department_number,
                    row.code,
                    row.title,
                    row.facts.last_reported_at,
                    state,
                )
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


async def overdue_list(
    reader: OverdueReader,
    campaign: CampaignRef,
    *,
    day: Day,
    department_ids: Sequence[int] | None = None,
) -> list[OverdueItem]:
    """Bindings past due and not done, or silent (`State.overdue`): one joined query
    filtered by the same rule in SQL; of `department_ids` only, when given."""
    rows = await reader.overdue_rows(campaign, day, department_ids=department_ids)
    return overdue_entries(rows, day)


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


async def overdue_page_of(
    reader: OverdueReader,
    campaign: CampaignRef,
    *,
    day: Day,
    offset: int = 0,
    limit: int = 50,
    department_id: int | None = None,
) -> OverdueSlice:
    """`limit` entries of the /overdue list from `offset`, in its order (departments in
    the document's order); of one department when given.

    Two queries whatever the campaign's size: each department's overdue, past-due and
    silent counts (in SQL, by the model's clauses), then the rows of only the departments
    the page reaches."""
    counts: list[OverdueCount] = sorted(
        await reader.overdue_counts(campaign, day, department_id=department_id),
        key=lambda c: (c.number if c.number is not None else 10_000, c.department_id),
    )
    offset, limit = max(0, offset), max(1, limit)
    wanted: list[int] = []
    first_index = 0  # where the first wanted department's rows start in the whole list
    start = 0
    for entry in counts:
        if start + entry.overdue > offset and start < offset + limit:
            if not wanted:
                first_index = start
            wanted.append(entry.department_id)
        start += entry.overdue
    rows: list[OverdueItem] = []
    if wanted:
        found = await overdue_list(reader, campaign, day=day, department_ids=wanted)
        rows = found[offset - first_index : offset - first_index + limit]
    return OverdueSlice(
        rows=tuple(rows),
        offset=offset,
        total=start,
        past_due=sum(entry.past_due for entry in counts),
        silent=sum(entry.silent for entry in counts),
        per_department={entry.department_id: entry.overdue for entry in counts},
    )


@dataclass(frozen=True)
class OverdueScreen:
    """What /overdue shows: the update's day (its date and silence) and one page."""

    day: Day
    page: OverdueSlice


async def read_overdue(
    reader: OverdueReader, reading: Reading, *, offset: int = 0, limit: int = OVERDUE_PAGE
) -> OverdueScreen | None:
    """/overdue's page from `offset` at `reading` (the update's day); None without an
    active campaign. Four queries: the campaign, its day, the counts, the page's rows."""
    campaign = await reader.active_campaign()
    if campaign is None:
        return None
    day = await reading.read(reader, campaign)
    page = await overdue_page_of(reader, campaign, day=day, offset=offset, limit=limit)
    return OverdueScreen(day, page)


# ---------------------------------------------------------------- over a session


async def campaign_overview(
    session: AsyncSession, campaign: Campaign, *, day: Day | None = None
) -> Overview:
    """`overview_of` an ORM campaign over `session` (the dashboard, bench, tests)."""
    return await overview_of(SqlOverview(session), campaign_ref(campaign), day=day)


async def colour_counts(
    session: AsyncSession, campaign: Campaign, *, day: Day
) -> dict[int, dict[str, int]]:
    """`colours_of` an ORM campaign over `session`."""
    return await colours_of(SqlOverview(session), campaign_ref(campaign), day=day)


async def overdue_items(
    session: AsyncSession,
    campaign: Campaign,
    *,
    day: Day,
    department_ids: Sequence[int] | None = None,
) -> list[OverdueItem]:
    """`overdue_list` of an ORM campaign over `session` (the dashboard's pages)."""
    return await overdue_list(
        SqlOverview(session), campaign_ref(campaign), day=day, department_ids=department_ids
    )


async def overdue_slice(
    session: AsyncSession,
    campaign: Campaign,
    *,
    day: Day,
    offset: int = 0,
    limit: int = 50,
    department_id: int | None = None,
) -> OverdueSlice:
    """`overdue_page_of` an ORM campaign over `session` (the dashboard, bench)."""
    return await overdue_page_of(
        SqlOverview(session),
        campaign_ref(campaign),
        day=day,
        offset=offset,
        limit=limit,
        department_id=department_id,
    )
