"""Feedback (反馈) and re-check requests (复核申请).

`/feedback` tells each department its own preliminary result privately — every item's
score and deduction with its reason, bonus, penalty, veto, total and grade — with the
feedback sheet and the re-check deadline (N working days from the day after delivery).
A department's liaison may then appeal an item's score, the bonus, the penalty, a veto
or the grade until the end of that day; the office upholds or changes the result, and a
change is made through the scoring tables with its audit row, so it flows into every
result, screen and file. The results come from the scoring engine (`results_of`), never
recomputed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.people.roster import Recipient
from core.scheduling.workdays import WorkingDay
from core.scoring import acts
from core.scoring.amounts import show
from core.scoring.engine import DepartmentResult
from core.scoring.ports import ScoreBook, ScoreLine
from core.scoring.results import results_of
from core.scoring.usecases import SOURCE_MANUAL, ScoringRefused
from core.scoring.usecases import Actor as ScoringActor
from core.text.i18n import Translate
from core.text.matching import normalize_code
from core.yearend.deadlines import appeal_on_time, recheck_deadline
from core.yearend.documents import Adjustment, Deduction, FeedbackSheet, ItemLine, plan_title
from core.yearend.interfaces import (
    AppealReader,
    BookReader,
    CitationReader,
    DecideAppealStore,
    FileAppealStore,
    OutcomeReader,
    OwnOutcomeReader,
    SendFeedbackStore,
)
from core.yearend.selfassess import window_open
from core.yearend.state import Acting, YearEndRefused, audit, ensure_not_final, year_end
from core.yearend.values import Given, OpenAppeal
from storage.models import (
    ADJUST_BONUS,
    ADJUST_PENALTY,
    APPEAL_BONUS,
    APPEAL_CHANGED,
    APPEAL_ITEM,
    APPEAL_OPEN,
    APPEAL_PENALTY,
    APPEAL_TARGETS,
    APPEAL_UPHELD,
    APPEAL_VETO,
    BINDING_LEAD,
    DEDUCTION_CONFIRMED,
    DEDUCTION_WITHDRAWN,
    Appeal,
    ResultFeedback,
)

MAX_REASON = 1000
SITECHECK_SOURCE = "sitecheck:"


async def scored(reader: BookReader, campaign_id: int) -> tuple[ScoreBook, list[DepartmentResult]]:
    """The campaign's book and every department's result, as the engine computes them."""
    book = await reader.book(campaign_id)
    return book, results_of(book)


async def site_check_labels(reader: CitationReader, campaign_id: int) -> dict[str, str]:
    """A deduction's source ("sitecheck:ID") -> how the documents cite it."""
    days = await reader.site_check_days(campaign_id)
    return {f"{SITECHECK_SOURCE}{i}": f"S{i} {day.isoformat()}" for i, day in days}


@dataclass(frozen=True)
class Outcome:
    """One department's preliminary result, as its feedback tells it."""

    department_id: int
    department: str
    dept_class: str
    result: DepartmentResult
    items: tuple[ItemLine, ...]
    bonus: tuple[Adjustment, ...]
    penalty: tuple[Adjustment, ...]
    vetoes: tuple[str, ...]  # "condition（grounds；body）"


def outcome_of(book: ScoreBook, result: DepartmentResult, citations: dict[str, str]) -> Outcome:
    lines = {line.binding_id: line for line in book.lines_of(result.department_id)}
    items = []
    for item in result.items:
        line = lines.get(item.binding_id)
        if line is None or item.points is None or (line.role != BINDING_LEAD and not item.counts):
            continue
        items.append(
            ItemLine(
                code=item.code,
                title=line.title,
                points=item.points,
                score=item.score,
                deductions=tuple(
                    Deduction(d.amount, d.reason, citations.get(d.source, ""))
                    for d in line.deductions
                    if d.state == DEDUCTION_CONFIRMED
                ),
            )
        )
    adjustments = [a for a in book.adjustments if a.department_id == result.department_id]
    return Outcome(
        department_id=result.department_id,
        department=result.name,
        dept_class=result.dept_class,
        result=result,
        items=tuple(items),
        bonus=tuple(Adjustment(a.amount, a.reason) for a in adjustments if a.kind == ADJUST_BONUS),
        penalty=tuple(
            Adjustment(a.amount, a.reason) for a in adjustments if a.kind == ADJUST_PENALTY
        ),
        vetoes=tuple(
            f"{v.condition_name}（{v.grounds}；{v.confirmed_by_body}）"
            for v in book.vetoes
            if v.department_id == result.department_id
        ),
    )


def class_label(dept_class: str, _: Translate) -> str:
    return _("Class A") if dept_class == "A" else _("Class B")


def feedback_sheet(
    book: ScoreBook,
    outcome: Outcome,
    *,
    delivered_on: dt.date,
    deadline: dt.date,
    days: int,
    final: bool,
    _: Translate,
) -> FeedbackSheet:
    result = outcome.result
    return FeedbackSheet(
        plan_title=plan_title(book.campaign.title),
        year=book.campaign.year or delivered_on.year,
        department=outcome.department,
        class_label=class_label(outcome.dept_class, _),
        items=outcome.items,
        total=result.score,
        converted=result.converted,
        grade=result.grade,
        delivered_on=delivered_on,
        recheck_deadline=deadline,
        recheck_days=days,
        issued_by=_("Office of the assessment"),
        bonus=outcome.bonus,
        penalty=outcome.penalty,
        vetoes=outcome.vetoes,
        provisional=not final,
        remaining=result.remaining,
    )


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    liaisons: tuple[Recipient, ...]
    delivered_on: dt.date
    deadline: dt.date
    days: int


async def send_feedback(
    store: SendFeedbackStore, campaign_id: int, acting: Acting, is_working: WorkingDay
) -> tuple[ScoreBook, list[Delivery]]:
    """Record the feedback of every department (its deadline fixed at the first delivery)
    and return what each department's liaisons are to be sent."""
    scheme = await store.scheme(campaign_id)
    if scheme is None or scheme.confirmed_at is None:
        raise YearEndRefused("scheme_not_confirmed")
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    if row.approved_at is not None:
        raise YearEndRefused("approved")
    if window_open(row, acting.today):
        raise YearEndRefused("window_running")
    book, results = await scored(store, campaign_id)
    unscored = [r.name for r in results if r.remaining]
    if unscored:
        raise YearEndRefused("incomplete_scores", departments="、".join(unscored))
    earlier = {f.department_id: f for f in await store.feedbacks(campaign_id)}
    citations = await site_check_labels(store, campaign_id)
    liaisons = await store.liaisons_by_department(campaign_id)
    deliveries = []
    for result in results:
        feedback = earlier.get(result.department_id)
        if feedback is None:
            feedback = Given(
                result.department_id,
                acting.now,
                recheck_deadline(acting.today, row.recheck_days, is_working),
            )
            store.stage(
                ResultFeedback(
                    campaign_id=campaign_id,
                    department_id=feedback.department_id,
                    delivered_at=feedback.delivered_at,
                    recheck_deadline=feedback.recheck_deadline,
                    sent_by=acting.tg_id,
                )
            )
        deliveries.append(
            Delivery(
                outcome=outcome_of(book, result, citations),
                liaisons=tuple(liaisons.get(result.department_id, [])),
                delivered_on=feedback.delivered_at.astimezone(acting.zone).date(),
                deadline=feedback.recheck_deadline,
                days=row.recheck_days,
            )
        )
    audit(store, campaign_id, acting, "feedback", subject="反馈", after=str(len(deliveries)))
    await store.flush()
    return book, deliveries


@dataclass(frozen=True)
class OwnOutcome:
    """A department's own result as its liaison sees it, and its feedback if given."""

    book: ScoreBook
    outcome: Outcome
    given: Given | None


async def own_outcome(reader: OwnOutcomeReader, campaign_id: int, department_id: int) -> OwnOutcome:
    book, results = await scored(reader, campaign_id)
    result = next((r for r in results if r.department_id == department_id), None)
    if result is None:
        raise YearEndRefused("no_department")
    citations = await site_check_labels(reader, campaign_id)
    return OwnOutcome(
        book,
        outcome_of(book, result, citations),
        await reader.feedback_of(campaign_id, department_id),
    )


@dataclass(frozen=True)
class OwnResult:
    outcome: Outcome
    deadline: dt.date | None  # the re-check deadline, once the feedback was given
    final: bool


async def own_result(
    reader: OutcomeReader, campaign_id: int, department_id: int
) -> OwnResult | None:
    """A liaison's /feedback: their department's result once it was given (or once the
    results are final); None before."""
    final = await reader.final(campaign_id)
    own = await own_outcome(reader, campaign_id, department_id)
    if own.given is None and not final:
        return None
    deadline = own.given.recheck_deadline if own.given else None
    return OwnResult(own.outcome, deadline, final)


@dataclass(frozen=True)
class Filed:
    appeal: Appeal
    department: str


async def file_appeal(
    store: FileAppealStore,
    campaign_id: int,
    department_id: int,
    target: str,
    code_text: str,
    reason: str,
    attachments: list[str],
    acting: Acting,
) -> Filed:
    """A liaison's re-check request on their own department's result."""
    if target not in APPEAL_TARGETS:
        raise YearEndRefused("no_target")
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    feedback = await store.feedback_of(campaign_id, department_id)
    if feedback is None:
        raise YearEndRefused("no_feedback")
    if row.approved_at is not None or not appeal_on_time(
        feedback.recheck_deadline, acting.now, acting.zone
    ):
        raise YearEndRefused("past_deadline", deadline=feedback.recheck_deadline)
    reason = reason.strip()
    if not reason:
        raise YearEndRefused("reason_needed")
    book = await store.book(campaign_id)
    department = book.department(department_id)
    if department is None:
        raise YearEndRefused("no_department")
    binding_id: int | None = None
    subject = target
    if target == APPEAL_ITEM:
        code = normalize_code(code_text)
        if code is None:
            raise YearEndRefused("no_item", code=code_text)
        own = [
            line
            for line in book.lines_of(department_id)
            if normalize_code(line.code) == code and line.points is not None
        ]
        if not own:
            elsewhere = any(normalize_code(line.code) == code for line in book.lines)
            raise YearEndRefused("not_yours" if elsewhere else "no_item", code=code_text)
        binding_id, subject = own[0].binding_id, own[0].code
    elif target == APPEAL_VETO and not any(v.department_id == department_id for v in book.vetoes):
        raise YearEndRefused("no_target")
    appeal = Appeal(
        campaign_id=campaign_id,
        department_id=department_id,
        target=target,
        binding_id=binding_id,
        subject=subject,
        reason=reason[:MAX_REASON],
        attachments=attachments,
        state=APPEAL_OPEN,
        filed_by=acting.tg_id,
        filed_at=acting.now,
    )
    store.stage(appeal)
    await store.flush()  # the appeal's number is in the reply
    audit(
        store,
        campaign_id,
        acting,
        "appeal",
        subject=f"{department.name} {subject}",
        reason=reason,
        department_id=department_id,
        binding_id=binding_id,
    )
    return Filed(appeal, department.name)


async def open_appeals(reader: AppealReader, campaign_id: int) -> list[OpenAppeal]:
    """The appeals the office has still to decide, oldest first."""
    return await reader.open_appeals(campaign_id)


@dataclass(frozen=True)
class Decided:
    appeal: Appeal
    department: str
    before: str
    after: str
    liaisons: tuple[Recipient, ...]


async def decide_appeal(
    store: DecideAppealStore,
    campaign_id: int,
    appeal_id: int,
    *,
    change: bool,
    new_value: Decimal | None,
    reason: str,
    acting: Acting,
) -> Decided:
    """Uphold the result, or change it (an item's score, the bonus or penalty total, or
    lift the veto) with the reason; the change goes through the scoring tables."""
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    appeal = await store.appeal(appeal_id)
    if appeal is None or appeal.campaign_id != campaign_id:
        raise YearEndRefused("no_appeal")
    if appeal.state != APPEAL_OPEN:
        raise YearEndRefused("decided")
    reason = reason.strip()
    if not reason:
        raise YearEndRefused("reason_needed")
    book = await store.book(campaign_id)
    department = book.department(appeal.department_id)
    name = department.name if department else ""
    before = after = ""
    if change:
        before, after = await _apply_change(store, book, appeal, new_value, reason, acting)
    appeal.state = APPEAL_CHANGED if change else APPEAL_UPHELD
    appeal.decided_by, appeal.decided_at = acting.tg_id, acting.now
    appeal.decision, appeal.new_score = reason[:MAX_REASON], new_value if change else None
    audit(
        store,
        campaign_id,
        acting,
        "appeal_changed" if change else "appeal_upheld",
        subject=f"{name} {appeal.subject}",
        before=before,
        after=after,
        reason=reason,
        department_id=appeal.department_id,
        binding_id=appeal.binding_id,
    )
    await store.flush()
    liaisons = await store.liaisons_by_department(campaign_id)
    return Decided(appeal, name, before, after, tuple(liaisons.get(appeal.department_id, [])))


async def _apply_change(
    store: DecideAppealStore,
    book: ScoreBook,
    appeal: Appeal,
    new_value: Decimal | None,
    reason: str,
    acting: Acting,
) -> tuple[str, str]:
    """Stage the changed result through the scoring engine's own acts (each writes its
    audit row); returns (before, after) as the appeal's audit row shows them."""
    actor = ScoringActor(acting.tg_id, acting.now)
    department = book.department(appeal.department_id)
    if department is None:
        raise YearEndRefused("no_department")
    text = f"复核：{reason}"[:MAX_REASON]
    try:
        if appeal.target == APPEAL_ITEM:
            if new_value is None:
                raise YearEndRefused("value_needed")
            line = next((li for li in book.lines if li.binding_id == appeal.binding_id), None)
            if line is None or line.points is None:
                raise YearEndRefused("no_item", code=appeal.subject)
            if new_value < 0 or new_value > line.points:  # checked before anything is staged
                raise YearEndRefused("above_points", code=line.code, points=line.points)
            before_score = acts.current_score(line)
            await _withdraw_recorded_deductions(store, line, appeal, text, acting)
            scored_item = await acts.score_item(
                store,
                store,
                actor,
                department=department,
                code=appeal.subject,
                score=new_value,
                reason=text,
            )
            return "" if before_score is None else show(before_score), show(scored_item.score)
        if appeal.target in (APPEAL_BONUS, APPEAL_PENALTY):
            if new_value is None:
                raise YearEndRefused("value_needed")
            kind = ADJUST_BONUS if appeal.target == APPEAL_BONUS else ADJUST_PENALTY
            current = [
                a for a in book.adjustments if a.department_id == department.id and a.kind == kind
            ]
            before = show(sum((a.amount for a in current), Decimal(0)))
            for _entry in current:
                await acts.undo_adjustment(
                    store, store, actor, kind=kind, department=department.name, reason=text
                )
            if new_value > 0:
                await acts.add_adjustment(
                    store,
                    store,
                    actor,
                    kind=kind,
                    department=department.name,
                    amount=new_value,
                    reason=text,
                )
            return before, show(new_value)
        if appeal.target == APPEAL_VETO:
            vetoes = [v for v in book.vetoes if v.department_id == department.id]
            for veto in vetoes:
                await acts.undo_veto(
                    store,
                    store,
                    actor,
                    department=department.name,
                    condition=veto.condition_code,
                    reason=text,
                )
            return "；".join(v.condition_name for v in vetoes), ""
    except ScoringRefused as exc:
        raise YearEndRefused(exc.reason, **exc.detail) from exc
    # A grade follows the score: the office changes an item, bonus, penalty or veto
    # (with /score and the rest), then upholds this appeal with its note.
    raise YearEndRefused("grade_follows")


async def _withdraw_recorded_deductions(
    store: DecideAppealStore, line: ScoreLine, appeal: Appeal, reason: str, acting: Acting
) -> None:
    """A re-check decides the item's score as a whole: deductions proposed by a rule or
    resting on a record (a site check) are withdrawn too, each logged, before the engine's
    `score_item` replaces the office's own with one carrying the decision's reason."""
    recorded = [
        d.id
        for d in line.deductions
        if d.state == DEDUCTION_CONFIRMED and d.source != SOURCE_MANUAL
    ]
    if not recorded:
        return
    for row in await store.deductions(recorded):
        row.state = DEDUCTION_WITHDRAWN
        row.decided_by, row.decided_at = acting.tg_id, acting.now
        audit(
            store,
            appeal.campaign_id,
            acting,
            "deduction_withdrawn",
            subject=f"{appeal.subject}",
            before=f"-{show(row.amount)} {row.source}",
            after="",
            reason=reason,
            department_id=appeal.department_id,
            binding_id=row.binding_id,
        )
    await store.flush()
