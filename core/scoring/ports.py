"""The narrow reader and writer the scoring use cases are given (explicitly, by the
caller that owns the unit of work): plain values out, staged changes in, no commit.

`core.scoring.sql` implements both on one SQLAlchemy session; tests may pass fakes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from core.status.model import Rules
from storage.models import (
    Deduction,
    ItemScore,
    ScoreAdjustment,
    ScoreAudit,
    ScoringScheme,
    VetoCondition,
    VetoRecord,
)


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    year: int | None
    title: str


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    name: str
    dept_class: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeductionInfo:
    id: int
    amount: Decimal
    reason: str
    source: str
    state: str
    created_by: int | None
    created_at: dt.datetime
    decided_by: int | None = None
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class ScoreLine:
    """One binding with all scoring needs of it, as one query reads it."""

    binding_id: int
    department_id: int
    item_id: int
    code: str
    kind: str  # general / department / b_class
    title: str
    role: str  # lead / supporting
    document_points: Decimal | None  # the table's 分值
    points: Decimal | None  # in the scheme; None until given
    scored: bool
    score_reason: str = ""
    scored_by: int | None = None
    scored_at: dt.datetime | None = None
    deductions: tuple[DeductionInfo, ...] = ()


@dataclass(frozen=True)
class TargetValue:
    metric: str
    op: str
    target: Decimal
    unit: str
    value: Decimal | None  # the latest report's value, None if never given


@dataclass(frozen=True)
class YearRecord:
    """A binding's year, as the scorer sees it beside the entry (平时考核)."""

    binding_id: int
    effective: str  # core.status.model effective status
    due: dt.date | None
    past_due: bool
    accepted_at: dt.datetime | None  # the latest acceptance of a done report
    returns: int  # reports returned by the office
    urges: int  # urges (催办) of the department this year
    reports: int
    evidence: int
    values: tuple[TargetValue, ...] = ()


@dataclass(frozen=True)
class AdjustmentInfo:
    id: int
    department_id: int
    kind: str
    amount: Decimal
    reason: str
    created_by: int | None
    created_at: dt.datetime


@dataclass(frozen=True)
class VetoInfo:
    id: int
    department_id: int
    condition_code: str
    condition_name: str
    effect: str
    grounds: str
    confirmed_by_body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ScoreBook:
    """Everything a campaign's results are computed from: a handful of queries."""

    campaign: CampaignInfo
    scheme: ScoringScheme | None
    conditions: tuple[VetoCondition, ...]
    departments: tuple[DepartmentInfo, ...]
    lines: tuple[ScoreLine, ...]
    adjustments: tuple[AdjustmentInfo, ...] = ()
    vetoes: tuple[VetoInfo, ...] = ()
    # Telegram id -> display name of the staff who scored (for 评分明细), one query.
    names: dict[int, str] = field(default_factory=dict)

    def department(self, department_id: int) -> DepartmentInfo | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def lines_of(self, department_id: int) -> list[ScoreLine]:
        return [line for line in self.lines if line.department_id == department_id]


class ScoringReader(Protocol):
    async def campaign(self, campaign_id: int | None) -> CampaignInfo | None:
        """The given campaign, or the active one when None."""

    async def book(self, campaign_id: int) -> ScoreBook: ...

    async def final(self, campaign_id: int) -> bool:
        """Whether the campaign's results are final (/finalize): no score changes then."""

    async def scheme(self, campaign_id: int) -> ScoringScheme | None: ...

    async def item_score(self, binding_id: int) -> ItemScore | None: ...

    async def deduction(self, deduction_id: int) -> Deduction | None: ...

    async def adjustment(self, adjustment_id: int) -> ScoreAdjustment | None: ...

    async def veto(self, veto_id: int) -> VetoRecord | None: ...

    async def audit(self, campaign_id: int, *, limit: int = 50) -> Sequence[ScoreAudit]: ...

    async def year_records(
        self, campaign_id: int, today: dt.date, rules: Rules
    ) -> dict[int, YearRecord]:
        """binding id -> its year's record, every binding of the campaign."""


class ScoringWriter(Protocol):
    def add(
        self,
        row: ScoringScheme
        | VetoCondition
        | ItemScore
        | Deduction
        | ScoreAdjustment
        | VetoRecord
        | ScoreAudit,
    ) -> None: ...

    async def set_points(
        self, campaign_id: int, points: dict[int, Decimal], *, by: int | None, at: dt.datetime
    ) -> None:
        """Binding id -> points, inserted or replaced."""

    async def flush(self) -> None: ...
