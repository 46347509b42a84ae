"""From a campaign's `ScoreBook` to the engine's inputs and its results: the one path
every screen, file, API and the command line take (`results_of`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core.scoring.amounts import ZERO
from core.scoring.engine import (
    DEFAULT_GRADES,
    BindingInput,
    DepartmentInput,
    DepartmentResult,
    Grade,
    SchemeRules,
    compute_results,
)
from core.scoring.points import BLOCK_COMMON, BLOCK_OWN, BLOCK_SUPPORTING, PointSlot
from core.scoring.ports import ScoreBook, ScoreLine
from core.text.matching import code_key
from storage.models import (
    ADJUST_BONUS,
    ADJUST_PENALTY,
    BINDING_SUPPORTING,
    DEDUCTION_CONFIRMED,
    ScoringScheme,
)


def grades_of(stored: Sequence[Sequence[str]]) -> tuple[Grade, ...]:
    """The scheme's JSON grade list -> Grades, best first; the defaults when empty."""
    grades = tuple(Grade(str(name), Decimal(str(lower))) for name, lower in stored)
    return grades if len(grades) >= 2 else DEFAULT_GRADES


def grades_json(grades: Sequence[Grade]) -> list[list[str]]:
    return [[g.name, str(g.lower)] for g in grades]


def rules_of(scheme: ScoringScheme | None) -> SchemeRules:
    if scheme is None:
        return SchemeRules()
    return SchemeRules(
        grades=grades_of(scheme.grades or []),
        bonus_cap=scheme.bonus_cap,
        penalty_cap=scheme.penalty_cap,
        supporting_counts=scheme.supporting_counts,
        supporting_share=scheme.supporting_share,
        grade_on=scheme.grade_on,
    )


def confirmed(line: ScoreLine) -> tuple[Decimal, ...]:
    return tuple(d.amount for d in line.deductions if d.state == DEDUCTION_CONFIRMED)


def results_of(book: ScoreBook) -> list[DepartmentResult]:
    """Every department's result, in the book's department order, ranks filled in."""
    effects = {c.code: c.effect for c in book.conditions}
    departments = [
        DepartmentInput(
            department_id=d.id,
            name=d.name,
            dept_class=d.dept_class,
            bonuses=tuple(
                a.amount
                for a in book.adjustments
                if a.department_id == d.id and a.kind == ADJUST_BONUS
            ),
            penalties=tuple(
                a.amount
                for a in book.adjustments
                if a.department_id == d.id and a.kind == ADJUST_PENALTY
            ),
            vetoes=tuple(
                effects.get(v.condition_code, v.effect)
                for v in book.vetoes
                if v.department_id == d.id
            ),
        )
        for d in book.departments
    ]
    bindings = [
        BindingInput(
            binding_id=line.binding_id,
            department_id=line.department_id,
            item_id=line.item_id,
            code=line.code,
            role=line.role,
            points=line.points,
            scored=line.scored,
            deductions=confirmed(line),
        )
        for line in book.lines
    ]
    return compute_results(rules_of(book.scheme), departments, bindings)


def point_slots(lines: Sequence[ScoreLine]) -> list[PointSlot]:
    """The book's bindings as the default split sees them."""
    return [
        PointSlot(
            binding_id=line.binding_id,
            department_id=line.department_id,
            block=(
                BLOCK_SUPPORTING
                if line.role == BINDING_SUPPORTING
                else BLOCK_COMMON
                if line.kind == "general"
                else BLOCK_OWN
            ),
            order=code_key(line.code),
            document_points=line.document_points,
        )
        for line in lines
    ]


def has_document_points(lines: Sequence[ScoreLine]) -> bool:
    """A table document gave 分值: its points are the scheme's."""
    return any(line.document_points is not None and line.document_points > ZERO for line in lines)
