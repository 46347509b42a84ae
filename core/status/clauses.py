"""The status model's rules as SQL conditions on `Binding` (and `Item`), for screens that
filter or count in the database. Each is built from the constants of `core.status.model`
and tested against it on generated data (tests/test_status_property.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, false, or_, true

from core.status.model import (
    ACCEPTED_REVIEW,
    DONE_REPORT_STATUS,
    RETURNED_REVIEW,
    Rules,
    due_date,
    silent_cutoff,
)
from storage.models import Binding, Item

# effective_status(...) == DONE
DONE_CLAUSE: ColumnElement[bool] = and_(
    Binding.status == DONE_REPORT_STATUS, Binding.review_state == ACCEPTED_REVIEW
)

# effective_status(...) == PENDING_REVIEW
PENDING_REVIEW_CLAUSE: ColumnElement[bool] = and_(
    Binding.status == DONE_REPORT_STATUS,
    or_(
        Binding.review_state.is_(None),
        Binding.review_state.not_in((ACCEPTED_REVIEW, RETURNED_REVIEW)),
    ),
)


def past_due_clause(today: dt.date, campaign_year: int | None) -> ColumnElement[bool]:
    """`State.past_due` (needs `Item` joined)."""
    year_end, _source = due_date(None, campaign_year)
    return and_(
        ~DONE_CLAUSE,
        or_(
            Item.deadline < today,
            and_(Item.deadline.is_(None), true() if year_end and year_end < today else false()),
        ),
    )


def silent_clause(today: dt.date, rules: Rules) -> ColumnElement[bool]:
    """`State.silent`."""
    cutoff = silent_cutoff(today, rules)
    return and_(
        ~DONE_CLAUSE,
        ~PENDING_REVIEW_CLAUSE,
        or_(
            Binding.last_reported_at < cutoff,
            and_(Binding.last_reported_at.is_(None), Binding.created_at < cutoff),
        ),
    )


def overdue_clause(today: dt.date, rules: Rules, campaign_year: int | None) -> ColumnElement[bool]:
    """`State.overdue`: what /overdue lists (needs `Item` joined)."""
    return or_(past_due_clause(today, campaign_year), silent_clause(today, rules))
