"""The scoring engine against a naive reference, and its rules on worked examples.

Hypothesis draws schemes (grade lists of 3 to 5 tiers, caps, supporting settings) and
score histories (points, deductions, bonuses, penalties, vetoes, unscored items); the
reference below recomputes every department's result from those events alone, with
Fractions and plain loops, not with `core.scoring.engine`.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.scoring.amounts import BadAmount, parse_amount, show
from core.scoring.engine import (
    DEFAULT_GRADES,
    BindingInput,
    DepartmentInput,
    Grade,
    SchemeRules,
    compute_results,
)
from core.scoring.points import BLOCK_COMMON, BLOCK_OWN, PointSlot, default_points, split_block

# ---------------------------------------------------------------- worked examples


def test_default_blocks_split_in_half_points_with_the_remainder_last() -> None:
    assert split_block(Decimal(30), 8) == [Decimal("3.5")] * 7 + [Decimal("5.5")]
    assert split_block(Decimal(70), 5) == [Decimal(14)] * 5
    assert split_block(Decimal(70), 3) == [Decimal(23), Decimal(23), Decimal(24)]
    assert split_block(Decimal(70), 1) == [Decimal(70)]
    assert split_block(Decimal(30), 0) == []


@given(st.integers(1, 40), st.integers(0, 200))
def test_every_block_adds_up_exactly(count: int, half_points: int) -> None:
    share = Decimal(half_points) / 2
    parts = split_block(share, count)
    assert sum(parts) == share and len(parts) == count
    assert all(p % Decimal("0.5") == 0 for p in parts)
    assert all(p == parts[0] for p in parts[:-1]) and parts[-1] >= parts[0]


def test_default_points_give_every_department_100() -> None:
    slots = [PointSlot(i, 1, BLOCK_COMMON, (0, i, 0)) for i in range(8)]
    slots += [PointSlot(10 + i, 1, BLOCK_OWN, (1, 5, i)) for i in range(4)]
    slots += [PointSlot(20 + i, 2, BLOCK_COMMON, (0, i, 0)) for i in range(8)]
    slots += [PointSlot(30, 2, BLOCK_OWN, (2, 1, 0))]
    points = default_points(slots, common=Decimal(30), own=Decimal(70), from_document=False)
    for department in (1, 2):
        mine = [points[s.binding_id] for s in slots if s.department_id == department]
        assert sum(mine) == 100
    assert points[30] == 70 and points[13] == Decimal("17.5")


def test_amounts_are_parsed_strictly_and_shown_alike() -> None:
    assert parse_amount("８．５") == Decimal("8.5")
    assert parse_amount("10") == Decimal(10)
    for bad in ("", "-1", "1e3", "NaN", "1.234", "abc", ".", "1.2.3", "∞"):
        try:
            parse_amount(bad)
        except BadAmount:
            continue
        raise AssertionError(bad)
    assert show(Decimal("8.50")) == "8.5" and show(Decimal("100.00")) == "100"
    assert show(Decimal("0.00")) == "0"


def test_vetoes_ranks_and_provisional() -> None:
    rules = SchemeRules()
    departments = [
        DepartmentInput(1, "甲", "A", bonuses=(Decimal(6), Decimal(6))),
        DepartmentInput(2, "乙", "A", vetoes=("no_top",)),
        DepartmentInput(3, "丙", "A", vetoes=("down_one",)),
        DepartmentInput(4, "丁", "A", vetoes=("fail",)),
        DepartmentInput(5, "戊", "B"),
    ]
    bindings = [
        BindingInput(1, 1, 1, "A1.1", points=Decimal(100), scored=True, deductions=(Decimal(15),)),
        BindingInput(2, 2, 2, "A2.1", points=Decimal(100), scored=True),
        BindingInput(3, 3, 3, "A3.1", points=Decimal(100), scored=True, deductions=(Decimal(5),)),
        BindingInput(4, 4, 4, "A4.1", points=Decimal(100), scored=True, deductions=(Decimal(3),)),
        BindingInput(5, 5, 5, "B1", points=Decimal(70), scored=False),
        BindingInput(6, 5, 6, "G1", points=Decimal(30), scored=True, deductions=(Decimal(40),)),
    ]
    by_id = {r.department_id: r for r in compute_results(rules, departments, bindings)}
    assert by_id[1].score == 95 and by_id[1].bonus == 10  # 85 + capped 10
    assert (by_id[1].grade, by_id[1].rank) == ("优秀", 3)
    assert (by_id[2].grade, by_id[2].rank) == ("良好", 1)  # 100, no 优秀
    assert (by_id[3].grade, by_id[3].rank) == ("良好", 3)  # 95 down one; ties with 甲
    assert (by_id[4].grade, by_id[4].rank) == ("不合格", 2)  # 97 but vetoed: fail
    assert by_id[5].remaining == 1 and by_id[5].provisional and by_id[5].rank_provisional
    assert by_id[5].total == 0  # 30 - 40 floored at 0; B1 unscored counts as neither
    assert not by_id[1].rank_provisional


def test_ties_share_a_rank() -> None:
    departments = [DepartmentInput(i, str(i), "A") for i in range(1, 5)]
    scores = [90, 95, 90, 80]
    bindings = [
        BindingInput(
            i, i, i, "A1.1", points=Decimal(100), scored=True, deductions=(Decimal(100 - s),)
        )
        for i, s in zip(range(1, 5), scores, strict=True)
    ]
    ranks = [r.rank for r in compute_results(SchemeRules(), departments, bindings)]
    assert ranks == [2, 1, 2, 4]


# ---------------------------------------------------------------- naive reference

GRADE_LISTS = [
    DEFAULT_GRADES,
    (
        Grade("优秀", Decimal(90)),
        Grade("良好", Decimal(80)),
        Grade("一般", Decimal(70)),
        Grade("合格", Decimal(60)),
        Grade("不合格", Decimal(0)),
    ),
    (Grade("好", Decimal("85.5")), Grade("中", Decimal(60)), Grade("差", Decimal(0))),
]
halves = st.integers(0, 60).map(lambda n: Decimal(n) / 2)


@st.composite
def histories(draw: st.DrawFn) -> tuple[SchemeRules, list[DepartmentInput], list[BindingInput]]:
    rules = SchemeRules(
        grades=draw(st.sampled_from(GRADE_LISTS)),
        bonus_cap=draw(halves),
        penalty_cap=draw(halves),
        supporting_counts=draw(st.booleans()),
        supporting_share=draw(st.sampled_from([Decimal("0.5"), Decimal(0), Decimal(1)])),
        grade_on=draw(st.sampled_from(["converted", "raw"])),
    )
    departments = [
        DepartmentInput(
            d,
            f"D{d}",
            draw(st.sampled_from("AB")),
            bonuses=tuple(draw(st.lists(halves, max_size=3))),
            penalties=tuple(draw(st.lists(halves, max_size=3))),
            vetoes=tuple(
                draw(st.lists(st.sampled_from(["fail", "no_top", "down_one"]), max_size=2))
            ),
        )
        for d in range(1, draw(st.integers(1, 6)) + 1)
    ]
    bindings: list[BindingInput] = []
    items = draw(st.integers(1, 5))
    for d in departments:
        for item in range(1, items + 1):
            if not draw(st.booleans()):
                continue
            bindings.append(
                BindingInput(
                    binding_id=len(bindings) + 1,
                    department_id=d.department_id,
                    item_id=item,
                    code=f"A1.{item}",
                    role=draw(st.sampled_from(["lead", "lead", "supporting"])),
                    points=draw(st.none() | halves.map(lambda p: p + 1)),
                    scored=draw(st.booleans()),
                    deductions=tuple(draw(st.lists(halves, max_size=3))),
                )
            )
    return rules, departments, bindings


def half_up(value: Fraction) -> Fraction:
    """To 0.01, halves up (amounts are never negative here)."""
    return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)


def naive(
    rules: SchemeRules, departments: list[DepartmentInput], bindings: list[BindingInput]
) -> dict[int, tuple[Fraction, str, int, int, bool]]:
    """department -> (score, grade, rank, remaining, rank provisional), the slow way."""
    F = Fraction
    lead_cut: dict[int, Fraction] = {}
    lead_scored: set[int] = set()
    for b in bindings:
        if b.role == "lead" and b.scored:
            lead_scored.add(b.item_id)
            if b.points is not None:
                got = max(F(0), F(b.points) - sum(F(x) for x in b.deductions))
                lead_cut[b.item_id] = max(lead_cut.get(b.item_id, F(0)), F(b.points) - got)
    out: dict[int, list[object]] = {}
    for d in departments:
        points = total = support = F(0)
        remaining = 0
        for b in bindings:
            if b.department_id != d.department_id:
                continue
            if b.role == "lead" or rules.supporting_counts:
                if b.points is not None:
                    points += F(b.points)
                if b.points is not None and b.scored:
                    total += max(F(0), F(b.points) - sum(F(x) for x in b.deductions))
                else:
                    remaining += 1
            elif b.item_id in lead_scored:
                cut = lead_cut.get(b.item_id, F(0)) * F(rules.supporting_share)
                support += half_up(cut)
            else:
                remaining += 1
        base = total
        if points not in (0, 100) and rules.grade_on == "converted":
            base = half_up(total * 100 / points)
        bonus = min(sum((F(x) for x in d.bonuses), F(0)), F(rules.bonus_cap))
        penalty = min(sum((F(x) for x in d.penalties), F(0)), F(rules.penalty_cap))
        score = max(F(0), base + bonus - penalty - support)
        names = [g.name for g in rules.grades]
        grade = len(names) - 1
        for i, g in enumerate(rules.grades[:-1]):
            if score >= F(g.lower):
                grade = i
                break
        for effect in d.vetoes:
            if effect == "fail":
                grade = len(names) - 1
            elif effect == "no_top" and grade == 0:
                grade = 1
            elif effect == "down_one":
                grade = min(grade + 1, len(names) - 1)
        out[d.department_id] = [score, names[grade], 0, remaining, False]
    for cls in "AB":
        members = [d for d in departments if d.dept_class == cls]
        pending = any(out[d.department_id][3] for d in members)  # type: ignore[arg-type]
        for d in members:
            mine = out[d.department_id][0]
            better = [o for o in members if out[o.department_id][0] > mine]  # type: ignore[operator]
            out[d.department_id][2] = len(better) + 1
            out[d.department_id][4] = pending
    return {k: tuple(v) for k, v in out.items()}  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(histories())
def test_engine_agrees_with_the_naive_reference(
    case: tuple[SchemeRules, list[DepartmentInput], list[BindingInput]],
) -> None:
    rules, departments, bindings = case
    expected = naive(rules, departments, bindings)
    for result in compute_results(rules, departments, bindings):
        score, grade, place, remaining, rank_provisional = expected[result.department_id]
        assert Fraction(result.score) == score, (result, expected[result.department_id])
        assert (result.grade, result.rank, result.remaining) == (grade, place, remaining)
        assert result.rank_provisional == rank_provisional
        assert result.provisional == (remaining > 0)
