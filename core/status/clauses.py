"""The status model's rules as SQL conditions on `Binding` (and `Item`), for screens that
filter or count in the database. Each is built from the constants of `core.status.model`
and tested against it on generated data (tests/test_status_property.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
    facts as of an earlier moment (`core.digest.data.state_as_of`)."""

    status: Column
    review_state: Column
    last_reported_at: Column
    created_at: Column
    deadline: Column


BINDING_COLUMNS = StateColumns(
    Binding.status,
    Binding.review_state,
    Binding.last_reported_at,
    Binding.created_at,
    Item.deadline,
)


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
    today: dt.date, campaign_year: int | None, c: StateColumns = BINDING_COLUMNS
) -> ColumnElement[bool]:
    """`State.past_due` (needs `Item` joined)."""
    year_end, _source = due_date(None, campaign_year)
    return and_(
        ~done_clause(c),
        or_(
            c.deadline < today,
            and_(c.deadline.is_(None), true() if year_end and year_end < today else false()),
        ),
    )


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
    today: dt.date, rules: Rules, campaign_year: int | None, c: StateColumns = BINDING_COLUMNS
) -> ColumnElement[bool]:
    """`State.overdue`: what /overdue lists (needs `Item` joined)."""
    return or_(past_due_clause(today, campaign_year, c), silent_clause(today, rules, c))
