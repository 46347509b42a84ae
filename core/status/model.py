"""The one status model: what a binding (department x item) is on a given day.

Every screen reads it: /items and the /report chooser, /status, /dept, /item, /overdue,
the digest and its chart, reminders, the export and the dashboard. It is pure: plain
values in (`Facts`, the local `today`, `Rules`), a `State` out; no database, no Telegram.

**Effective status** (the office's view of the latest report):

    status       review_state          effective
    not_started  any                   not_started
    in_progress  any                   in_progress
    blocked      any                   blocked
    done         accepted              done            (counts toward the rate)
    done         returned              in_progress     (sent back: the work goes on)
    done         pending / none        pending_review  (reported done, not yet accepted)

**Due date.** An item's own deadline; an item without one is due at the end of its
campaign's year (decided once, here; every screen says which: `DueSource`). A campaign
without a year gives such items no due date. A binding not done is *past due* once the
local date is after its due date.

**Silence.** Days (local dates) since the last report, or since the binding was made
when never reported. A binding is *silent* after `silent_days` of it, unless it is done
or awaiting review (the next step is then the office's). Reminders call an item silent
by this rule alone (REMINDER_DAYS is only how often they repeat it).

**Colour** (三色预警): red when past due; yellow when due within `yellow_days` or
silent; green otherwise, and always when done.

**Milestones** (dated steps of the item's text, "6月底前…", "9月30日前…"). Each is due in
turn; the binding's final due date (its approved extension, else the item's own) is the
last. A step is met by any report made after the previous step's date (the first step:
any report at all), even late. On a day the binding is due on the earliest step that has
passed unmet (past due, red), else on the next step not yet passed.

**Extension** (延期). An approved extension replaces the item's due date for that binding
only; `State.original_due` keeps the item's date so every screen can show both.

**Rectification** (整改). A returned report may open one, due on a date; while open the
binding shows "整改中" and is due on the earlier of that date and its own due date (red
when missed). Accepting a report ends it (the caller clears the fact).

**Pace** (序时进度), for cumulative targets only ("不少于2次", "完成N项", or marked by the
office; rates are never paced). The expected value on a day runs straight from zero at the
campaign's start (1 January unless the office sets another date) to the target at the
final due date; with milestones, from one step to the next, each step worth an equal
share of the target. A binding not done whose latest value is behind by more than
`Rules.pace_margin` points (percent of the target) is yellow, "behind pace".

**Reasons.** Why a binding is not green, in one agreed order (`REASON_ORDER`): past due,
rectification overdue, behind pace, due soon, silent; plus "under rectification" while one
is open. Every screen lists them in this order.

**Department silence.** A department is silent when none of its items has had a report
for `silent_days` local days, counted from its last report, or never reported, from the
later of its first binding and the campaign's start (`department_quiet_days`).

**Role.** A binding's department leads the item or supports it (Word-table documents
name both); both count alike unless the office says otherwise, so the role is carried
through and nothing counts by it yet.

The SQL forms of these rules, for screens that filter in the database, are in
`core.status.clauses` and tested against this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from core.text.i18n import N_, Translate
from core.text.matching import code_key
from storage.models import (
    REVIEW_ACCEPTED,
    REVIEW_RETURNED,
    STATUS_BLOCKED,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NOT_STARTED,
)

NOT_STARTED = STATUS_NOT_STARTED
IN_PROGRESS = STATUS_IN_PROGRESS
BLOCKED = STATUS_BLOCKED
PENDING_REVIEW = "pending_review"
DONE = STATUS_DONE
EFFECTIVE_STATUSES = (NOT_STARTED, IN_PROGRESS, BLOCKED, PENDING_REVIEW, DONE)

# The report status and the review state that together make a binding done.
DONE_REPORT_STATUS = STATUS_DONE
ACCEPTED_REVIEW = REVIEW_ACCEPTED
# A done report in this review state is back in progress; in any other, awaiting review.
RETURNED_REVIEW = REVIEW_RETURNED

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


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


EMOJI = {Colour.GREEN: "🟢", Colour.YELLOW: "🟡", Colour.RED: "🔴"}
COLOUR_LABELS = {Colour.GREEN: N_("green"), Colour.YELLOW: N_("yellow"), Colour.RED: N_("red")}


class DueSource(StrEnum):
    OWN = "own"  # the item's own deadline
    YEAR_END = "year_end"  # no deadline of its own: the campaign year's last day
    EXTENDED = "extended"  # an approved extension of this binding
    MILESTONE = "milestone"  # a dated step before the final due date
    RECTIFICATION = "rectification"  # an open rectification's date


class Reason(StrEnum):
    """Why a binding is coloured as it is; `REASON_ORDER` is the order every screen shows."""

    PAST_DUE = "past_due"
    RECTIFICATION_OVERDUE = "rectification_overdue"
    BEHIND_PACE = "behind_pace"
    DUE_SOON = "due_soon"
    SILENT = "silent"
    RECTIFYING = "rectifying"


REASON_ORDER = (
    Reason.PAST_DUE,
    Reason.RECTIFICATION_OVERDUE,
    Reason.BEHIND_PACE,
    Reason.DUE_SOON,
    Reason.SILENT,
    Reason.RECTIFYING,
)
REASON_LABELS = {
    Reason.PAST_DUE: N_("past due"),
    Reason.RECTIFICATION_OVERDUE: N_("rectification overdue"),
    Reason.BEHIND_PACE: N_("behind pace"),
    Reason.DUE_SOON: N_("due soon"),
    Reason.SILENT: N_("silent"),
    Reason.RECTIFYING: N_("under rectification"),
}


class BindingRole(StrEnum):
    LEAD = "lead"  # 牵头单位
    SUPPORTING = "supporting"  # 配合单位


@dataclass(frozen=True)
class Rules:
    """The office's settings the model needs: time zone, YELLOW_DAYS, SILENT_DAYS."""

    tz: ZoneInfo
    yellow_days: int
    silent_days: int
    # Points of the target (percent) a cumulative value may lag the pace line.
    pace_margin: Decimal = Decimal(10)


@dataclass(frozen=True)
class Pace:
    """A cumulative target's facts: its goal, the latest value reported (None: nothing
    yet) and when the campaign's clock started (None: 1 January of its year)."""

    target: Decimal
    latest: Decimal | None
    starts_on: dt.date | None = None


@dataclass(frozen=True)
class Facts:
    """What is known of one binding: its latest report's state and its dates."""

    status: str  # the latest report's status (storage.models.STATUSES)
    review_state: str | None  # the latest report's review state
    deadline: dt.date | None  # the item's own deadline
    campaign_year: int | None
    last_reported_at: dt.datetime | None  # aware
    bound_at: dt.datetime  # aware; when the binding was made
    role: BindingRole = BindingRole.LEAD
    extended_due: dt.date | None = None  # an approved extension of this binding
    milestones: tuple[dt.date, ...] = ()  # the item's dated steps
    rectification_due: dt.date | None = None  # an open rectification
    pace: Pace | None = None  # only for a cumulative target


@dataclass(frozen=True)
class State:
    """A binding as every screen shows it on one day."""

    effective: str  # one of EFFECTIVE_STATUSES
    due: dt.date | None
    due_source: DueSource | None
    past_due: bool
    days_left: int | None  # until the due date (negative once past), None without one
    quiet_days: int  # days since the last report, or since bound
    silent: bool
    colour: Colour
    role: BindingRole = BindingRole.LEAD
    reasons: tuple[Reason, ...] = ()  # in REASON_ORDER
    original_due: dt.date | None = None  # the item's own due date when extended
    final_due: dt.date | None = None  # the last step: extension, own deadline or year end
    rectification_due: dt.date | None = None  # while a rectification is open
    expected: Decimal | None = None  # the pace line's value today (cumulative targets)
    milestones: tuple[dt.date, ...] = field(default=())  # the steps before final_due

    @property
    def rectifying(self) -> bool:
        return self.rectification_due is not None

    @property
    def behind_pace(self) -> bool:
        return Reason.BEHIND_PACE in self.reasons

    @property
    def done(self) -> bool:
        return self.effective == DONE

    @property
    def overdue(self) -> bool:
        """Listed by /overdue: past due, or silent."""
        return self.past_due or self.silent

    @property
    def rank(self) -> int:
        """Outstanding before done (EFFECTIVE_ORDER)."""
        return EFFECTIVE_ORDER[self.effective]


def effective_status(status: str, review_state: str | None) -> str:
    """The office's view of a binding's latest report (see the module docstring)."""
    if status == DONE_REPORT_STATUS:
        if review_state == ACCEPTED_REVIEW:
            return DONE
        if review_state == RETURNED_REVIEW:
            return IN_PROGRESS
        return PENDING_REVIEW
    if status in (STATUS_IN_PROGRESS, STATUS_BLOCKED):
        return status
    return NOT_STARTED


def due_date(
    deadline: dt.date | None, campaign_year: int | None
) -> tuple[dt.date | None, DueSource | None]:
    """(the due date, where it comes from): own deadline, else the campaign year's end."""
    if deadline is not None:
        return deadline, DueSource.OWN
    if campaign_year is not None:
        return dt.date(campaign_year, 12, 31), DueSource.YEAR_END
    return None, None


def days_since(moment: dt.datetime, today: dt.date, tz: ZoneInfo) -> int:
    """Whole local days from `moment` to `today` (0 on the same local day)."""
    return (today - moment.astimezone(tz).date()).days


def silent_cutoff(today: dt.date, rules: Rules) -> dt.datetime:
    """The UTC instant such that activity strictly before it has been quiet for
    `silent_days` or more on `today`: the local midnight starting day
    `today - silent_days + 1`. (For SQL: `core.status.clauses`.)"""
    first_not_silent = today - dt.timedelta(days=rules.silent_days - 1)
    midnight = dt.datetime.combine(first_not_silent, dt.time(), tzinfo=rules.tz)
    return midnight.astimezone(dt.UTC)


def campaign_start(campaign_year: int | None, starts_on: dt.date | None) -> dt.date | None:
    """When the campaign's clock starts: the office's date, else 1 January of its year."""
    if starts_on is not None:
        return starts_on
    return dt.date(campaign_year, 1, 1) if campaign_year is not None else None


def steps_before(final: dt.date | None, milestones: Iterable[dt.date]) -> tuple[dt.date, ...]:
    """The milestones that are steps before the final due date, oldest first."""
    return tuple(sorted({m for m in milestones if final is None or m < final}))


def current_step(
    final: dt.date | None,
    milestones: Iterable[dt.date],
    last_report_day: dt.date | None,
    today: dt.date,
) -> tuple[dt.date | None, bool]:
    """(the step the binding is due on today, whether it is a milestone before the final).

    The earliest step passed unmet (no report after the previous step's date), else the
    next step not yet passed, else the final due date."""
    previous: dt.date | None = None
    for step in steps_before(final, milestones):
        if step >= today:
            return step, True
        met = last_report_day is not None and (previous is None or last_report_day > previous)
        if not met:
            return step, True
        previous = step
    return final, False


def _expected_fraction(
    target: Decimal, start: dt.date, steps: tuple[dt.date, ...], final: dt.date, today: dt.date
) -> Fraction:
    """The pace line's value on `today`, exactly: zero at `start`, an equal share of the
    target more at each step, the whole target at `final`, straight between them."""
    whole = Fraction(target)
    points = [start, *(s for s in steps if start < s < final), final]
    shares = len(points) - 1
    if today <= start:
        return Fraction(0)
    if today >= final or shares <= 0:
        return whole
    for index in range(shares):
        left, right = points[index], points[index + 1]
        if left <= today <= right:
            part = Fraction((today - left).days, (right - left).days)
            return whole * (index + part) / shares
    return whole  # not reached: `points` spans start..final


def expected_value(
    pace: Pace, start: dt.date, steps: tuple[dt.date, ...], final: dt.date, today: dt.date
) -> Decimal:
    """The pace line's value on `today` (`_expected_fraction`), to 4 places."""
    exact = _expected_fraction(pace.target, start, steps, final, today)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.0001"))


def behind_pace(
    pace: Pace,
    start: dt.date,
    steps: tuple[dt.date, ...],
    final: dt.date,
    today: dt.date,
    margin: Decimal,
) -> bool:
    """More than `margin` points (percent) of the target behind the pace line; exact."""
    expected = _expected_fraction(pace.target, start, steps, final, today)
    allowed = expected - Fraction(pace.target) * Fraction(margin) / 100
    return Fraction(pace.latest or Decimal(0)) < allowed


def assess(facts: Facts, today: dt.date, rules: Rules) -> State:
    """The binding's state on the local date `today`."""
    effective = effective_status(facts.status, facts.review_state)
    own, own_source = due_date(facts.deadline, facts.campaign_year)
    final: dt.date | None
    final_source: DueSource | None
    if facts.extended_due is not None:
        final, final_source = facts.extended_due, DueSource.EXTENDED
    else:
        final, final_source = own, own_source
    last_day = (
        facts.last_reported_at.astimezone(rules.tz).date()
        if facts.last_reported_at is not None
        else None
    )
    due, is_step = current_step(final, facts.milestones, last_day, today)
    source = DueSource.MILESTONE if is_step else final_source
    step_passed = due is not None and due < today
    rectification = facts.rectification_due
    if rectification is not None and (due is None or rectification < due):
        due, source = rectification, DueSource.RECTIFICATION
    quiet = days_since(facts.last_reported_at or facts.bound_at, today, rules.tz)
    done = effective == DONE
    days_left = (due - today).days if due is not None else None
    past = not done and days_left is not None and days_left < 0
    silent = effective not in (DONE, PENDING_REVIEW) and quiet >= rules.silent_days
    expected: Decimal | None = None
    lagging = False
    start = campaign_start(facts.campaign_year, facts.pace.starts_on if facts.pace else None)
    if facts.pace is not None and final is not None and start is not None:
        steps = steps_before(final, facts.milestones)
        expected = expected_value(facts.pace, start, steps, final, today)
        lagging = effective not in (DONE, PENDING_REVIEW) and behind_pace(
            facts.pace, start, steps, final, today, rules.pace_margin
        )
    rectifying = not done and rectification is not None
    rectification_missed = rectifying and rectification is not None and rectification < today
    soon = not done and days_left is not None and 0 <= days_left <= rules.yellow_days
    present = {
        Reason.PAST_DUE: not done and step_passed,
        Reason.RECTIFICATION_OVERDUE: rectification_missed,
        Reason.BEHIND_PACE: lagging,
        Reason.DUE_SOON: soon,
        Reason.SILENT: silent and not done,
        Reason.RECTIFYING: rectifying,
    }
    reasons = tuple(reason for reason in REASON_ORDER if present[reason])
    if done:
        colour = Colour.GREEN
    elif past or rectification_missed:
        colour = Colour.RED
    elif silent or lagging or soon:
        colour = Colour.YELLOW
    else:
        colour = Colour.GREEN
    return State(
        effective,
        due,
        source,
        past,
        days_left,
        quiet,
        silent,
        colour,
        facts.role,
        reasons=reasons,
        original_due=own if facts.extended_due is not None else None,
        final_due=final,
        rectification_due=rectification if rectifying else None,
        expected=expected,
        milestones=steps_before(final, facts.milestones),
    )


def department_quiet_days(
    last_reported_at: dt.datetime | None,
    first_bound_at: dt.datetime | None,
    campaign_year: int | None,
    starts_on: dt.date | None,
    today: dt.date,
    tz: ZoneInfo,
) -> int | None:
    """Local days since any of a department's items was reported; never reported, since
    the later of its first binding and the campaign's start. None without any binding."""
    if last_reported_at is not None:
        return days_since(last_reported_at, today, tz)
    if first_bound_at is None:
        return None
    since = first_bound_at.astimezone(tz).date()
    start = campaign_start(campaign_year, starts_on)
    if start is not None and start > since:
        since = start
    return (today - since).days


def department_silent(quiet_days: int | None, rules: Rules) -> bool:
    """A department silent: no report on any of its items for `silent_days`."""
    return quiet_days is not None and quiet_days >= rules.silent_days


# Units of a count: a target in one of them, "at least N", accumulates over the year.
COUNT_UNITS = frozenset(
    ["次", "个", "家", "座", "辆", "台", "套", "处", "条", "项", "人", "户", "所"]
)


def is_cumulative(op: str, unit: str, office_says: bool | None) -> bool:
    """Whether a target is paced: the office's word, else a count reached from below
    ("不少于2次", "完成5项"); rates ("90%以上") and caps never."""
    if office_says is not None:
        return office_says
    return op in (">=", ">", "=") and unit in COUNT_UNITS


def item_order(effective: str, code: str) -> tuple[object, ...]:
    """How a list of items is sorted: outstanding before done, then by code."""
    return (EFFECTIVE_ORDER.get(effective, len(EFFECTIVE_ORDER)), code_key(code))


def colour_text(colour: Colour, _: Translate) -> str:
    """`🔴 red` / `🔴 红色`: emoji and word, so it survives copying into Excel."""
    return f"{EMOJI[colour]} {_(COLOUR_LABELS[colour])}"


def due_text(state: State, _: Translate) -> str:
    """`deadline 2020-10-01`, or `deadline 2020-12-31 (year end)` for an item without one."""
    if state.due is None:
        return ""
    return _("deadline {date}").format(date=due_date_text(state, _))


def due_date_text(state: State, _: Translate) -> str:
    """`2020-10-01`, or `2020-12-31 (year end)` (`2020-12-31（年度末）`); an extended date
    says the original (`2020-11-15 (extended from 2020-10-01)`), a milestone and a
    rectification say so."""
    if state.due is None:
        return ""
    date = state.due.isoformat()
    if state.due_source is DueSource.YEAR_END:
        return _("{date} (year end)").format(date=date)
    if state.due_source is DueSource.EXTENDED and state.original_due is not None:
        return _("{date} (extended from {original})").format(
            date=date, original=state.original_due.isoformat()
        )
    if state.due_source is DueSource.MILESTONE:
        return _("{date} (milestone)").format(date=date)
    if state.due_source is DueSource.RECTIFICATION:
        return _("{date} (rectification)").format(date=date)
    return date


def reasons_text(state: State, _: Translate) -> str:
    """`past due · behind pace`: the reasons in the agreed order, or "" for none."""
    return " · ".join(_(REASON_LABELS[reason]) for reason in state.reasons)


# ---------------------------------------------------------------- counting


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
