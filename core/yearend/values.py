"""Plain values the year end's readers return (core/yearend/interfaces.py): what a use
case reads besides the rows it changes. No session, no lazy loading: a fake in a unit
test builds them as easily as core/yearend/sql.py does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SelfItem:
    """One of a department's items as its self-assessment shows it."""

    binding_id: int
    code: str
    title: str
    points: Decimal | None
    accepted: bool  # its latest done-report was accepted
    prefilled: str  # the latest accepted report's text ("" if none)
    evidence: int  # evidence files already filed
    score: Decimal | None  # the proposed score, None while not given
    statement: str  # the department's own statement

    @property
    def needs_statement(self) -> bool:
        return not self.accepted and not self.statement.strip()

    @property
    def shown_statement(self) -> str:
        return self.statement or self.prefilled


@dataclass(frozen=True)
class SiteCheckLine:
    id: int
    department: str
    checked_on: dt.date
    team: str
    findings: str
    photos: int


@dataclass(frozen=True)
class ReminderLiaison:
    """A liaison of a department that has not submitted its self-assessment."""

    department_id: int
    department: str
    tg_id: int
    locale: str | None
    deputy: bool


@dataclass(frozen=True)
class Given:
    """A department's feedback: when it was delivered and its re-check deadline."""

    department_id: int
    delivered_at: dt.datetime
    recheck_deadline: dt.date  # local date, inclusive


@dataclass(frozen=True)
class OpenAppeal:
    """An appeal still to decide, as the office's list shows it."""

    id: int
    department_id: int
    subject: str
    reason: str


@dataclass(frozen=True)
class FeedbackProgress:
    """How far the feedback went: what approval waits for."""

    departments: int
    fed_back: int
    last_deadline: dt.date | None


@dataclass(frozen=True)
class SelfScoreRow:
    """A row of the export's 自评 sheet, before its order and words are applied."""

    department: str
    code: str
    title: str
    points: Decimal | None
    score: Decimal
    statement: str
    state: str | None
    submitted_at: dt.datetime | None
    dept_class: str
    number: int | None
