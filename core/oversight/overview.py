"""What the office and leaders read: how far each department is, and what is late.

**Effective status.** A binding carries its latest report's `status` and `review_state`.
What counts is the office's view of it, `effective_status(status, review_state)`:

    status       review_state          effective
    not_started  any                   not_started
    in_progress  any                   in_progress
    blocked      any                   blocked
    done         accepted              done            (counts toward the rate)
    done         returned              in_progress     (the office sent it back: work goes on)
    done         pending / none        pending_review  (reported done, not yet accepted)

An item is done only once the office has accepted its done-report, so the rate done of a
department, the digest and the export all count `done` the same way. `DONE_CLAUSE` is the
same rule as an SQL condition on `Binding`.

**Overdue.** A binding not done is *past its deadline* when the local date is after the
item's deadline (an item without one is due at the end of the campaign's year, the rule
of `core.oversight.colours`), and *silent* when nothing was reported for `silent_days` (counted
from the campaign's creation when it was never reported). A binding awaiting review is
not silent: the next step is the office's.

Every screen here is one aggregate or joined query, never one query per department.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.oversight.colours import effective_deadline
from core.text.i18n import N_
from core.text.matching import code_key
from storage.models import (
    REVIEW_ACCEPTED,
    REVIEW_RETURNED,
    STATUS_BLOCKED,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NOT_STARTED,
    Binding,
    Campaign,
    Department,
    Item,
)

NOT_STARTED = STATUS_NOT_STARTED
IN_PROGRESS = STATUS_IN_PROGRESS
BLOCKED = STATUS_BLOCKED
PENDING_REVIEW = "pending_review"
DONE = STATUS_DONE
EFFECTIVE_STATUSES = (NOT_STARTED, IN_PROGRESS, BLOCKED, PENDING_REVIEW, DONE)

# Outstanding first: what is stuck, what has not started, what moves, what waits, done.
EFFECTIVE_ORDER = {BLOCKED: 0, NOT_STARTED: 1, IN_PROGRESS: 2, PENDING_REVIEW: 3, DONE: 4}
EFFECTIVE_LABELS = {
    NOT_STARTED: N_("not started"),
    IN_PROGRESS: N_("in progress"),
    BLOCKED: N_("blocked"),
    PENDING_REVIEW: N_("awaiting review"),
    DONE: N_("done"),
}
EFFECTIVE_ICONS = {
    NOT_STARTED: "⚪",
    IN_PROGRESS: "🔵",
    BLOCKED: "⚠️",
    PENDING_REVIEW: "🕓",
    DONE: "✅",
}

# The SQL form of "effective_status(...) == done", for queries that count done items.
DONE_CLAUSE = and_(Binding.status == STATUS_DONE, Binding.review_state == REVIEW_ACCEPTED)


def effective_status(status: str, review_state: str | None) -> str:
    """The office's view of a binding's latest report (see the module docstring)."""
    if status == STATUS_DONE:
        if review_state == REVIEW_ACCEPTED:
            return DONE
        if review_state == REVIEW_RETURNED:
            return IN_PROGRESS
        return PENDING_REVIEW
    if status in (STATUS_IN_PROGRESS, STATUS_BLOCKED):
        return status
    return NOT_STARTED


@dataclass
class Counts:
    """How many bindings are in each effective status."""

    not_started: int = 0
    in_progress: int = 0
    blocked: int = 0
    pending_review: int = 0
    done: int = 0

    def add(self, effective: str, count: int = 1) -> None:
        setattr(self, effective, getattr(self, effective) + count)

    def get(self, effective: str) -> int:
        return int(getattr(self, effective))

    @property
    def total(self) -> int:
        return sum(self.get(s) for s in EFFECTIVE_STATUSES)

    @property
    def outstanding(self) -> int:
        return self.total - self.done

    @property
    def rate(self) -> float | None:
        """Share of items done (accepted), or None without items."""
        return self.done / self.total if self.total else None


def tally(states: Iterable[tuple[str, str | None]]) -> Counts:
    """Counts of (status, review_state) pairs by effective status."""
    counts = Counts()
    for status, review_state in states:
        counts.add(effective_status(status, review_state))
    return counts


def format_rate(counts: Counts) -> str:
    """`33%`; `—` for a department without items."""
    rate = counts.rate
    if rate is None:
        return "—"
    percent = rate * 100
    # 0.5 % reads better than 0 % once anything is done at all.
    if 0 < percent < 10 and round(percent) != percent:
        return f"{percent:.1f}%"
    return f"{percent:.0f}%"


@dataclass(frozen=True)
class DepartmentSummary:
    id: int
    name: str
    number: int | None
    dept_class: str
    counts: Counts
    last_reported_at: dt.datetime | None


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


async def campaign_overview(session: AsyncSession, campaign: Campaign) -> Overview:
    """Per-department counts of a campaign, worst first: one aggregate query."""
    rows = await session.execute(
        select(
            Department.id,
            Department.name,
            Department.number,
            Department.dept_class,
            Binding.status,
            Binding.review_state,
            func.count(Binding.id),
            func.max(Binding.last_reported_at),
        )
        .select_from(Department)
        .outerjoin(Binding, Binding.department_id == Department.id)
        .where(Department.campaign_id == campaign.id)
        .group_by(
            Department.id,
            Department.name,
            Department.number,
            Department.dept_class,
            Binding.status,
            Binding.review_state,
        )
    )
    departments: dict[int, dict[str, object]] = {}
    totals = Counts()
    for dept_id, name, number, dept_class, status, review_state, count, last in rows:
        entry = departments.setdefault(
            dept_id,
            {"name": name, "number": number, "class": dept_class, "counts": Counts(), "last": None},
        )
        if status is not None and count:
            effective = effective_status(status, review_state)
            entry["counts"].add(effective, int(count))  # type: ignore[attr-defined]
            totals.add(effective, int(count))
        if last is not None and (entry["last"] is None or last > entry["last"]):  # type: ignore[operator]
            entry["last"] = last
    summaries = sorted(
        (
            DepartmentSummary(
                id=dept_id,
                name=str(entry["name"]),
                number=entry["number"],  # type: ignore[arg-type]
                dept_class=str(entry["class"]),
                counts=entry["counts"],  # type: ignore[arg-type]
                last_reported_at=entry["last"],  # type: ignore[arg-type]
            )
            for dept_id, entry in departments.items()
        ),
        key=worst_first,
    )
    return Overview(campaign.id, campaign.title, campaign.year, tuple(summaries), totals)


async def colour_counts(
    session: AsyncSession,
    campaign: Campaign,
    *,
    today: dt.date,
    tz: ZoneInfo,
    yellow_days: int,
    silent_days: int,
) -> dict[int, dict[str, int]]:
    """Per department, how many items are red and yellow today (one query)."""
    from core.oversight.colours import colour_of

    rows = await session.execute(
        select(
            Binding.department_id,
            Binding.status,
            Binding.review_state,
            Binding.last_reported_at,
            Binding.created_at,
            Item.deadline,
        )
        .join(Item, Item.id == Binding.item_id)
        .where(Binding.campaign_id == campaign.id)
    )
    counts: dict[int, dict[str, int]] = {}
    for department_id, status, review_state, last, created, deadline in rows:
        colour = colour_of(
            done=effective_status(status, review_state) == DONE,
            deadline=deadline,
            campaign_year=campaign.year,
            last_activity=(last or created).astimezone(tz).date(),
            today=today,
            yellow_days=yellow_days,
            silent_days=silent_days,
        )
        entry = counts.setdefault(department_id, {"red": 0, "yellow": 0})
        if colour.value in entry:
            entry[colour.value] += 1
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
    deadline: dt.date | None  # the item's own, or the campaign's year end when past that
    status: str  # effective
    last_reported_at: dt.datetime | None
    past_deadline: bool
    silent_days: int | None  # days without a report, when silent


def overdue_reasons(
    *,
    effective: str,
    deadline: dt.date | None,
    last_reported_at: dt.datetime | None,
    campaign_created_at: dt.datetime,
    today: dt.date,
    now: dt.datetime,
    silent_days: int,
    campaign_year: int | None = None,
) -> tuple[bool, int | None]:
    """(past its deadline, days silent or None) for one binding; pure.

    Without `campaign_year`, only an item's own deadline counts.
    """
    if effective == DONE:
        return False, None
    past = today > effective_deadline(deadline, campaign_year, today)
    silent: int | None = None
    if effective != PENDING_REVIEW:
        since = last_reported_at or campaign_created_at
        days = (now - since).days
        if days >= silent_days:
            silent = days
    return past, silent


async def overdue_items(
    session: AsyncSession,
    campaign_id: int,
    *,
    now: dt.datetime,
    today: dt.date,
    silent_days: int,
    campaign_year: int | None = None,
) -> list[OverdueItem]:
    """Bindings past their deadline and not done, or silent: one joined query.

    Sorted by department (document order), then past-deadline before silent, then code.
    """
    cutoff = now - dt.timedelta(days=silent_days)
    year_over = campaign_year is not None and today > dt.date(campaign_year, 12, 31)
    rows = await session.execute(
        select(
            Binding.id,
            Binding.department_id,
            Department.name,
            Department.number,
            Item.code,
            Item.title,
            Item.deadline,
            Binding.status,
            Binding.review_state,
            Binding.last_reported_at,
            Campaign.created_at,
        )
        .join(Item, Item.id == Binding.item_id)
        .join(Department, Department.id == Binding.department_id)
        .join(Campaign, Campaign.id == Binding.campaign_id)
        .where(
            Binding.campaign_id == campaign_id,
            ~DONE_CLAUSE,
            or_(
                Item.deadline < today,
                Item.deadline.is_(None) if year_over else false(),
                Binding.last_reported_at <= cutoff,
                and_(Binding.last_reported_at.is_(None), Campaign.created_at <= cutoff),
            ),
        )
    )
    found: list[OverdueItem] = []
    for (
        binding_id,
        department_id,
        name,
        number,
        code,
        title,
        deadline,
        status,
        review_state,
        last,
        created_at,
    ) in rows:
        effective = effective_status(status, review_state)
        past, silent = overdue_reasons(
            effective=effective,
            deadline=deadline,
            last_reported_at=last,
            campaign_created_at=created_at,
            today=today,
            now=now,
            silent_days=silent_days,
            campaign_year=campaign_year,
        )
        if past or silent is not None:
            found.append(
                OverdueItem(
                    binding_id,
                    department_id,
                    name,
                    number,
                    code,
                    title,
                    effective_deadline(deadline, campaign_year, today) if past else deadline,
                    effective,
                    last,
                    past,
                    silent,
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
