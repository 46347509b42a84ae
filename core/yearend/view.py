"""The 考核 (assessment) screen's data: the ranking by class with grade tones, and one
department's items and deductions, for whoever may see them (`approval.may_see_result`).

A grade's tone is its place in the scheme's list: the best grade is "top", the grade
below every bound is "fail", the ones between "good" (the second) and "pass"; so a
five-tier list such as Xiamen's colours as sensibly as the default four. The dashboard
colours by tone; one rule, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.people.permissions import Role
from core.scoring.engine import in_rank_order
from core.scoring.results import grades_of
from core.yearend.approval import may_see_result
from core.yearend.feedback import Outcome, outcome_of, scored, site_check_labels
from core.yearend.interfaces import RankingReader

TONES = ("top", "good", "pass", "fail")


def grade_tone(grade: str, grades: list[str]) -> str:
    """`grades` best first; the tone of `grade` among them."""
    if grade not in grades or len(grades) < 2:
        return "pass"
    index = grades.index(grade)
    if index == 0:
        return "top"
    if index == len(grades) - 1:
        return "fail"
    return "good" if index == 1 else "pass"


@dataclass(frozen=True)
class RankedRow:
    department_id: int
    name: str
    dept_class: str
    rank: int
    score: Decimal
    grade: str
    tone: str
    provisional: bool
    vetoes: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    title: str
    final: bool
    grades: tuple[tuple[str, str], ...]  # (grade, tone), best first
    rows: tuple[RankedRow, ...]  # class A first, by rank


async def _final(reader: RankingReader, campaign_id: int) -> bool:
    row = await reader.year_end_row(campaign_id)
    return row is not None and row.finalized_at is not None


async def ranking(
    reader: RankingReader, campaign_id: int, role: Role, own_department_id: int | None
) -> Ranking:
    """The rows this person may see (a liaison before final: their own, after feedback)."""
    book, results = await scored(reader, campaign_id)
    final = await _final(reader, campaign_id)
    fed_back = await reader.fed_back(campaign_id)
    names = [g.name for g in grades_of((book.scheme.grades if book.scheme else None) or [])]
    condition_names = {c.code: c.name for c in book.conditions}
    vetoes: dict[int, list[str]] = {}
    for veto in book.vetoes:
        vetoes.setdefault(veto.department_id, []).append(
            condition_names.get(veto.condition_code, veto.condition_name)
        )
    rows = tuple(
        RankedRow(
            department_id=r.department_id,
            name=r.name,
            dept_class=r.dept_class,
            rank=r.rank,
            score=r.score,
            grade=r.grade,
            tone=grade_tone(r.grade, names),
            provisional=r.provisional or r.rank_provisional,
            vetoes=tuple(vetoes.get(r.department_id, ())),
        )
        for r in in_rank_order(results)
        if may_see_result(
            role,
            own_department_id,
            r.department_id,
            fed_back=r.department_id in fed_back,
            final=final,
        )
    )
    return Ranking(
        title=book.campaign.title,
        final=final,
        grades=tuple((name, grade_tone(name, names)) for name in names),
        rows=rows,
    )


async def department_outcome(
    reader: RankingReader,
    campaign_id: int,
    department_id: int,
    role: Role,
    own_department_id: int | None,
) -> tuple[Outcome, str] | None:
    """One department's items and deductions with its grade's tone; None if not to be seen."""
    book, results = await scored(reader, campaign_id)
    result = next((r for r in results if r.department_id == department_id), None)
    if result is None:
        return None
    final = await _final(reader, campaign_id)
    fed_back = department_id in await reader.fed_back(campaign_id)
    if not may_see_result(role, own_department_id, department_id, fed_back=fed_back, final=final):
        return None
    names = [g.name for g in grades_of((book.scheme.grades if book.scheme else None) or [])]
    outcome = outcome_of(book, result, await site_check_labels(reader, campaign_id))
    return outcome, grade_tone(result.grade, names)
