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
or awaiting review (the next step is then the office's).

**Colour** (三色预警): red when past due; yellow when due within `yellow_days` or
silent; green otherwise, and always when done.

**Role.** A binding's department leads the item or supports it (Word-table documents
name both); both count alike unless the office says otherwise, so the role is carried
through and nothing counts by it yet.

The SQL forms of these rules, for screens that filter in the database, are in
`core.status.clauses` and tested against this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
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


class BindingRole(StrEnum):
    LEAD = "lead"  # 牵头单位
    SUPPORTING = "supporting"  # 配合单位


@dataclass(frozen=True)
class Rules:
    """The office's settings the model needs: time zone, YELLOW_DAYS, SILENT_DAYS."""

    tz: ZoneInfo
    yellow_days: int
    silent_days: int


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


def assess(facts: Facts, today: dt.date, rules: Rules) -> State:
    """The binding's state on the local date `today`."""
    effective = effective_status(facts.status, facts.review_state)
    due, source = due_date(facts.deadline, facts.campaign_year)
    quiet = days_since(facts.last_reported_at or facts.bound_at, today, rules.tz)
    done = effective == DONE
    days_left = (due - today).days if due is not None else None
    past = not done and days_left is not None and days_left < 0
    silent = effective not in (DONE, PENDING_REVIEW) and quiet >= rules.silent_days
    if done:
        colour = Colour.GREEN
    elif past:
        colour = Colour.RED
    elif silent or (days_left is not None and days_left <= rules.yellow_days):
        colour = Colour.YELLOW
    else:
        colour = Colour.GREEN
    return State(effective, due, source, past, days_left, quiet, silent, colour, facts.role)


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
    """`2020-10-01`, or `2020-12-31 (year end)` (`2020-12-31（年度末）`)."""
    if state.due is None:
        return ""
    if state.due_source is DueSource.YEAR_END:
        return _("{date} (year end)").format(date=state.due.isoformat())
    return state.due.isoformat()


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
