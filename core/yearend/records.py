"""The export's year-end sheets (issue 21): 自评 (each binding's self-score and statement,
with the department's submission state) and 复核记录 (the appeal log: what was asked,
why, and what the office decided). Rows are plain tuples; core/export/sheets.py writes
them. One query per sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.text.matching import code_key
from core.yearend.interfaces import SheetsReader
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


async def yearend_sheets(reader: SheetsReader, campaign_id: int) -> YearEndSheets | None:
    """The two sheets, or None while the campaign has neither self-scores nor appeals."""
    rows = await reader.self_score_rows(campaign_id)
    ordered = sorted(
        rows, key=lambda r: (r.dept_class, r.number or 0, r.department, code_key(r.code))
    )
    self_rows = [
        (
            r.department,
            r.code,
            r.title,
            r.points,
            r.score,
            r.statement,
            STATE_WORDS.get(r.state or "", "草稿"),
            r.submitted_at,
        )
        for r in ordered
    ]
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
        for a, name in await reader.appeal_rows(campaign_id)
    ]
    if not self_rows and not appeal_rows:
        return None
    return YearEndSheets(self_rows, appeal_rows)
