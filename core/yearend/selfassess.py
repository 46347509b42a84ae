"""Self-assessment (自评): the window, a department's proposed scores, submit and return.

Departments report once (no 多头填报): each item's statement is pre-filled from its
latest accepted report, and the evidence already filed counts; a statement of its own is
required only for an item never accepted. A proposed score lies between 0 and the item's
points in the scheme. Submitting locks the department's self-assessment until the office
returns it with a comment. The window opens only once the scheme is confirmed, and closes
at the end of its deadline day (local time) or by `/assess close`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.people.roster import Recipient
from core.text.matching import code_key, normalize_code
from core.yearend.interfaces import (
    OpenWindowStore,
    PendingReader,
    SelfAssessStore,
    SelfFormReader,
    YearEndStore,
)
from core.yearend.state import Acting, YearEndRefused, audit, ensure_not_final, keep, year_end
from core.yearend.values import SelfItem
from storage.models import (
    SELF_DRAFT,
    SELF_RETURNED,
    SELF_SUBMITTED,
    SelfAssessment,
    SelfScore,
    YearEnd,
)

MAX_STATEMENT = 2000


@dataclass(frozen=True)
class SelfForm:
    campaign_id: int
    department_id: int
    department: str
    state: str  # SELF_DRAFT / SELF_SUBMITTED / SELF_RETURNED
    deadline: dt.date | None
    return_comment: str
    report_name: str
    items: tuple[SelfItem, ...]

    @property
    def missing(self) -> list[SelfItem]:
        """Items that still lack a score, or a statement where one is required."""
        return [i for i in self.items if i.score is None or i.needs_statement]


def window_open(row: YearEnd, today: dt.date) -> bool:
    return (
        row.self_opened_at is not None
        and row.self_closed_at is None
        and (row.self_deadline is None or today <= row.self_deadline)
    )


async def open_window(
    store: OpenWindowStore, campaign_id: int, deadline: dt.date, acting: Acting
) -> list[tuple[str, Recipient]]:
    """Open the window; returns (department, liaison) pairs to tell privately."""
    scheme = await store.scheme(campaign_id)
    if scheme is None or scheme.confirmed_at is None:
        raise YearEndRefused("scheme_not_confirmed")
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    if deadline < acting.today:
        raise YearEndRefused("bad_deadline", deadline=deadline)
    keep(store, row)
    before = row.self_deadline.isoformat() if row.self_deadline else ""
    row.self_opened_at, row.self_opened_by = acting.now, acting.tg_id
    row.self_deadline, row.self_closed_at = deadline, None
    audit(
        store,
        campaign_id,
        acting,
        "selfassess_open",
        subject="自评",
        before=before,
        after=deadline.isoformat(),
    )
    departments = await store.departments(campaign_id)
    liaisons = await store.liaisons_by_department(campaign_id)
    return [
        (name, r) for department_id, name in departments for r in liaisons.get(department_id, [])
    ]


async def close_window(store: YearEndStore, campaign_id: int, acting: Acting) -> None:
    row = await year_end(store, campaign_id)
    if row.self_opened_at is None or row.self_closed_at is not None:
        raise YearEndRefused("not_open")
    keep(store, row)
    row.self_closed_at = acting.now
    audit(store, campaign_id, acting, "selfassess_close", subject="自评")


async def self_form(reader: SelfFormReader, campaign_id: int, department_id: int) -> SelfForm:
    """The department's items with points, pre-filled statements and proposed scores."""
    department = await reader.department_name(campaign_id, department_id)
    if department is None:
        raise YearEndRefused("no_department")
    items = sorted(await reader.self_items(department_id), key=lambda item: code_key(item.code))
    assessment = await reader.self_assessment(campaign_id, department_id)
    row = await reader.year_end_row(campaign_id)
    return SelfForm(
        campaign_id=campaign_id,
        department_id=department_id,
        department=department,
        state=assessment.state if assessment else SELF_DRAFT,
        deadline=row.self_deadline if row else None,
        return_comment=assessment.return_comment if assessment else "",
        report_name=(assessment.report_name if assessment else "") or "",
        items=tuple(items),
    )


async def _editable(
    store: SelfAssessStore, campaign_id: int, department_id: int, acting: Acting
) -> SelfAssessment | None:
    """The department's self-assessment (None before its first change) while it may
    change: not final, the window open, not submitted. Stages nothing."""
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    if not window_open(row, acting.today):
        raise YearEndRefused("window_closed")
    assessment = await store.self_assessment(campaign_id, department_id)
    if assessment is not None and assessment.state == SELF_SUBMITTED:
        raise YearEndRefused("submitted")
    return assessment


def _draft(
    store: SelfAssessStore, campaign_id: int, department_id: int, found: SelfAssessment | None
) -> SelfAssessment:
    """The self-assessment to change: the one found, or a draft staged now (after every
    check, so a refused command leaves no draft behind)."""
    if found is not None:
        return found
    draft = SelfAssessment(campaign_id=campaign_id, department_id=department_id, state=SELF_DRAFT)
    store.stage(draft)
    return draft


async def set_self_score(
    store: SelfAssessStore,
    campaign_id: int,
    department_id: int,
    code_text: str,
    score: Decimal,
    statement: str,
    acting: Acting,
) -> SelfItem:
    """Propose `score` for the department's item `code_text` (with a statement)."""
    form = await self_form(store, campaign_id, department_id)
    code = normalize_code(code_text)
    if code is None:
        raise YearEndRefused("no_item", code=code_text)
    item = next((i for i in form.items if normalize_code(i.code) == code), None)
    if item is None:
        raise YearEndRefused("no_item", code=code_text)
    found = await _editable(store, campaign_id, department_id, acting)
    if item.points is None:
        raise YearEndRefused("no_points", code=item.code)
    if score < 0 or score > item.points:
        raise YearEndRefused("above_points", code=item.code, points=item.points)
    statement = statement.strip()[:MAX_STATEMENT]
    if not item.accepted and not statement and not item.statement:
        raise YearEndRefused("statement_needed", code=item.code)
    _draft(store, campaign_id, department_id, found)
    row = await store.self_score(item.binding_id)
    if row is None:
        row = SelfScore(binding_id=item.binding_id, campaign_id=campaign_id, statement="")
        store.stage(row)
    row.score = score
    if statement:
        row.statement = statement
    row.set_by, row.set_at = acting.tg_id, acting.now
    await store.flush()
    return SelfItem(
        binding_id=item.binding_id,
        code=item.code,
        title=item.title,
        points=item.points,
        accepted=item.accepted,
        prefilled=item.prefilled,
        evidence=item.evidence,
        score=score,
        statement=row.statement,
    )


async def attach_self_report(
    store: SelfAssessStore,
    campaign_id: int,
    department_id: int,
    *,
    file_id: str,
    sha256: str | None,
    name: str,
    acting: Acting,
) -> None:
    """Attach (or replace) the optional self-check report (自查报告)."""
    found = await _editable(store, campaign_id, department_id, acting)
    assessment = _draft(store, campaign_id, department_id, found)
    assessment.report_file_id, assessment.report_sha256 = file_id, sha256
    assessment.report_name = name[:255]


async def submit(
    store: SelfAssessStore, campaign_id: int, department_id: int, acting: Acting
) -> SelfForm:
    """Lock the department's self-assessment; every item needs a score (and a statement
    where it was never accepted)."""
    form = await self_form(store, campaign_id, department_id)
    found = await _editable(store, campaign_id, department_id, acting)
    if not form.items:
        raise YearEndRefused("no_item", code="")
    if form.missing:
        raise YearEndRefused("incomplete", codes=", ".join(i.code for i in form.missing))
    assessment = _draft(store, campaign_id, department_id, found)
    assessment.state = SELF_SUBMITTED
    assessment.submitted_at, assessment.submitted_by = acting.now, acting.tg_id
    total = sum((i.score or Decimal(0) for i in form.items), Decimal(0))
    audit(
        store,
        campaign_id,
        acting,
        "selfassess_submit",
        subject=form.department,
        after=str(total),
        department_id=department_id,
    )
    await store.flush()
    return await self_form(store, campaign_id, department_id)


async def return_self(
    store: SelfAssessStore, campaign_id: int, department_id: int, comment: str, acting: Acting
) -> list[Recipient]:
    """The office returns a submitted self-assessment with a comment; returns whom to tell."""
    comment = comment.strip()
    if not comment:
        raise YearEndRefused("reason_needed")
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    assessment = await store.self_assessment(campaign_id, department_id)
    if assessment is None or assessment.state != SELF_SUBMITTED:
        raise YearEndRefused("not_submitted")
    assessment.state = SELF_RETURNED
    assessment.returned_at, assessment.returned_by = acting.now, acting.tg_id
    assessment.return_comment = comment[:MAX_STATEMENT]
    department = await store.department_name(campaign_id, department_id)
    audit(
        store,
        campaign_id,
        acting,
        "selfassess_return",
        subject=department or "",
        reason=comment,
        department_id=department_id,
    )
    return await store.liaisons_of(department_id)


@dataclass(frozen=True)
class Pending:
    """A department that has not submitted, with whom to remind."""

    department_id: int
    department: str
    liaisons: tuple[Recipient, ...]


async def not_submitted(reader: PendingReader, campaign_id: int) -> list[Pending]:
    """Departments with items whose self-assessment is not submitted (for reminders)."""
    rows = await reader.not_submitted(campaign_id)
    liaisons = await reader.liaisons_by_department(campaign_id)
    return [
        Pending(department_id, name, tuple(liaisons.get(department_id, [])))
        for department_id, name in rows
    ]
