"""The dashboard's read models: every figure the Mini App shows, in one module.

Nothing here decides a rule. Effective status, due dates, colours and overdue are the
status model's (`core.status.model.assess`, its SQL forms in `core.status.clauses`), read
through the same queries the text screens (/status, /dept, /item, /overdue) use
(`core.oversight.overview`, `core.reporting.reports`), so the dashboard and the screens
agree.

Two places read more cleverly than the screens, for speed at 100,000 bindings and
1,000,000 reports (bench/dashboard.py): `colour_tally` assesses bindings grouped by the
inputs `assess` reads rather than each binding (a test checks it equals
`colour_counts`), and `overdue_page` counts the overdue bindings per department in SQL
and assesses only the departments its page shows. `reports_per_week` keeps the counts of
weeks that are over.

Each read model is a use case given the `DashboardReader` it reads through
(core/dashboard/interfaces.py): `core.dashboard.sql.SqlDashboard` over the request's
session (bot/webapp/server.py makes it), or a recording fake in unit tests. The reader
reads; the figures, colours, scope and pages are made here.

`scope` is the department a liaison may see (None: every department, for staff); the web
layer decides the scope from the role, these functions apply it (`NotYours` for what is
of another department). Lists are paged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.oversight.overview import DepartmentSummary, OverdueItem
from core.people.permissions import Role
from core.reporting.reports import HistoryEntry, ItemView
from core.status.day import Day, Reading
from core.status.model import (
    Colour,
    Counts,
    Facts,
    Pace,
    State,
    campaign_start,
    due_date,
    steps_before,
    tally,
)
from core.supervision.extensions import ExtensionEntry
from storage.models import Campaign

if TYPE_CHECKING:
    from core.dashboard.interfaces import DashboardReader

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int
    total: int


def page_bounds(offset: int, limit: int) -> tuple[int, int]:
    return max(0, offset), min(max(1, limit), MAX_PAGE)


class NotYours(Exception):
    """What was asked belongs to another department than the liaison's own."""


def scope_of(role: Role, department_id: int | None) -> int | None:
    """The department a viewer is limited to: a liaison's own; None (every department)
    for staff (leaders, the office, admins)."""
    return department_id if role is Role.LIAISON else None


# ---------------------------------------------------------------- overview


@dataclass(frozen=True)
class DepartmentBar:
    summary: DepartmentSummary
    red: int
    yellow: int

    @property
    def green(self) -> int:
        return self.summary.counts.total - self.red - self.yellow


@dataclass(frozen=True)
class OverviewPage:
    title: str
    year: int | None
    totals: Counts
    red: int
    yellow: int
    departments: tuple[DepartmentBar, ...]  # worst first, one page of them
    page: Page

    @property
    def green(self) -> int:
        return self.totals.total - self.red - self.yellow


async def colour_tally(
    reader: DashboardReader,
    campaign: Campaign,
    reading: Reading,
    *,
    department_ids: Sequence[int] | None = None,
    day: Day | None = None,
) -> dict[int | None, dict[str, int]]:
    """Items per colour (`State.colour`), per department of `department_ids`, or for the
    whole campaign under the key None.

    `assess` reads a binding's status, review state, the item's deadline (with the
    campaign's year) and the local date of its last report, else of the binding. The
    reader groups the bindings by exactly those (`ColourGroup`), so `assess` runs once
    per group instead of once per binding (100,000 bindings: a few thousand groups).
    `day` is the request's `Day` of `campaign` when the caller read it already (else
    read here).
    """
    rules = reading.rules
    day_of_campaign = day or await reader.day(campaign, reading)
    tallies: dict[int | None, dict[str, int]] = {}
    for group in await reader.colour_groups(campaign, reading, department_ids):
        # Local midnights of the days of the last report and of the binding: `assess`
        # reads only their local dates.
        last = (
            dt.datetime.combine(group.reported_on, dt.time(), tzinfo=rules.tz)
            if group.reported_on is not None
            else None
        )
        active = dt.datetime.combine(group.bound_on, dt.time(), tzinfo=rules.tz)
        target = day_of_campaign.pace_targets.get(group.item_id)
        state = day_of_campaign.assess(
            Facts(
                group.status,
                group.review_state,
                group.deadline,
                campaign.year,
                last,
                active,
                extended_due=group.extended_due,
                milestones=day_of_campaign.milestones.by_item.get(group.item_id, ()),
                rectification_due=group.rectification_due,
                pace=Pace(target, group.progress, campaign.starts_on)
                if target is not None
                else None,
            )
        )
        department_id = group.department_id if department_ids is not None else None
        entry = tallies.setdefault(department_id, {c.value: 0 for c in Colour})
        entry[state.colour.value] += group.count
    return tallies


async def overview(
    reader: DashboardReader,
    campaign: Campaign,
    reading: Reading,
    *,
    offset: int = 0,
    limit: int = 30,
) -> OverviewPage:
    """Overall and per-department counts (as /status), with the three-colour counts of
    the campaign and of the page's departments."""
    offset, limit = page_bounds(offset, limit)
    day = await reader.day(campaign, reading)  # once for the request's three queries
    view = await reader.campaign_overview(campaign, day)
    shown = view.departments[offset : offset + limit]
    overall = (await colour_tally(reader, campaign, reading, day=day)).get(None, {})
    by_department = await colour_tally(
        reader, campaign, reading, department_ids=[d.id for d in shown], day=day
    )
    bars = tuple(
        DepartmentBar(
            summary,
            by_department.get(summary.id, {}).get(Colour.RED.value, 0),
            by_department.get(summary.id, {}).get(Colour.YELLOW.value, 0),
        )
        for summary in shown
    )
    return OverviewPage(
        view.title,
        view.year,
        view.totals,
        overall.get(Colour.RED.value, 0),
        overall.get(Colour.YELLOW.value, 0),
        bars,
        Page(offset, limit, len(view.departments)),
    )


# ---------------------------------------------------------------- reports per week


# Reports are appended with the time they were made, so a week that is over keeps its
# count: those are computed once per process and week, and only the current week is
# counted at every request (a range on ix_report_created_at). At 1,000,000 reports the
# full count takes seconds; the current week's, milliseconds (bench/dashboard.py). The
# one exception, /unbind deleting a binding's reports, shows up from the next week.
_CLOSED_WEEKS: dict[tuple[object, ...], dict[dt.date, int]] = {}
_CLOSED_WEEKS_LIMIT = 2_000


async def _reports_by_week(
    reader: DashboardReader,
    campaign: Campaign,
    reading: Reading,
    scope: int | None,
    *,
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> dict[dt.date, int]:
    """Reports per local week (keyed by Monday) made in [since, before)."""
    weeks: dict[dt.date, int] = {}
    for reported, count in await reader.reports_by_day(
        campaign, reading, scope, since=since, before=before
    ):
        monday = reported - dt.timedelta(days=reported.weekday())
        weeks[monday] = weeks.get(monday, 0) + count
    return weeks


async def reports_per_week(
    reader: DashboardReader, campaign: Campaign, reading: Reading, *, scope: int | None = None
) -> list[tuple[dt.date, int]]:
    """(Monday of the local week, reports made that week) over the campaign's year (up to
    today), empty weeks included."""
    this_monday = reading.today - dt.timedelta(days=reading.today.weekday())
    week_start = dt.datetime.combine(this_monday, dt.time(), reading.rules.tz).astimezone(dt.UTC)
    # The database and the campaign's creation time too: a campaign id alone may name
    # another campaign in another (or a re-created) database.
    key = (
        reader.database,
        campaign.id,
        campaign.created_at,
        scope,
        str(reading.rules.tz),
        this_monday,
    )
    closed = _CLOSED_WEEKS.get(key)
    if closed is None:
        closed = await _reports_by_week(reader, campaign, reading, scope, before=week_start)
        if len(_CLOSED_WEEKS) >= _CLOSED_WEEKS_LIMIT:
            _CLOSED_WEEKS.clear()
        _CLOSED_WEEKS[key] = closed
    current = await _reports_by_week(reader, campaign, reading, scope, since=week_start)
    weeks = dict(closed)
    for monday, count in current.items():
        weeks[monday] = weeks.get(monday, 0) + count
    # The campaign's year up to today; widened to any week that has reports.
    start_day = campaign.created_at.astimezone(reading.rules.tz).date()
    end_day = reading.today
    if campaign.year is not None:
        start_day = dt.date(campaign.year, 1, 1)
        end_day = min(end_day, dt.date(campaign.year, 12, 31))
    if weeks:
        start_day, end_day = min(start_day, *weeks), max(end_day, *weeks)
    week = start_day - dt.timedelta(days=start_day.weekday())
    last = end_day
    series: list[tuple[dt.date, int]] = []
    while week <= last:
        series.append((week, weeks.get(week, 0)))
        week += dt.timedelta(days=7)
    return series


# ---------------------------------------------------------------- department, item


@dataclass(frozen=True)
class ItemRow:
    view: ItemView
    department_name: str
    state: State  # the status model's, as /dept and /item show it
    extensions: tuple[ExtensionEntry, ...] = ()  # every extension asked, with who decided

    @property
    def effective(self) -> str:
        return self.state.effective

    @property
    def colour(self) -> Colour:
        return self.state.colour


def _row(
    view: ItemView,
    name: str,
    reading: Reading,
    history: dict[int, list[ExtensionEntry]] | None = None,
) -> ItemRow:
    entries = tuple((history or {}).get(view.binding_id, ()))
    return ItemRow(view, name, view.state(reading.today, reading.rules), entries)


@dataclass(frozen=True)
class DepartmentPage:
    id: int
    name: str
    dept_class: str
    counts: Counts
    last_reported_at: dt.datetime | None
    items: tuple[ItemRow, ...]  # own items, then general ones; outstanding first (/items)


async def department_page(
    reader: DashboardReader, department_id: int, reading: Reading, *, scope: int | None = None
) -> DepartmentPage | None:
    """A department's items in /items' order (`reports.liaison_order`): its own items
    first, then the general ones; in each, outstanding before done. None without such
    a department; NotYours (nothing read) for another department than `scope`."""
    if scope is not None and department_id != scope:
        raise NotYours(department_id)
    department = await reader.department(department_id)
    if department is None:
        return None
    views = await reader.department_items(department.id)
    last = max((v.last_reported_at for v in views if v.last_reported_at), default=None)
    history = await reader.extension_history([v.binding_id for v in views])
    return DepartmentPage(
        department.id,
        department.name,
        department.dept_class,
        tally((v.status, v.review_state) for v in views),
        last,
        tuple(_row(v, department.name, reading, history) for v in views),
    )


@dataclass(frozen=True)
class ItemPage:
    code: str
    title: str
    text: str
    due: State  # one binding's state: the due date and its source are the item's
    counts: Counts
    rows: tuple[ItemRow, ...]  # one page of departments, in the document's order
    page: Page


async def item_page(
    reader: DashboardReader,
    code: str,
    reading: Reading,
    *,
    scope: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ItemPage | None:
    """One item across the departments bound to it (a liaison: their own only)."""
    offset, limit = page_bounds(offset, limit)
    views = await reader.item_bindings(code)
    if scope is not None:
        views = [v for v in views if v.department_id == scope]
    if not views:
        return None
    departments = await reader.departments({v.department_id for v in views})
    views.sort(
        key=lambda v: (_document_order(departments[v.department_id].number), v.department_id)
    )
    first = views[0]
    shown = views[offset : offset + limit]
    history = await reader.extension_history([v.binding_id for v in shown])
    return ItemPage(
        first.code,
        first.title,
        first.text,
        first.state(reading.today, reading.rules),
        tally((v.status, v.review_state) for v in views),
        tuple(_row(v, departments[v.department_id].name, reading, history) for v in shown),
        Page(offset, limit, len(views)),
    )


def _document_order(number: int | None) -> int:
    # As core.oversight.overview sorts: departments without a number after the others.
    return number if number is not None else 10_000


# ---------------------------------------------------------------- overdue


@dataclass(frozen=True)
class OverduePage:
    rows: tuple[OverdueItem, ...]
    page: Page


async def overdue_page(
    reader: DashboardReader,
    campaign: Campaign,
    reading: Reading,
    *,
    scope: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> OverduePage:
    """The /overdue list (`State.overdue`: past due or silent), one page of it, in
    /overdue's order: `core.oversight.overview.overdue_slice`, as /overdue reads it."""
    offset, limit = page_bounds(offset, limit)
    found = await reader.overdue_slice(
        campaign,
        await reader.day(campaign, reading),
        offset=offset,
        limit=limit,
        department_id=scope,
    )
    return OverduePage(found.rows, Page(offset, limit, found.total))


# ---------------------------------------------------------------- reports and evidence


@dataclass(frozen=True)
class BindingRef:
    binding_id: int
    department_id: int
    department_name: str
    campaign_id: int
    code: str
    title: str


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    report_id: int
    kind: str  # photo / document
    mime_type: str
    file_name: str
    size: int
    stored_path: str
    department_id: int


@dataclass(frozen=True)
class ReportsPage:
    binding: BindingRef
    reports: tuple[tuple[HistoryEntry, tuple[EvidenceFile, ...]], ...]  # newest first
    page: Page


async def binding_reports(
    reader: DashboardReader,
    binding_id: int,
    *,
    scope: int | None = None,
    offset: int = 0,
    limit: int = 10,
) -> ReportsPage | None:
    """A binding's reports, newest first (as /history), each with its evidence files.
    None without such a binding; NotYours when it is not of department `scope`."""
    binding = await reader.binding_ref(binding_id)
    if binding is None:
        return None
    if scope is not None and binding.department_id != scope:
        raise NotYours(binding_id)
    offset, limit = page_bounds(offset, limit)
    entries, total = await reader.history(binding.binding_id, offset=offset, limit=limit)
    files: dict[int, list[EvidenceFile]] = {}
    if entries:
        for evidence in await reader.evidence_of(
            [e.report_id for e in entries], binding.department_id
        ):
            files.setdefault(evidence.report_id, []).append(evidence)
    return ReportsPage(
        binding,
        tuple((entry, tuple(files.get(entry.report_id, []))) for entry in entries),
        Page(offset, limit, total),
    )


async def evidence_file(
    reader: DashboardReader, evidence_id: int, *, scope: int | None = None
) -> EvidenceFile | None:
    """One evidence file (None if there is none); NotYours when it is of a binding of
    another department than `scope`."""
    found = await reader.evidence_file(evidence_id)
    if found is not None and scope is not None and found.department_id != scope:
        raise NotYours(evidence_id)
    return found


# ---------------------------------------------------------------- trend (issue 22)


@dataclass(frozen=True)
class TrendLine:
    """One department's reported values of an item's first target, oldest first."""

    department_id: int
    department: str
    points: tuple[tuple[dt.date, Decimal], ...]


@dataclass(frozen=True)
class Trend:
    metric: str
    unit: str
    target: Decimal
    lines: tuple[TrendLine, ...]
    pace: tuple[tuple[dt.date, Decimal], ...]  # the pace line's corners; () when not paced


async def item_trend(
    reader: DashboardReader,
    campaign: Campaign,
    code: str,
    reading: Reading,
    *,
    department_ids: Sequence[int] | None = None,
) -> Trend | None:
    """The values reported over time for an item's first target, per department (of
    `department_ids` only, when given), with its target and its pace line. None for an
    item without a numeric target."""
    source = await reader.trend_source(campaign, code, department_ids)
    if source is None:
        return None
    tz = reading.rules.tz
    by_department: dict[int, tuple[str, list[tuple[dt.date, Decimal]]]] = {}
    for department_id, name, at, value in source.points:
        entry = by_department.setdefault(department_id, (name, []))
        entry[1].append((at.astimezone(tz).date(), value))
    pace: tuple[tuple[dt.date, Decimal], ...] = ()
    start = campaign_start(campaign.year, campaign.starts_on)
    final, _source = due_date(source.deadline, campaign.year)
    if source.pace_target is not None and start is not None and final is not None:
        steps = steps_before(final, source.milestones)
        corners = [start, *(s for s in steps if start < s < final), final]
        shares = len(corners) - 1
        pace = tuple(
            (corner, source.pace_target * index / shares) for index, corner in enumerate(corners)
        )
    return Trend(
        source.metric,
        source.unit,
        source.target,
        tuple(
            TrendLine(department_id, name, tuple(points))
            for department_id, (name, points) in by_department.items()
        ),
        pace,
    )
