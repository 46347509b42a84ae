"""The export's year-end sheets (issue 21): 自评 (each binding's self-score and statement,
with the department's submission state) and 复核记录 (the appeal log: what was asked,
why, and what the office decided). Rows are plain tuples; core/export/sheets.py writes
them. One query per sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text.matching import code_key
from storage.models import (
    APPEAL_BONUS,
    APPEAL_CHANGED,
    APPEAL_GRADE,
    APPEAL_ITEM,
    APPEAL_OPEN,
    APPEAL_PENALTY,
    APPEAL_UPHELD,
    APPEAL_VETO,
    SELF_RETURNED,
    SELF_SUBMITTED,
    Appeal,
    Binding,
    BindingPoints,
    Department,
    Item,
    SelfAssessment,
    SelfScore,
)

SHEET_SELF, SHEET_APPEALS = "自评", "复核记录"
SELF_COLUMNS = (
    ("单位", 28),
    ("编号", 8),
    ("考核要点", 40),
    ("分值", 7),
    ("自评分", 8),
    ("自评说明", 60),
    ("自评状态", 10),
    ("提交时间", 17),
)
APPEAL_COLUMNS = (
    ("编号", 6),
    ("单位", 28),
    ("复核事项", 12),
    ("申请理由", 50),
    ("申请时间", 17),
    ("结果", 10),
    ("新分数", 8),
    ("处理说明", 50),
    ("处理时间", 17),
)
STATE_WORDS = {SELF_SUBMITTED: "已提交", SELF_RETURNED: "已退回"}
TARGET_WORDS = {
    APPEAL_ITEM: "事项得分",
    APPEAL_BONUS: "加分",
    APPEAL_PENALTY: "减分",
    APPEAL_VETO: "一票否决",
    APPEAL_GRADE: "等次",
}
DECISION_WORDS = {APPEAL_OPEN: "待处理", APPEAL_UPHELD: "维持", APPEAL_CHANGED: "改变"}

Cell = str | Decimal | int | dt.datetime | None


@dataclass(frozen=True)
class YearEndSheets:
    self_scores: Sequence[tuple[Cell, ...]]
    appeals: Sequence[tuple[Cell, ...]]


async def yearend_sheets(session: AsyncSession, campaign_id: int) -> YearEndSheets | None:
    """The two sheets, or None while the campaign has neither self-scores nor appeals."""
    rows = (
        await session.execute(
            select(
                Department.name,
                Item.code,
                Item.title,
                BindingPoints.points,
                SelfScore.score,
                SelfScore.statement,
                SelfAssessment.state,
                SelfAssessment.submitted_at,
                Department.dept_class,
                Department.number,
            )
            .select_from(SelfScore)
            .join(Binding, Binding.id == SelfScore.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .outerjoin(BindingPoints, BindingPoints.binding_id == Binding.id)
            .outerjoin(
                SelfAssessment,
                (SelfAssessment.department_id == Department.id)
                & (SelfAssessment.campaign_id == campaign_id),
            )
            .where(SelfScore.campaign_id == campaign_id)
        )
    ).all()
    ordered = sorted(rows, key=lambda r: (r[8], r[9] or 0, r[0], code_key(r[1])))
    self_rows = [
        (name, code, title, points, score, statement, STATE_WORDS.get(state or "", "草稿"), at)
        for name, code, title, points, score, statement, state, at, _c, _n in ordered
    ]
    appeals = (
        await session.execute(
            select(Appeal, Department.name)
            .join(Department, Department.id == Appeal.department_id)
            .where(Appeal.campaign_id == campaign_id)
            .order_by(Appeal.id)
        )
    ).all()
    appeal_rows = [
        (
            a.id,
            name,
            f"{TARGET_WORDS.get(a.target, a.target)} {a.subject}".strip()
            if a.target == APPEAL_ITEM
            else TARGET_WORDS.get(a.target, a.target),
            a.reason,
            a.filed_at,
            DECISION_WORDS.get(a.state, a.state),
            a.new_score,
            a.decision,
            a.decided_at,
        )
        for a, name in appeals
    ]
    if not self_rows and not appeal_rows:
        return None
    return YearEndSheets(self_rows, appeal_rows)
