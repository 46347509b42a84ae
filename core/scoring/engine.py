"""The scoring engine: pure arithmetic from a scheme and the recorded scores to each
department's result (total, 折算分, bonus, penalty, vetoes, grade, rank, provisional).

No database, no Telegram: the use cases load `SchemeRules`, `BindingInput`s and
`DepartmentInput`s and call `compute_results`; every screen, file and the command line
show what it returns, so they agree to the last 0.01.

The rules, one place each:
- an item's score is its points minus its confirmed deductions, down to 0 (扣完为止);
- a binding without a score is *remaining*: it never counts as full or as zero — the
  total is the sum of what is scored, and the result says how many remain;
- a supporting binding (配合单位) counts toward its unit's 100 only when the scheme says
  so; otherwise the unit takes `supporting_share` of the lead unit's deduction on it;
- where a department's counted points are not 100 its total is also converted to 100
  (折算分 = total x 100 / points) and the scheme's `grade_on` says which one grades;
- bonus and penalty are summed and capped (加分、减分封顶); the final score is the grading
  total + bonus - penalty - supporting deductions, never below 0;
- grade by thresholds (best first, the last is "below every bound"); vetoes then act:
  fail -> the last grade, no_top -> not the best grade, down_one -> one grade lower;
- ranks within class A and within class B by final score, equal scores share a rank
  (1, 2, 2, 4); a result is provisional while any of its items remain, and a class's
  ranks are provisional while any department of the class is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from core.scoring.amounts import HUNDRED, ZERO, rounded

VETO_FAIL, VETO_NO_TOP, VETO_DOWN_ONE = "fail", "no_top", "down_one"
GRADE_ON_CONVERTED, GRADE_ON_RAW = "converted", "raw"
ROLE_LEAD, ROLE_SUPPORTING = "lead", "supporting"


@dataclass(frozen=True)
class Grade:
    name: str
    lower: Decimal  # a score at or above this gets the grade (the last one's is ignored)


DEFAULT_GRADES = (
    Grade("优秀", Decimal(90)),
    Grade("良好", Decimal(80)),
    Grade("合格", Decimal(60)),
    Grade("不合格", ZERO),
)


@dataclass(frozen=True)
class SchemeRules:
    grades: tuple[Grade, ...] = DEFAULT_GRADES
    bonus_cap: Decimal = Decimal(10)
    penalty_cap: Decimal = Decimal(10)
    supporting_counts: bool = False
    supporting_share: Decimal = Decimal("0.5")
    grade_on: str = GRADE_ON_CONVERTED


@dataclass(frozen=True)
class BindingInput:
    binding_id: int
    department_id: int
    item_id: int
    code: str
    role: str = ROLE_LEAD  # lead / supporting
    points: Decimal | None = None  # None: the scheme gives it no points yet
    scored: bool = False
    deductions: tuple[Decimal, ...] = ()  # confirmed ones only


@dataclass(frozen=True)
class DepartmentInput:
    department_id: int
    name: str
    dept_class: str  # "A" / "B"
    bonuses: tuple[Decimal, ...] = ()
    penalties: tuple[Decimal, ...] = ()
    vetoes: tuple[str, ...] = ()  # the effects of the vetoes applied, in order


@dataclass(frozen=True)
class ItemResult:
    binding_id: int
    code: str
    role: str
    points: Decimal | None
    counts: bool  # toward the department's total
    scored: bool
    deducted: Decimal  # confirmed deductions, as recorded (before the floor at 0)
    score: Decimal | None  # None while unscored


@dataclass(frozen=True)
class DepartmentResult:
    department_id: int
    name: str
    dept_class: str
    points: Decimal  # the counted points (100 by default)
    total: Decimal  # sum of the scored counted items
    converted: Decimal | None  # 折算分, where points are not 100
    supporting_deduction: Decimal
    bonus: Decimal  # capped
    penalty: Decimal  # capped
    score: Decimal  # the final score that grades and ranks
    grade: str
    vetoes: tuple[str, ...]
    remaining: int
    rank: int = 0
    rank_provisional: bool = False
    items: tuple[ItemResult, ...] = field(default=(), repr=False)

    @property
    def provisional(self) -> bool:
        return self.remaining > 0


def item_score(points: Decimal, deductions: Sequence[Decimal]) -> Decimal:
    """Points minus deductions, down to zero at most (扣完为止)."""
    return max(ZERO, points - sum(deductions, ZERO))


def capped(amounts: Sequence[Decimal], cap: Decimal) -> Decimal:
    return min(sum(amounts, ZERO), cap)


def grade_for(score: Decimal, grades: Sequence[Grade]) -> int:
    """The index of the grade `score` earns: the first whose bound it reaches, else the last."""
    for index, grade in enumerate(grades[:-1]):
        if score >= grade.lower:
            return index
    return len(grades) - 1


def apply_vetoes(index: int, effects: Sequence[str], count: int) -> int:
    """The grade index after the vetoes' effects (0 is the best, count - 1 the worst)."""
    worst = count - 1
    for effect in effects:
        if effect == VETO_FAIL:
            index = worst
        elif effect == VETO_NO_TOP:
            index = max(index, min(1, worst))
        elif effect == VETO_DOWN_ONE:
            index = min(index + 1, worst)
    return index


def rank(scores: Sequence[Decimal]) -> list[int]:
    """Competition ranking: equal scores share a rank, the next rank skips (1, 2, 2, 4)."""
    return [1 + sum(1 for other in scores if other > mine) for mine in scores]


def _lead_deductions(bindings: Sequence[BindingInput]) -> dict[int, Decimal]:
    """item id -> the largest deduction a scored lead unit took on it."""
    lead: dict[int, Decimal] = {}
    for b in bindings:
        if b.role != ROLE_SUPPORTING and b.scored and b.points is not None:
            taken = b.points - item_score(b.points, b.deductions)
            lead[b.item_id] = max(lead.get(b.item_id, ZERO), taken)
    return lead


def compute_results(
    rules: SchemeRules,
    departments: Sequence[DepartmentInput],
    bindings: Sequence[BindingInput],
) -> list[DepartmentResult]:
    """Every department's result, in the order given, ranks filled in."""
    lead_taken = _lead_deductions(bindings)
    scored_leads = {b.item_id for b in bindings if b.role != ROLE_SUPPORTING and b.scored}
    by_department: dict[int, list[BindingInput]] = {}
    for b in bindings:
        by_department.setdefault(b.department_id, []).append(b)

    results: list[DepartmentResult] = []
    for dept in departments:
        items: list[ItemResult] = []
        points = total = support = ZERO
        remaining = 0
        for b in by_department.get(dept.department_id, ()):
            counts = b.role != ROLE_SUPPORTING or rules.supporting_counts
            if counts:
                if b.points is None or not b.scored:
                    remaining += 1
                    score = None
                else:
                    score = item_score(b.points, b.deductions)
                    total += score
                points += b.points or ZERO
            else:
                # Not in this unit's 100: it takes a share of the lead's deduction,
                # known once a lead unit is scored on the item.
                score = None
                if b.item_id in scored_leads:
                    support += rounded(lead_taken.get(b.item_id, ZERO) * rules.supporting_share)
                else:
                    remaining += 1
            items.append(
                ItemResult(
                    binding_id=b.binding_id,
                    code=b.code,
                    role=b.role,
                    points=b.points,
                    counts=counts,
                    scored=b.scored,
                    deducted=sum(b.deductions, ZERO),
                    score=score,
                )
            )
        converted = rounded(total * HUNDRED / points) if points not in (ZERO, HUNDRED) else None
        grading = (
            converted if converted is not None and rules.grade_on == GRADE_ON_CONVERTED else total
        )
        bonus = capped(dept.bonuses, rules.bonus_cap)
        penalty = capped(dept.penalties, rules.penalty_cap)
        final = max(ZERO, grading + bonus - penalty - support)
        index = apply_vetoes(grade_for(final, rules.grades), dept.vetoes, len(rules.grades))
        results.append(
            DepartmentResult(
                department_id=dept.department_id,
                name=dept.name,
                dept_class=dept.dept_class,
                points=points,
                total=total,
                converted=converted,
                supporting_deduction=support,
                bonus=bonus,
                penalty=penalty,
                score=final,
                grade=rules.grades[index].name,
                vetoes=tuple(dept.vetoes),
                remaining=remaining,
                items=tuple(items),
            )
        )
    return _ranked(results)


def _ranked(results: list[DepartmentResult]) -> list[DepartmentResult]:
    ranked = list(results)
    for dept_class in sorted({r.dept_class for r in results}):
        members = [i for i, r in enumerate(results) if r.dept_class == dept_class]
        places = rank([results[i].score for i in members])
        provisional = any(results[i].provisional for i in members)
        for i, place in zip(members, places, strict=True):
            r = results[i]
            ranked[i] = replace(r, rank=place, rank_provisional=provisional)
    return ranked


def in_rank_order(results: Sequence[DepartmentResult]) -> list[DepartmentResult]:
    """Class A first, then B; within a class by rank, then name (the order of /results)."""
    return sorted(results, key=lambda r: (r.dept_class, r.rank, r.name))
