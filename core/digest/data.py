"""The figures of a digest, read from the database as they stood at one moment.

A digest covers a *window*: from the previous digest of the group (its stored `until`)
to now, or for a past date to that day's digest time. State is taken *as of the end of
the window* from the append-only reports (each binding's latest report at that moment),
so `python -m bot digest --print --date D` shows what the digest of day D said; for
today it is the bindings' denormalised latest state.

Every rule is the status model's (`core.status.model`), read with the office's rules
(`Settings.status_rules`, passed in): what "done" means, when an item is past due (its
current step: a milestone, an extension, a rectification, its own deadline, or the
campaign year's end), so the digest, /status, /overdue and the export never disagree. A
department is silent by the model's `department_silent` (no report on any of its items
for SILENT_DAYS, counted from the later of its first binding and the campaign's start
when never reported).

The use cases (`window_of`, `gather`) take their `DigestReader` (core/digest/interfaces.py)
explicitly; `core.digest.sql.SqlDigest` reads the database: ten queries whatever the
number of departments, and what they return grows with what the digest names
(departments, past-due items, the latest values, the window's reports), never with the
million reports behind them (each binding's state is read from its own row, and counted
in the database). `digest_window` and `collect` are the same over a session, for tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.digest.interfaces import DigestReader, SentDigest, WindowReader
from core.reporting.values import meets
from core.scheduling.times import digest_moment
from core.status.day import Reading
from core.status.model import (
    DueSource,
    Rules,
    department_quiet_days,
    department_silent,
)
from core.text.matching import code_key
from storage.models import STATUS_NOT_STARTED

# Settings keys (storage.models.Setting) naming the office group and when it was set.
OFFICE_CHAT_KEY = "office_chat_id"
OFFICE_SET_AT_KEY = "office_chat_set_at"


@dataclass(frozen=True)
class Window:
    since: dt.datetime
    until: dt.datetime

    def to_json(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


def _parse(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _window_of(sent: SentDigest | None) -> Window | None:
    if sent is None:
        return None
    since, until = _parse(sent.summary.get("since")), _parse(sent.summary.get("until"))
    return Window(since, until) if since is not None and until is not None else None


async def window_of(
    reader: WindowReader,
    chat_id: int | None,
    local_date: dt.date,
    *,
    reading: Reading,
    at: dt.time,
) -> Window:
    """The window of (chat, date)'s digest, read at `reading` (the job's or the command's
    moment): the stored one if it was built before; else from the previous digest's end
    (or a day back) to now, or for a past date to that day's digest time."""
    if chat_id is not None:
        stored = _window_of(await reader.stored_digest(chat_id, local_date))
        if stored is not None:
            return stored
    now, tz = reading.now, reading.rules.tz
    until = now if local_date >= reading.today else digest_moment(local_date, at, tz)
    since = None
    if chat_id is not None:
        previous = await reader.previous_digest(chat_id, local_date)
        if previous is not None:
            since = _parse(previous.summary.get("until")) or previous.sent_at
    if since is None or since >= until:
        since = until - dt.timedelta(days=1)
    return Window(since, until)


@dataclass(frozen=True)
class DepartmentFigures:
    id: int
    name: str
    done: int
    total: int
    last_report_at: dt.datetime | None
    # The rest by effective status, for the chart's stacked bars (not started: the rest).
    pending_review: int = 0
    in_progress: int = 0
    blocked: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class Change:
    """What one binding's reports within the window did."""

    department_id: int
    code: str
    title: str
    before: str
    after: str
    reports: int
    evidence: int


@dataclass(frozen=True)
class Behind:
    """A cumulative item behind its pace line (issue 22)."""

    department_id: int
    code: str
    latest: Decimal
    expected: Decimal
    target: Decimal


@dataclass(frozen=True)
class Overdue:
    department_id: int
    code: str
    deadline: dt.date
    binding_id: int = 0
    due_source: DueSource = DueSource.OWN
    # Turned red since the last digest told it: listed by name once, then only counted.
    new: bool = True


@dataclass(frozen=True)
class Miss:
    department_id: int
    code: str
    metric: str
    op: str
    target: Decimal
    unit: str
    value: Decimal


@dataclass(frozen=True)
class DigestData:
    local_date: dt.date
    window: Window
    silent_days: int
    has_campaign: bool = True
    departments: tuple[DepartmentFigures, ...] = ()
    changes: tuple[Change, ...] = ()
    silent: tuple[DepartmentFigures, ...] = ()
    overdue: tuple[Overdue, ...] = ()
    misses: tuple[Miss, ...] = ()
    behind: tuple[Behind, ...] = ()  # behind pace (进度滞后), by the status model
    pending_reviews: int = 0
    previous_rate: float | None = None
    # The local date of the last digest sent before this one (yesterday, or before a
    # weekend or holiday, the last working day's).
    previous_date: dt.date | None = None
    names: dict[int, str] = field(default_factory=dict)
    # Departments whose every main liaison is on leave today: deputy or office follows up.
    on_leave: tuple[int, ...] = ()

    @property
    def done(self) -> int:
        return sum(d.done for d in self.departments)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.departments)

    @property
    def rate(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def report_count(self) -> int:
        return sum(c.reports for c in self.changes)

    @property
    def nothing_new(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, Any]:
        """What is kept in DigestSent.summary: tomorrow's "since yesterday" and the window."""
        return {
            **self.window.to_json(),
            "rate": round(self.rate, 6),
            "done": self.done,
            "total": self.total,
            "reports": self.report_count,
            "departments": {d.name: [d.done, d.total] for d in self.departments},
            "newly_red": [o.binding_id for o in self.overdue if o.new],
        }


async def gather(
    reader: DigestReader,
    *,
    chat_id: int | None,
    local_date: dt.date,
    window: Window,
    rules: Rules,
) -> DigestData:
    """Everything the digest of `local_date` says, as of `window.until`: the day is read
    at that moment with the office's `rules` (`Settings.status_rules`), so its past-due
    items and silences are those /status and /overdue showed then.

    Counted and filtered by the reader (in the database: the status model's clauses): the
    rows read are the departments' state groups, the bindings past due, the paced ones,
    the latest values and the window's reports, never every binding."""
    campaign = await reader.active_campaign()
    if campaign is None:
        return DigestData(local_date, window, rules.silent_days, has_campaign=False)
    until, since = window.until, window.since
    # The day's reading (core.status.day) as of the window's end: its local date, and the
    # milestones the past-due filter needs.
    day = await Reading(until, rules).read(reader, campaign)
    today = day.today
    departments = await reader.departments(campaign.id)
    names = {d.id: d.name for d in departments}
    order = {d.id: index for index, d in enumerate(departments)}
    # Per department as of `until`: counts by effective status, the latest report and the
    # first binding (core.status.counts, shared with /status and the export).
    tally = await reader.tally_as_of(campaign.id, until)
    last_at, first_bound = tally.last_reported_at, tally.first_bound_at

    # Past due and not done, as of `until`: named once when newly red, then counted.
    overdue: list[Overdue] = []
    for row in await reader.past_due_as_of(campaign, day, until):
        # The due date that passed, as every screen says it (a milestone, an extension,
        # a rectification's date).
        state_now = day.assess(row.facts)
        due, source = state_now.due, state_now.due_source
        if due is None or source is None:  # past due always has a due date
            continue
        told = row.red_reported_at is not None and row.red_reported_at <= until
        overdue.append(Overdue(row.department_id, row.code, due, row.binding_id, source, not told))

    # Behind pace, as of `until`: only bindings of paced items are read (issue 22).
    behind: list[Behind] = []
    for paced_row in await reader.paced_as_of(campaign, until):
        paced = day.assess(paced_row.facts)
        pace = paced_row.facts.pace
        if paced.behind_pace and paced.expected is not None and pace is not None:
            latest = pace.latest if pace.latest is not None else Decimal(0)
            behind.append(
                Behind(paced_row.department_id, paced_row.code, latest, paced.expected, pace.target)
            )

    # Reports within the window, with their evidence counts, oldest first.
    window_rows = await reader.window_reports(campaign.id, since, until)
    # The latest values as of `until`, against their targets.
    values = await reader.latest_values(campaign.id, until)
    pending = await reader.pending_reviews(campaign.id, until)
    previous_rate: float | None = None
    previous_date: dt.date | None = None
    if chat_id is not None:
        previous = await reader.previous_digest(chat_id, local_date)
        if previous is not None and isinstance(previous.summary.get("rate"), int | float):
            previous_date, previous_rate = previous.local_date, float(previous.summary["rate"])

    figures = tuple(
        DepartmentFigures(
            d.id,
            d.name,
            tally.of(d.id).done,
            tally.of(d.id).total,
            last_at.get(d.id),
            pending_review=tally.of(d.id).pending_review,
            in_progress=tally.of(d.id).in_progress,
            blocked=tally.of(d.id).blocked,
        )
        for d in departments
        if tally.of(d.id).total
    )
    # A department silent (core.status.model.department_silent): no report on any of
    # its items, counted from the later of its first binding and the campaign's start.
    silent = tuple(
        f
        for f in figures
        if department_silent(
            department_quiet_days(
                f.last_report_at,
                first_bound.get(f.id),
                campaign.year,
                campaign.starts_on,
                today,
                rules.tz,
            ),
            rules,
        )
    )

    counts: dict[int, list[int]] = {}
    about: dict[int, tuple[int, str, str]] = {}  # binding -> department, code, title
    last_status: dict[int, str] = {}
    before: dict[int, str] = {}
    for report in window_rows:
        binding_id = report.binding_id
        before.setdefault(binding_id, report.status_before or STATUS_NOT_STARTED)
        entry = counts.setdefault(binding_id, [0, 0])
        entry[0] += 1
        entry[1] += report.evidence
        about[binding_id] = (report.department_id, report.code, report.title)
        last_status[binding_id] = report.status
    changes = sorted(
        (
            Change(
                about[b][0],
                about[b][1],
                about[b][2],
                before[b],
                last_status[b],
                counts[b][0],
                counts[b][1],
            )
            for b in counts
        ),
        key=lambda c: (order.get(c.department_id, 999), code_key(c.code)),
    )
    misses = sorted(
        (
            Miss(v.department_id, v.code, v.metric, v.op, v.target, v.unit, v.value)
            for v in sorted(values, key=lambda v: v.position)
            if not meets(v.value, v.op, v.target)
        ),
        key=lambda m: (order.get(m.department_id, 999), code_key(m.code)),
    )
    overdue.sort(key=lambda o: (order.get(o.department_id, 999), code_key(o.code)))
    behind.sort(key=lambda b: (order.get(b.department_id, 999), code_key(b.code)))
    away = await reader.departments_on_leave([d.id for d in departments], local_date)
    return DigestData(
        on_leave=tuple(d.id for d in departments if d.id in away),
        local_date=local_date,
        window=window,
        silent_days=rules.silent_days,
        departments=figures,
        changes=tuple(changes),
        silent=silent,
        overdue=tuple(overdue),
        misses=tuple(misses),
        behind=tuple(behind),
        pending_reviews=pending,
        previous_rate=previous_rate,
        previous_date=previous_date,
        names=names,
    )


# ---------------------------------------------------------------- over a session


async def digest_window(
    session: AsyncSession,
    chat_id: int | None,
    local_date: dt.date,
    *,
    reading: Reading,
    at: dt.time,
) -> Window:
    """`window_of` over a session (`core.digest.sql.SqlDigest`): for tests."""
    from core.digest.sql import SqlDigest  # (it imports this module's settings keys)

    return await window_of(SqlDigest(session), chat_id, local_date, reading=reading, at=at)


async def collect(
    session: AsyncSession,
    *,
    chat_id: int | None,
    local_date: dt.date,
    window: Window,
    rules: Rules,
) -> DigestData:
    """`gather` over a session (`core.digest.sql.SqlDigest`): for tests."""
    from core.digest.sql import SqlDigest

    return await gather(
        SqlDigest(session), chat_id=chat_id, local_date=local_date, window=window, rules=rules
    )
