"""The year end's small rules against naive references: a grade's tone, and who may see
a department's result."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.people.permissions import Role
from core.yearend.approval import may_see_result
from core.yearend.view import grade_tone

NAMES = st.lists(st.text(min_size=1, max_size=4), min_size=2, max_size=6, unique=True)


@given(NAMES, st.data())
def test_grade_tone_follows_the_place_in_the_list(grades: list[str], data: st.DataObject) -> None:
    grade = data.draw(st.sampled_from(grades))
    place = grades.index(grade)
    expected = (
        "top"
        if place == 0
        else "fail"
        if place == len(grades) - 1
        else "good"
        if place == 1
        else "pass"
    )
    assert grade_tone(grade, grades) == expected
    assert grade_tone("（不在列表中）", grades) == "pass"


def test_default_and_five_tier_lists() -> None:
    default = ["优秀", "良好", "合格", "不合格"]
    assert [grade_tone(g, default) for g in default] == ["top", "good", "pass", "fail"]
    xiamen = ["优秀", "良好", "合格", "一般", "不合格"]
    assert [grade_tone(g, xiamen) for g in xiamen] == ["top", "good", "pass", "pass", "fail"]


@given(
    st.sampled_from(list(Role)),
    st.one_of(st.none(), st.integers(1, 4)),
    st.integers(1, 4),
    st.booleans(),
    st.booleans(),
)
def test_who_sees_a_result_against_the_rule_as_written(
    role: Role, own: int | None, department: int, fed_back: bool, final: bool
) -> None:
    """PRODUCT.md: leaders and admins see all; until final a department sees only its own
    result and only after feedback; strangers see nothing."""
    if role in (Role.LEADER, Role.ADMIN):
        expected = True
    elif role is Role.LIAISON:
        expected = final or (own == department and fed_back)
    else:
        expected = False
    assert may_see_result(role, own, department, fed_back=fed_back, final=final) is expected
