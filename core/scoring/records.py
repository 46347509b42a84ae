"""The results as plain records: one dict per department, in rank order (class A, then
B). The command line's JSON, the dashboard's API and the export's 考核结果 sheet all
write these, so they agree field by field. Amounts are strings (`amounts.show`), never
floats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.scoring.amounts import show
from core.scoring.engine import in_rank_order, item_score
from core.scoring.ports import ScoreBook
from core.scoring.results import confirmed, results_of
from core.scoring.views import STATE_LABELS, deduction_reason
from core.text.i18n import translator
from storage.models import DEDUCTION_CONFIRMED, DEDUCTION_PROPOSED


def result_records(book: ScoreBook) -> list[dict[str, Any]]:
    vetoes: dict[int, list[dict[str, str]]] = {}
    for v in book.vetoes:
        vetoes.setdefault(v.department_id, []).append(
            {"code": v.condition_code, "name": v.condition_name, "effect": v.effect}
        )
    return [
        {
            "department": r.name,
            "class": r.dept_class,
            "score": show(r.score),
            "grade": r.grade,
            "rank": r.rank,
            "veto": vetoes.get(r.department_id, []),
            "provisional": r.provisional,
            "rank_provisional": r.rank_provisional,
            "remaining": r.remaining,
            "points": show(r.points),
            "total": show(r.total),
            "converted": None if r.converted is None else show(r.converted),
            "bonus": show(r.bonus),
            "penalty": show(r.penalty),
            "supporting_deduction": show(r.supporting_deduction),
        }
        for r in in_rank_order(results_of(book))
    ]


# ---------------------------------------------------------------- export sheets

SHEET_RESULTS, SHEET_DETAILS = "考核结果", "评分明细"
RESULT_COLUMNS = (
    ("单位", 28),
    ("类别", 6),
    ("得分", 9),
    ("折算分", 9),
    ("事项得分", 9),
    ("计分分值", 9),
    ("加分", 7),
    ("减分", 7),
    ("配合扣分", 9),
    ("一票否决", 24),
    ("等次", 8),
    ("名次", 6),
    ("是否暂定", 18),
)
DETAIL_COLUMNS = (
    ("单位", 28),
    ("编号", 8),
    ("考核要点", 40),
    ("分值", 7),
    ("得分", 7),
    ("扣分及理由", 60),
    ("评分人", 14),
    ("评分时间", 17),
)
EFFECT_WORDS = {"fail": "定为不合格", "no_top": "不得评为最高等次", "down_one": "降一个等次"}


@dataclass(frozen=True)
class ScoringSheets:
    """The rows of the export's 考核结果 and 评分明细 sheets (plain values, Chinese)."""

    results: tuple[tuple[object, ...], ...]
    details: tuple[tuple[object, ...], ...]


def scoring_sheets(book: ScoreBook) -> ScoringSheets:
    zh = translator("zh")
    vetoes: dict[int, list[str]] = {}
    for v in book.vetoes:
        effect = EFFECT_WORDS.get(v.effect, v.effect)
        vetoes.setdefault(v.department_id, []).append(
            f"{v.condition_code} {v.condition_name}（{effect}）"
        )
    # Amounts as Decimal cells: numbers in Excel, written exactly as `show` writes them.
    results = tuple(
        (
            r.name,
            r.dept_class,
            r.score,
            "—" if r.converted is None else r.converted,
            r.total,
            r.points,
            r.bonus,
            r.penalty,
            r.supporting_deduction,
            "；".join(vetoes.get(r.department_id, [])) or "—",
            r.grade,
            r.rank,
            f"暂定（尚有 {r.remaining} 项未评分）"
            if r.provisional
            else ("名次暂定" if r.rank_provisional else "否"),
        )
        for r in in_rank_order(results_of(book))
    )
    names = {d.id: d.name for d in book.departments}
    details: list[tuple[object, ...]] = []
    for line in book.lines:
        score = None
        if line.scored and line.points is not None:
            score = item_score(line.points, confirmed(line))
        cuts = "；".join(
            f"−{show(d.amount)} {deduction_reason(d.reason, zh)}"
            + ("" if d.state == DEDUCTION_CONFIRMED else f"（{zh(STATE_LABELS[d.state])}）")
            for d in line.deductions
            if d.state in (DEDUCTION_CONFIRMED, DEDUCTION_PROPOSED)
        )
        details.append(
            (
                names.get(line.department_id, ""),
                line.code,
                line.title,
                "—" if line.points is None else line.points,
                "未评分" if score is None else score,
                cuts or "—",
                (book.names.get(line.scored_by) or str(line.scored_by)) if line.scored_by else "—",
                line.scored_at,
            )
        )
    return ScoringSheets(results, tuple(details))
