"""The status model's rules as SQL conditions on `Binding` (and `Item`), for screens that
filter or count in the database. Each is built from the constants of `core.status.model`
and tested against it on generated data (tests/test_status_property.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import QueryableAttribute

from core.status.model import (
    ACCEPTED_REVIEW,
    DONE_REPORT_STATUS,
    RETURNED_REVIEW,
    Rules,
    due_date,
    silent_cutoff,
)
from storage.models import Binding, Item

Column = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class StateColumns:
    """Where a query finds the model's facts: the binding's own columns, or the same
    facts as of an earlier moment (`core.digest.sql.state_as_of`)."""

    status: Column
    review_state: Column
    last_reported_at: Column
    created_at: Column
    deadline: Column
    # Supervision (issue 22): None where a query has no such facts (they count as none).
    item_id: Column | None = None
    extended_due: Column | None = None
    rectification_due: Column | None = None


BINDING_COLUMNS = StateColumns(
    Binding.status,
    Binding.review_state,
    Binding.last_reported_at,
    Binding.created_at,
    Item.deadline,
    Binding.item_id,
    Binding.extended_due,
    Binding.rectification_due,
)


@dataclass(frozen=True)
class Milestones:
    """A campaign's items' dated steps (`Item.milestones`), read once for the day and
    passed down; what the SQL form of "a step passed unmet" needs."""

    by_item: Mapping[int, tuple[dt.date, ...]] = field(default_factory=dict)


NO_MILESTONES = Milestones()


def _local_midnight_utc(day: dt.date, rules_tz: Any) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=rules_tz).astimezone(dt.UTC)


def missed_step_clause(
    today: dt.date, rules: Rules, milestones: Milestones, c: StateColumns = BINDING_COLUMNS
) -> ColumnElement[bool]:
    """A milestone passed with no report since the step before it (model: `current_step`).

    Of the passed steps the latest decides: unmet when the last report is not after the
    step before it (or there is no report at all, for the first step). A step at or after
    a binding's final due date can only be passed when that date is too, which
    `past_due_clause` covers anyway."""
    if c.item_id is None or not milestones.by_item:
        return false()
    never: list[int] = []
    before: dict[dt.datetime, list[int]] = {}
    for item_id, steps in milestones.by_item.items():
        passed = sorted(step for step in set(steps) if step < today)
        if not passed:
            continue
        if len(passed) == 1:
            never.append(item_id)
        else:
            cutoff = _local_midnight_utc(passed[-2] + dt.timedelta(days=1), rules.tz)
            before.setdefault(cutoff, []).append(item_id)
    parts: list[ColumnElement[bool]] = []
    if never:
        parts.append(and_(c.item_id.in_(never), c.last_reported_at.is_(None)))
    for cutoff, ids in before.items():
        parts.append(
            and_(
                c.item_id.in_(ids),
                or_(c.last_reported_at.is_(None), c.last_reported_at < cutoff),
            )
        )
    return or_(*parts) if parts else false()


def done_clause(c: StateColumns = BINDING_COLUMNS) -> ColumnElement[bool]:
    """effective_status(...) == DONE"""
    return and_(c.status == DONE_REPORT_STATUS, c.review_state == ACCEPTED_REVIEW)


def pending_review_clause(c: StateColumns = BINDING_COLUMNS) -> ColumnElement[bool]:
    """effective_status(...) == PENDING_REVIEW"""
    return and_(
        c.status == DONE_REPORT_STATUS,
        or_(c.review_state.is_(None), c.review_state.not_in((ACCEPTED_REVIEW, RETURNED_REVIEW))),
    )


DONE_CLAUSE = done_clause()
PENDING_REVIEW_CLAUSE = pending_review_clause()


def past_due_clause(
    today: dt.date,
    campaign_year: int | None,
    c: StateColumns = BINDING_COLUMNS,
    *,
    rules: Rules | None = None,
    milestones: Milestones = NO_MILESTONES,
) -> ColumnElement[bool]:
    """`State.past_due` (needs `Item` joined): the final due date (an approved extension,
    else the item's own, else the year's end) passed, a milestone passed unmet (with
    `rules` and `milestones`), or an open rectification's date passed."""
    year_end, _source = due_date(None, campaign_year)
    after_year_end = true() if year_end and year_end < today else false()
    own_passed = or_(c.deadline < today, and_(c.deadline.is_(None), after_year_end))
    if c.extended_due is not None:
        final_passed = or_(c.extended_due < today, and_(c.extended_due.is_(None), own_passed))
    else:
        final_passed = own_passed
    parts = [final_passed]
    if rules is not None:
        parts.append(missed_step_clause(today, rules, milestones, c))
    if c.rectification_due is not None:
        parts.append(c.rectification_due < today)
    return and_(~done_clause(c), or_(*parts))


def silent_clause(
    today: dt.date, rules: Rules, c: StateColumns = BINDING_COLUMNS
) -> ColumnElement[bool]:
    """`State.silent`."""
    cutoff = silent_cutoff(today, rules)
    return and_(
        ~done_clause(c),
        ~pending_review_clause(c),
        or_(
            c.last_reported_at < cutoff,
            and_(c.last_reported_at.is_(None), c.created_at < cutoff),
        ),
    )


def overdue_clause(
    today: dt.date,
    rules: Rules,
    campaign_year: int | None,
    c: StateColumns = BINDING_COLUMNS,
    *,
    milestones: Milestones = NO_MILESTONES,
) -> ColumnElement[bool]:
    """`State.overdue`: what /overdue lists (needs `Item` joined)."""
    return or_(
        past_due_clause(today, campaign_year, c, rules=rules, milestones=milestones),
        silent_clause(today, rules, c),
    )
