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
when never reported). Ten queries whatever the number of departments, and what they
return grows with what the digest names (departments, past-due items, the latest values,
the window's reports), never with the million reports behind them: each binding's state
is read from its own row (`state_as_of`), and counted in the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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

from core.people.leave import on_leave
from core.reporting.values import meets
from core.scheduling.times import digest_moment
from core.status.clauses import StateColumns, past_due_clause
from core.status.counts import department_tally
from core.status.day import Reading, facts_of
from core.status.model import (
    DueSource,
    Rules,
    department_quiet_days,
    department_silent,
)
from core.text.matching import code_key
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


async def digest_window(
    session: AsyncSession,
    chat_id: int | None,
    local_date: dt.date,
    *,
    reading: Reading,
    at: dt.time,
) -> Window:
    """The window of (chat, date)'s digest, read at `reading` (the job's or the command's
    moment): the stored one if it was built before."""
    if chat_id is not None:
        row = await session.scalar(
            select(DigestSent).where(
                DigestSent.chat_id == chat_id, DigestSent.local_date == local_date
            )
        )
        if row is not None:
            since, until = _parse(row.summary.get("since")), _parse(row.summary.get("until"))
            if since is not None and until is not None:
                return Window(since, until)
    now, tz = reading.now, reading.rules.tz
    until = now if local_date >= reading.today else digest_moment(local_date, at, tz)
    since = None
    if chat_id is not None:
        previous = await session.scalar(
            select(DigestSent)
            .where(
                DigestSent.chat_id == chat_id,
                DigestSent.local_date < local_date,
                DigestSent.sent_at.is_not(None),
            )
            .order_by(DigestSent.local_date.desc())
            .limit(1)
        )
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


async def collect(
    session: AsyncSession,
    *,
    chat_id: int | None,
    local_date: dt.date,
    window: Window,
    rules: Rules,
) -> DigestData:
    """Everything the digest of `local_date` says, as of `window.until`: the day is read
    at that moment with the office's `rules` (`Settings.status_rules`), so its past-due
    items and silences are those /status and /overdue showed then.

    Counted and filtered in the database (`state_as_of`, the status model's
    `core.status.clauses`): the rows read are the departments' state groups, the
    bindings past due, the latest values and the window's reports, never every binding."""
    campaign = await repo.active_campaign(session)
    if campaign is None:
        return DigestData(local_date, window, rules.silent_days, has_campaign=False)
    until, since = window.until, window.since
    # The day's reading (core.status.day) as of the window's end: its local date, and the
    # milestones the past-due filter needs.
    day = await Reading(until, rules).day(session, campaign)
    today = day.today
    departments = list(await repo.departments(session, campaign.id))
    names = {d.id: d.name for d in departments}
    order = {d.id: index for index, d in enumerate(departments)}
    state = state_as_of(campaign.id, until)
    # Plain rows through the session's connection: no ORM loading per row.
    connection = await session.connection()
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
    # Per department as of `until`: counts by effective status, the latest report and the
    # first binding (core.status.counts, shared with /status and the export).
    tally = await department_tally(
        connection,
        department_id=state.c.department_id,
        status=state.c.status,
        review_state=state.c.review_state,
        reported_at=state.c.reported_at,
        bound_at=state.c.created_at,
        where=true(),
        select_from=state,
    )
    last_at, first_bound = tally.last_reported_at, tally.first_bound_at

    # Past due and not done, as of `until`: named once when newly red, then counted.
    overdue: list[Overdue] = []
    for (
        binding_id,
        department_id,
        code,
        red_reported_at,
        *fact_values,
    ) in await connection.execute(
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
            past_due_clause(today, campaign.year, facts, rules=day.rules, milestones=day.milestones)
        )
    ):
        # The due date that passed, as every screen says it (a milestone, an extension,
        # a rectification's date).
        state_now = day.assess(facts_of(fact_values, campaign.year, campaign.starts_on))
        due, source = state_now.due, state_now.due_source
        if due is None or source is None:  # past due always has a due date
            continue
        told = red_reported_at is not None and red_reported_at <= until
        overdue.append(Overdue(department_id, code, due, binding_id, source, not told))

    # Behind pace, as of `until`: only bindings of paced items are read (issue 22).
    behind: list[Behind] = []
    for department_id, code, target, *fact_values in await connection.execute(
        select(
            state.c.department_id,
            Item.code,
            Item.pace_target,
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
    ):
        paced = day.assess(facts_of(fact_values, campaign.year, campaign.starts_on))
        if paced.behind_pace and paced.expected is not None:
            latest = fact_values[8] if fact_values[8] is not None else Decimal(0)
            behind.append(Behind(department_id, code, latest, paced.expected, target))

    # Reports within the window, with their evidence counts, oldest first; and each
    # one's binding's status when the window opened (its latest report before, by the
    # (binding, created_at) index).
    earlier = aliased(Report, name="earlier")
    status_before = (
        select(earlier.status)
        .where(earlier.binding_id == Report.binding_id, earlier.created_at <= since)
        .order_by(earlier.created_at.desc(), earlier.id.desc())
        .limit(1)
        .correlate(Report)
        .scalar_subquery()
    )
    window_rows = (
        await connection.execute(
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
                Binding.campaign_id == campaign.id,
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
    ).all()
    # The latest values as of `until`, against their targets.
    values = (
        await connection.execute(
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
    ).all()
    pending = await connection.scalar(
        select(func.count(Report.id))
        .join(Binding, Binding.id == Report.binding_id)
        .where(
            Binding.campaign_id == campaign.id,
            Report.review_state == REVIEW_PENDING,
            Report.created_at <= until,
        )
    )
    previous_rate: float | None = None
    previous_date: dt.date | None = None
    if chat_id is not None:
        previous = (
            await session.execute(
                select(DigestSent.local_date, DigestSent.summary)
                .where(
                    DigestSent.chat_id == chat_id,
                    DigestSent.local_date < local_date,
                    DigestSent.sent_at.is_not(None),
                )
                .order_by(DigestSent.local_date.desc())
                .limit(1)
            )
        ).first()
        if previous is not None and isinstance((previous[1] or {}).get("rate"), int | float):
            previous_date, previous_rate = previous[0], float(previous[1]["rate"])

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
    for binding_id, status, evidence, department_id, code, title, was in window_rows:
        before.setdefault(binding_id, was or STATUS_NOT_STARTED)
        entry = counts.setdefault(binding_id, [0, 0])
        entry[0] += 1
        entry[1] += evidence
        about[binding_id] = (department_id, code, title)
        last_status[binding_id] = status
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
            Miss(department_id, code, metric, op, target, unit, value)
            for department_id, code, value, metric, op, target, unit, _position in sorted(
                values, key=lambda r: r[7]
            )
            if not meets(value, op, target)
        ),
        key=lambda m: (order.get(m.department_id, 999), code_key(m.code)),
    )
    overdue.sort(key=lambda o: (order.get(o.department_id, 999), code_key(o.code)))
    behind.sort(key=lambda b: (order.get(b.department_id, 999), code_key(b.code)))
    away = await departments_on_leave(session, [d.id for d in departments], local_date)
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
        pending_reviews=int(pending or 0),
        previous_rate=previous_rate,
        previous_date=previous_date,
        names=names,
    )


async def departments_on_leave(
    session: AsyncSession, department_ids: list[int], day: dt.date
) -> set[int]:
    """Departments with main liaisons, all of whom are on leave on `day` (two queries)."""
    if not department_ids:
        return set()
    mains = (
        await session.execute(
            select(User.tg_id, User.department_id).where(
                User.role == ROLE_LIAISON,
                User.is_deputy.is_(False),
                User.department_id.in_(department_ids),
            )
        )
    ).all()
    if not mains:
        return set()
    away = await on_leave(session, [tg for tg, _ in mains], day)
    by_department: dict[int, list[int]] = defaultdict(list)
    for tg_id, department_id in mains:
        by_department[department_id].append(tg_id)
    return {d for d, people in by_department.items() if all(p in away for p in people)}


async def follow_group_migration(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group Telegram upgraded to a supergroup (`migrate_to_chat_id`) keeps its digest:
    the office group setting and the digest bookkeeping move to the new chat id.

    Flushes, never commits; True if the office group was the one that moved. Idempotent:
    a redelivered migration message finds nothing left under the old id.
    """
    if await repo.get_setting(session, OFFICE_CHAT_KEY) != str(old_chat_id):
        return False
    await repo.put_setting(session, OFFICE_CHAT_KEY, str(new_chat_id))
    await session.execute(
        update(DigestSent).where(DigestSent.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    await session.flush()
    return True
