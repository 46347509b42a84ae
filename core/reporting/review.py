"""Review (审核) of reports marked done: the values the review use cases deal in.

A report marked done is `pending` until office staff accept or return it. A decision
writes a `Review` row, sets the report's review state and, when the report is still its
binding's latest, the binding's too (so the item counts as done only once accepted; see
`core.status.model.effective_status`). Two reviewers deciding the same report at the
same moment cannot both win: the report's state changes only from pending.

The use cases are `core.reporting.use_cases` (pending_review, review_evidence,
open_return, decide), on the Protocols of `core.reporting.interfaces` (ReviewReader,
ReviewStore); `core.reporting.sql.SqlReview` implements them over the unit's session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from core.people.roster import Recipient
from core.reporting.reports import TargetView
from storage.models import REVIEW_ACCEPTED, REVIEW_PENDING, REVIEW_RETURNED

DECISIONS = (REVIEW_ACCEPTED, REVIEW_RETURNED)
MAX_COMMENT = 2000


@dataclass(frozen=True)
class PendingReport:
    report_id: int
    binding_id: int
    department_id: int
    department_name: str
    code: str
    title: str
    status: str
    text: str
    created_at: dt.datetime
    reporter_name: str
    is_latest: bool  # still the binding's latest report
    values: tuple[TargetView, ...]  # each target with the value this report gave
    evidence_count: int
    reused_count: int  # files already submitted with an earlier report


@dataclass(frozen=True)
class ReportEvidence:
    kind: str
    file_id: str
    file_name: str
    reused_from_report_id: int | None


@dataclass(frozen=True)
class UnderReview:
    """A report as a decision needs it: its state, its binding and what the reply names."""

    report_id: int
    review_state: str
    binding_id: int
    is_latest: bool  # still the binding's latest report
    department_id: int
    department_name: str
    code: str
    title: str


class ReviewFailure(StrEnum):
    NOT_FOUND = "not_found"
    ALREADY = "already"  # decided before (or by someone else just now)
    NOT_PENDING = "not_pending"  # never awaited review (not a done report)


class ReviewRefused(Exception):
    def __init__(self, failure: ReviewFailure, state: str = "") -> None:
        super().__init__(failure.value)
        self.failure = failure
        self.state = state


def refusal_of(report: UnderReview | None) -> ReviewRefused | None:
    """Why `report` cannot be decided now, or None when it awaits review."""
    if report is None:
        return ReviewRefused(ReviewFailure.NOT_FOUND)
    if report.review_state in DECISIONS:
        return ReviewRefused(ReviewFailure.ALREADY, report.review_state)
    if report.review_state != REVIEW_PENDING:
        return ReviewRefused(ReviewFailure.NOT_PENDING, report.review_state)
    return None


@dataclass(frozen=True)
class Decided:
    report_id: int
    decision: str
    comment: str
    department_id: int
    department_name: str
    code: str
    title: str
    binding_updated: bool
    liaisons: tuple[Recipient, ...]  # to be told, after the commit
    rectification_due: dt.date | None = None  # a rectification opened by this return
