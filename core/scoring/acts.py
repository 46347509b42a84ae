"""Scoring acts on a confirmed scheme: item scores with their deductions, deductions
proposed from the year's record and decided by a person, bonus, penalty and vetoes
with their undo. Same contract as `core.scoring.usecases`: check first, stage, audit,
never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.scoring.amounts import ZERO, show
from core.scoring.engine import item_score
from core.scoring.ports import (
    DepartmentInfo,
    ScoreBook,
    ScoreLine,
    ScoringReader,
    ScoringWriter,
    YearRecord,
)
from core.scoring.results import confirmed
from core.scoring.usecases import (
    RULE_PAST_DUE,
    SOURCE_MANUAL,
    Actor,
    ScoringRefused,
    _audit,
    _scheme,
    binding_line,
    changeable_book,
    clean_reason,
    ensure_scheme,
    find_department,
    rule_points,
    subject,
)
from core.status.model import Rules
from storage.models import (
    ADJUST_BONUS,
    DEDUCTION_CONFIRMED,
    DEDUCTION_PROPOSED,
    DEDUCTION_REJECTED,
    DEDUCTION_WITHDRAWN,
    Deduction,
    ItemScore,
    ScoreAdjustment,
    ScoringScheme,
    VetoRecord,
)


async def confirmed_book(reader: ScoringReader, writer: ScoringWriter, actor: Actor) -> ScoreBook:
    """The active campaign's book for a change: refused once final, or unless its
    scheme is confirmed."""
    return _confirmed(await changeable_book(reader, writer, actor))


async def readable_book(reader: ScoringReader, writer: ScoringWriter, actor: Actor) -> ScoreBook:
    """The same book only to read (the 评分表 to download): open after /finalize too."""
    return _confirmed(await ensure_scheme(reader, writer, actor))


def _confirmed(book: ScoreBook) -> ScoreBook:
    if _scheme(book).confirmed_at is None:
        raise ScoringRefused("not_confirmed")
    return book


def current_score(line: ScoreLine) -> Decimal | None:
    if not line.scored or line.points is None:
        return None
    return item_score(line.points, confirmed(line))


@dataclass(frozen=True)
class Scored:
    department: str
    code: str
    points: Decimal
    before: Decimal | None
    score: Decimal
    deducted: Decimal


async def score_item(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    department: str | DepartmentInfo,
    code: str,
    score: Decimal,
    reason: str,
) -> Scored:
    """/score DEPT CODE POINTS reason: the item's score is POINTS.

    Confirmed deductions proposed by rules or records stay (they have their own reasons);
    the office's own (manual) deductions on the binding are replaced by one of
    (points - rule deductions - POINTS) with this reason. A score below the points needs
    a reason; above the points, below zero, or above what the rule deductions leave is
    refused."""
    book = await confirmed_book(reader, writer, actor)
    dept = (
        department if isinstance(department, DepartmentInfo) else find_department(book, department)
    )
    line = binding_line(book, dept, code)
    reason = clean_reason(reason)
    if line.role == "supporting" and not _scheme(book).supporting_counts:
        # Not in this unit's 100: it takes its share of the lead unit's deduction.
        raise ScoringRefused("supporting", subject=subject(book, line))
    if line.points is None:
        raise ScoringRefused("missing_points", count=1, first=subject(book, line))
    if score < ZERO or score > line.points:
        raise ScoringRefused("above_points", points=show(line.points), subject=subject(book, line))
    kept = [
        d for d in line.deductions if d.state == DEDUCTION_CONFIRMED and d.source != SOURCE_MANUAL
    ]
    room = max(ZERO, line.points - sum((d.amount for d in kept), ZERO))
    if score > room:
        raise ScoringRefused(
            "rules_exceed", most=show(room), subject=subject(book, line), points=show(line.points)
        )
    manual = room - score
    if manual > ZERO and not reason:
        raise ScoringRefused("reason_needed")
    before = current_score(line)
    for d in line.deductions:
        if d.source == SOURCE_MANUAL and d.state == DEDUCTION_CONFIRMED:
            row = await reader.deduction(d.id)
            if row is not None:
                row.state, row.decided_by, row.decided_at = (
                    DEDUCTION_WITHDRAWN,
                    actor.tg_id,
                    actor.now,
                )
    if manual > ZERO:
        writer.add(
            Deduction(
                campaign_id=book.campaign.id,
                binding_id=line.binding_id,
                amount=manual,
                reason=reason,
                source=SOURCE_MANUAL,
                state=DEDUCTION_CONFIRMED,
                created_by=actor.tg_id,
                created_at=actor.now,
                decided_by=actor.tg_id,
                decided_at=actor.now,
            )
        )
    await _mark_scored(reader, writer, book, line, actor, reason)
    _audit(
        writer,
        book.campaign.id,
        actor,
        "score",
        subject=subject(book, line),
        before="" if before is None else show(before),
        after=show(score),
        reason=reason,
        department_id=line.department_id,
        binding_id=line.binding_id,
    )
    await writer.flush()
    return Scored(dept.name, line.code, line.points, before, score, line.points - score)


async def _mark_scored(
    reader: ScoringReader,
    writer: ScoringWriter,
    book: ScoreBook,
    line: ScoreLine,
    actor: Actor,
    reason: str,
) -> None:
    row = await reader.item_score(line.binding_id)
    if row is None:
        writer.add(
            ItemScore(
                binding_id=line.binding_id,
                campaign_id=book.campaign.id,
                reason=reason,
                scored_by=actor.tg_id,
                scored_at=actor.now,
            )
        )
    else:
        row.reason, row.scored_by, row.scored_at = reason, actor.tg_id, actor.now


# ---------------------------------------------------------------- proposals


@dataclass(frozen=True)
class Proposal:
    deduction_id: int
    department: str
    code: str
    amount: Decimal
    reason: str
    state: str


def past_due_reason(record: YearRecord) -> str:
    """The reason a past-due proposal carries (the data, not a sentence: shown translated)."""
    return f"past_due:{record.due.isoformat() if record.due else ''}"


async def propose_deductions(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    today: dt.date,
    rules: Rules,
    department_id: int | None = None,
) -> list[Proposal]:
    """Proposals from the scheme's rules on the year's record: one per binding and rule,
    never twice (a rejected one is not proposed again). Proposed deductions count for
    nothing until a person confirms them. Returns the open proposals (new and old)."""
    book = await confirmed_book(reader, writer, actor)
    scheme = _scheme(book)
    past_due_points = rule_points(scheme, RULE_PAST_DUE)
    records = await reader.year_records(book.campaign.id, today, rules)
    made: list[tuple[ScoreLine, Deduction]] = []
    for line in book.lines:
        if department_id is not None and line.department_id != department_id:
            continue
        if past_due_points is None or line.role == "supporting" or line.points is None:
            continue
        source = f"rule:{RULE_PAST_DUE}"
        if any(d.source == source for d in line.deductions):
            continue
        record = records.get(line.binding_id)
        if record is None or not record.past_due:
            continue
        row = Deduction(
            campaign_id=book.campaign.id,
            binding_id=line.binding_id,
            amount=min(past_due_points, line.points),
            reason=past_due_reason(record),
            source=source,
            state=DEDUCTION_PROPOSED,
            created_by=actor.tg_id,
            created_at=actor.now,
        )
        writer.add(row)
        made.append((line, row))
    await writer.flush()
    for line, row in made:
        _audit(
            writer,
            book.campaign.id,
            actor,
            "deduction_proposed",
            subject=subject(book, line),
            after=show(row.amount),
            reason=row.reason,
            department_id=line.department_id,
            binding_id=line.binding_id,
        )
    await writer.flush()
    fresh = await reader.book(book.campaign.id)
    names = {d.id: d.name for d in fresh.departments}
    return [
        Proposal(d.id, names.get(line.department_id, ""), line.code, d.amount, d.reason, d.state)
        for line in fresh.lines
        if department_id is None or line.department_id == department_id
        for d in line.deductions
        if d.state == DEDUCTION_PROPOSED
    ]


async def decide_proposal(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    deduction_id: int,
    accept: bool,
    amount: Decimal | None = None,
    reason: str = "",
) -> Proposal:
    """Confirm (optionally with a changed amount and reason) or reject a proposal."""
    book = await confirmed_book(reader, writer, actor)
    row = await reader.deduction(deduction_id)
    if row is None or row.campaign_id != book.campaign.id:
        raise ScoringRefused("no_proposal")
    if row.state != DEDUCTION_PROPOSED:
        raise ScoringRefused("already_decided", state=row.state)
    line = next(x for x in book.lines if x.binding_id == row.binding_id)
    reason = clean_reason(reason)
    if amount is not None:
        if line.points is None or amount < ZERO or amount > line.points:
            raise ScoringRefused(
                "above_points", points=show(line.points or ZERO), subject=subject(book, line)
            )
        if amount != row.amount and not reason:
            raise ScoringRefused("reason_needed")
    before = show(row.amount)
    row.state = DEDUCTION_CONFIRMED if accept else DEDUCTION_REJECTED
    row.decided_by, row.decided_at = actor.tg_id, actor.now
    if accept and amount is not None:
        row.amount = amount
    if reason:
        row.reason = f"{row.reason} | {reason}"
    if accept:
        await _mark_scored(reader, writer, book, line, actor, line.score_reason)
    _audit(
        writer,
        book.campaign.id,
        actor,
        "deduction_confirmed" if accept else "deduction_rejected",
        subject=subject(book, line),
        before=before,
        after=show(row.amount) if accept else "",
        reason=reason or row.reason,
        department_id=line.department_id,
        binding_id=line.binding_id,
    )
    await writer.flush()
    department = book.department(line.department_id)
    return Proposal(
        row.id, department.name if department else "", line.code, row.amount, row.reason, row.state
    )


# ---------------------------------------------------------------- a department's act


@dataclass(frozen=True)
class _DepartmentAct:
    """Where a bonus, penalty or veto (or its undo) starts: the book, its confirmed
    scheme, the department named."""

    book: ScoreBook
    scheme: ScoringScheme
    department: DepartmentInfo

    async def log(
        self,
        writer: ScoringWriter,
        actor: Actor,
        action: str,
        *,
        before: str = "",
        after: str = "",
        reason: str = "",
    ) -> None:
        """The act's audit row, on the department; then flush."""
        _audit(
            writer,
            self.book.campaign.id,
            actor,
            action,
            subject=self.department.name,
            before=before,
            after=after,
            reason=reason,
            department_id=self.department.id,
        )
        await writer.flush()


async def _department_act(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, department: str
) -> _DepartmentAct:
    """The book for a change (refused once final, `changeable_book`, or unless its scheme
    is confirmed), then the department typed."""
    book = await confirmed_book(reader, writer, actor)
    return _DepartmentAct(book, _scheme(book), find_department(book, department))


def _reason_given(reason: str) -> str:
    """The cleaned reason; refused when nothing is left of it."""
    reason = clean_reason(reason)
    if not reason:
        raise ScoringRefused("reason_needed")
    return reason


# ---------------------------------------------------------------- bonus, penalty


@dataclass(frozen=True)
class Adjusted:
    department: str
    kind: str
    amount: Decimal
    total: Decimal  # the department's active total of this kind, after
    cap: Decimal


def _cap(scheme: ScoringScheme, kind: str) -> Decimal:
    return scheme.bonus_cap if kind == ADJUST_BONUS else scheme.penalty_cap


async def add_adjustment(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    kind: str,
    department: str,
    amount: Decimal,
    reason: str,
) -> Adjusted:
    """/bonus DEPT POINTS reason, /penalty DEPT POINTS reason; refused past the cap."""
    act = await _department_act(reader, writer, actor, department)
    dept = act.department
    reason = _reason_given(reason)
    if amount <= ZERO:
        raise ScoringRefused("not_positive")
    cap = _cap(act.scheme, kind)
    already = sum(
        (a.amount for a in act.book.adjustments if a.department_id == dept.id and a.kind == kind),
        ZERO,
    )
    if already + amount > cap:
        raise ScoringRefused("past_cap", cap=show(cap), already=show(already), kind=kind)
    writer.add(
        ScoreAdjustment(
            campaign_id=act.book.campaign.id,
            department_id=dept.id,
            kind=kind,
            amount=amount,
            reason=reason,
            created_by=actor.tg_id,
            created_at=actor.now,
        )
    )
    await act.log(
        writer, actor, kind, before=show(already), after=show(already + amount), reason=reason
    )
    return Adjusted(dept.name, kind, amount, already + amount, cap)


async def undo_adjustment(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    kind: str,
    department: str,
    reason: str,
) -> Adjusted:
    """/bonus DEPT undo REASON: withdraws the department's latest bonus (or penalty)."""
    act = await _department_act(reader, writer, actor, department)
    dept = act.department
    reason = _reason_given(reason)
    mine = [a for a in act.book.adjustments if a.department_id == dept.id and a.kind == kind]
    if not mine:
        raise ScoringRefused("nothing_to_undo", department=dept.name, kind=kind)
    latest = mine[-1]
    row = await reader.adjustment(latest.id)
    assert row is not None
    row.withdrawn_by, row.withdrawn_at = actor.tg_id, actor.now
    before = sum((a.amount for a in mine), ZERO)
    after = before - latest.amount
    await act.log(
        writer, actor, f"{kind}_undo", before=show(before), after=show(after), reason=reason
    )
    return Adjusted(dept.name, kind, latest.amount, after, _cap(act.scheme, kind))


# ---------------------------------------------------------------- vetoes


@dataclass(frozen=True)
class Vetoed:
    department: str
    code: str
    name: str
    effect: str


async def apply_veto(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    department: str,
    condition: str,
    grounds: str,
    confirmed_by: str,
) -> Vetoed:
    """/veto DEPT CONDITION grounds confirmed-by (认定部门)."""
    act = await _department_act(reader, writer, actor, department)
    book, dept = act.book, act.department
    cond = next((c for c in book.conditions if c.code == condition.strip().upper()), None)
    if cond is None:
        raise ScoringRefused(
            "no_condition", code=condition[:20], known=[c.code for c in book.conditions]
        )
    grounds, body = clean_reason(grounds), clean_reason(confirmed_by)[:200]
    if not grounds or not body:
        raise ScoringRefused("reason_needed")
    if any(v.department_id == dept.id and v.condition_code == cond.code for v in book.vetoes):
        raise ScoringRefused("already_vetoed", department=dept.name, code=cond.code)
    writer.add(
        VetoRecord(
            campaign_id=book.campaign.id,
            department_id=dept.id,
            condition_id=cond.id,
            grounds=grounds,
            confirmed_by_body=body,
            created_by=actor.tg_id,
            created_at=actor.now,
        )
    )
    await act.log(
        writer, actor, "veto", after=f"{cond.code} {cond.effect}", reason=f"{grounds} ({body})"
    )
    return Vetoed(dept.name, cond.code, cond.name, cond.effect)


async def undo_veto(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    department: str,
    condition: str,
    reason: str,
) -> Vetoed:
    """/veto DEPT undo CONDITION REASON."""
    act = await _department_act(reader, writer, actor, department)
    dept = act.department
    code = condition.strip().upper()
    reason = _reason_given(reason)
    found = next(
        (v for v in act.book.vetoes if v.department_id == dept.id and v.condition_code == code),
        None,
    )
    if found is None:
        raise ScoringRefused("nothing_to_undo", department=dept.name, kind="veto")
    row = await reader.veto(found.id)
    assert row is not None
    row.withdrawn_by, row.withdrawn_at = actor.tg_id, actor.now
    await act.log(
        writer,
        actor,
        "veto_undo",
        before=f"{found.condition_code} {found.effect}",
        reason=reason,
    )
    return Vetoed(dept.name, found.condition_code, found.condition_name, found.effect)
