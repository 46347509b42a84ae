"""A recording fake of the year end's reader/writer Protocols (core/yearend/interfaces.py)
and of scoring's (core/scoring/ports.py), for the year end's use-case tests: rows live in
dicts, everything staged is kept in order (`staged`), and the score book is rebuilt from
the deduction rows at every read, as the database would, so an appeal's change through
the scoring acts sees its own withdrawals. No database, no session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from core.people.roster import Recipient
from core.scoring.engine import DEFAULT_GRADES
from core.scoring.ports import (
    CampaignInfo,
    DeductionInfo,
    DepartmentInfo,
    ScoreBook,
    ScoreLine,
    YearRecord,
)
from core.scoring.results import grades_json
from core.status.model import Rules
from core.yearend.values import (
    FeedbackProgress,
    Given,
    OpenAppeal,
    ReminderLiaison,
    SelfItem,
    SelfScoreRow,
    SiteCheckLine,
)
from storage.models import (
    APPEAL_OPEN,
    DEDUCTION_CONFIRMED,
    GRADE_ON_CONVERTED,
    Appeal,
    Deduction,
    ItemScore,
    ResultFeedback,
    ScoreAdjustment,
    ScoreAudit,
    ScoringScheme,
    SelfAssessment,
    SelfScore,
    SiteCheck,
    VetoRecord,
    YearEnd,
)

CAMPAIGN = 1
OFFICE = 900_001
CONFIRMED_AT = dt.datetime(2021, 1, 2, 2, 0, tzinfo=dt.UTC)


def confirmed_scheme() -> ScoringScheme:
    """The default scheme (30/70 blocks, four grades), confirmed."""
    return ScoringScheme(
        id=1,
        campaign_id=CAMPAIGN,
        source="blocks",
        common_share=Decimal(30),
        own_share=Decimal(70),
        grades=grades_json(DEFAULT_GRADES),
        grade_on=GRADE_ON_CONVERTED,
        bonus_cap=Decimal(10),
        penalty_cap=Decimal(10),
        supporting_counts=False,
        supporting_share=Decimal("0.5"),
        rules=[],
        created_at=CONFIRMED_AT,
        confirmed_at=CONFIRMED_AT,
        confirmed_by=OFFICE,
    )


def line(binding_id: int, department_id: int, code: str, points: str) -> ScoreLine:
    return ScoreLine(
        binding_id=binding_id,
        department_id=department_id,
        item_id=binding_id,
        code=code,
        kind="general" if code.startswith("G") else "department",
        title=f"事项{code}",
        role="lead",
        document_points=Decimal(points),
        points=Decimal(points),
        scored=True,
    )


def given(row: ResultFeedback) -> Given:
    return Given(row.department_id, row.delivered_at, row.recheck_deadline)


@dataclass
class RecordingYearEnd:
    """Every year-end Protocol and scoring's ports, recording what is staged."""

    departments_: list[DepartmentInfo] = field(default_factory=list)
    lines: list[ScoreLine] = field(default_factory=list)
    liaisons: dict[int, list[Recipient]] = field(default_factory=dict)
    row: YearEnd | None = None
    scheme_row: ScoringScheme | None = field(default_factory=confirmed_scheme)
    items: dict[int, list[SelfItem]] = field(default_factory=dict)  # department ->
    assessments: dict[int, SelfAssessment] = field(default_factory=dict)  # department ->
    scores: dict[int, SelfScore] = field(default_factory=dict)  # binding ->
    checks: dict[int, SiteCheck] = field(default_factory=dict)
    deduction_rows: dict[int, Deduction] = field(default_factory=dict)
    feedback_rows: dict[int, ResultFeedback] = field(default_factory=dict)  # department ->
    appeals: dict[int, Appeal] = field(default_factory=dict)
    item_scores: dict[int, ItemScore] = field(default_factory=dict)
    away: set[int] = field(default_factory=set)
    reminder_liaisons: list[ReminderLiaison] = field(default_factory=list)
    staged: list[Any] = field(default_factory=list)
    flushes: int = 0
    next_id: int = 500

    # ------------------------------------------------------------ what a test checks

    @property
    def audits(self) -> list[ScoreAudit]:
        return [r for r in self.staged if isinstance(r, ScoreAudit)]

    @property
    def actions(self) -> list[str]:
        return [a.action for a in self.audits]

    def staged_of(self, kind: type) -> list[Any]:
        return [r for r in self.staged if isinstance(r, kind)]

    # ------------------------------------------------------------ writers

    def stage(self, row: Any) -> None:
        if any(row is seen for seen in self.staged):
            return  # the session's add: a second time changes nothing
        self.staged.append(row)
        if isinstance(row, YearEnd):
            self.row = row
        elif isinstance(row, SelfAssessment):
            self.assessments[row.department_id] = row
        elif isinstance(row, SelfScore):
            self.scores[row.binding_id] = row
        elif isinstance(row, ResultFeedback):
            self.feedback_rows[row.department_id] = row
        elif isinstance(row, ItemScore):
            self.item_scores[row.binding_id] = row

    def add(self, row: Any) -> None:
        self.stage(row)

    async def flush(self) -> None:
        self.flushes += 1
        for row in self.staged:
            if hasattr(row, "id") and not isinstance(row, SelfScore) and row.id is None:
                self.next_id += 1
                row.id = self.next_id
                if isinstance(row, SiteCheck):
                    self.checks[row.id] = row
                elif isinstance(row, Appeal):
                    self.appeals[row.id] = row
                elif isinstance(row, Deduction):
                    self.deduction_rows[row.id] = row

    async def set_points(
        self, campaign_id: int, points: dict[int, Decimal], *, by: int | None, at: dt.datetime
    ) -> None:
        self.staged.append(("points", dict(points)))

    # ------------------------------------------------------------ scoring's reader

    async def campaign(self, campaign_id: int | None) -> CampaignInfo | None:
        return CampaignInfo(CAMPAIGN, 2020, "2020年生态环境目标考核要点")

    async def final(self, campaign_id: int) -> bool:
        return self.row is not None and self.row.finalized_at is not None

    async def scheme(self, campaign_id: int) -> ScoringScheme | None:
        return self.scheme_row

    async def book(self, campaign_id: int) -> ScoreBook:
        def info(d: Deduction) -> DeductionInfo:
            return DeductionInfo(
                d.id, d.amount, d.reason, d.source, d.state, d.created_by, d.created_at
            )

        lines = tuple(
            replace(
                x,
                deductions=tuple(
                    info(d) for d in self.deduction_rows.values() if d.binding_id == x.binding_id
                ),
            )
            for x in self.lines
        )
        return ScoreBook(
            campaign=CampaignInfo(CAMPAIGN, 2020, "2020年生态环境目标考核要点"),
            scheme=self.scheme_row,
            conditions=(),
            departments=tuple(self.departments_),
            lines=lines,
        )

    async def item_score(self, binding_id: int) -> ItemScore | None:
        return self.item_scores.get(binding_id)

    async def deduction(self, deduction_id: int) -> Deduction | None:
        return self.deduction_rows.get(deduction_id)

    async def adjustment(self, adjustment_id: int) -> ScoreAdjustment | None:
        return None

    async def veto(self, veto_id: int) -> VetoRecord | None:
        return None

    async def audit(self, campaign_id: int, *, limit: int = 50) -> Sequence[ScoreAudit]:
        return self.audits[-limit:]

    async def year_records(
        self, campaign_id: int, today: dt.date, rules: Rules
    ) -> dict[int, YearRecord]:
        return {}

    # ------------------------------------------------------------ the year end's readers

    async def year_end_row(self, campaign_id: int) -> YearEnd | None:
        return self.row

    async def department_name(self, campaign_id: int, department_id: int) -> str | None:
        return next((d.name for d in self.departments_ if d.id == department_id), None)

    async def departments(self, campaign_id: int) -> list[tuple[int, str]]:
        return [(d.id, d.name) for d in self.departments_]

    async def liaisons_by_department(self, campaign_id: int) -> dict[int, list[Recipient]]:
        return {k: list(v) for k, v in self.liaisons.items()}

    async def liaisons_of(self, department_id: int) -> list[Recipient]:
        return list(self.liaisons.get(department_id, []))

    async def on_leave(self, tg_ids: list[int], day: dt.date) -> set[int]:
        return {t for t in tg_ids if t in self.away}

    async def self_items(self, department_id: int) -> list[SelfItem]:
        """The base items with what was proposed so far, as the query's join gives them."""
        found = []
        for item in self.items.get(department_id, []):
            proposed = self.scores.get(item.binding_id)
            if proposed is not None:
                item = replace(item, score=proposed.score, statement=proposed.statement or "")
            found.append(item)
        return found

    async def self_assessment(self, campaign_id: int, department_id: int) -> SelfAssessment | None:
        return self.assessments.get(department_id)

    async def self_score(self, binding_id: int) -> SelfScore | None:
        return self.scores.get(binding_id)

    async def self_scores(self, campaign_id: int) -> dict[int, tuple[Decimal, str]]:
        return {b: (s.score, s.statement) for b, s in self.scores.items()}

    async def not_submitted(self, campaign_id: int) -> list[tuple[int, str]]:
        return [
            (d.id, d.name)
            for d in self.departments_
            if getattr(self.assessments.get(d.id), "state", None) != "submitted"
        ]

    async def department_count(self, campaign_id: int) -> int:
        return len(self.departments_)

    async def submitted_count(self, campaign_id: int) -> int:
        return sum(1 for a in self.assessments.values() if a.state == "submitted")

    async def unsubmitted_liaisons(self, campaign_id: int) -> list[ReminderLiaison]:
        return list(self.reminder_liaisons)

    async def site_checks(self, campaign_id: int, department_id: int | None) -> list[SiteCheckLine]:
        return []

    async def site_check(self, check_id: int) -> SiteCheck | None:
        return self.checks.get(check_id)

    async def site_check_days(self, campaign_id: int) -> list[tuple[int, dt.date]]:
        return [(c.id, c.checked_on) for c in self.checks.values()]

    async def confirmed_deductions(self, department_id: int) -> list[tuple[Deduction, str, str]]:
        name = await self.department_name(CAMPAIGN, department_id) or ""
        codes = {x.binding_id: x.code for x in self.lines if x.department_id == department_id}
        return [
            (d, codes[d.binding_id], name)
            for d in sorted(self.deduction_rows.values(), key=lambda d: -d.id)
            if d.binding_id in codes and d.state == DEDUCTION_CONFIRMED
        ]

    async def deductions(self, deduction_ids: list[int]) -> list[Deduction]:
        return [self.deduction_rows[i] for i in deduction_ids if i in self.deduction_rows]

    async def feedbacks(self, campaign_id: int) -> list[Given]:
        return [given(r) for r in self.feedback_rows.values()]

    async def feedback_of(self, campaign_id: int, department_id: int) -> Given | None:
        row = self.feedback_rows.get(department_id)
        return given(row) if row is not None else None

    async def fed_back(self, campaign_id: int) -> set[int]:
        return set(self.feedback_rows)

    async def feedback_progress(self, campaign_id: int) -> FeedbackProgress:
        deadlines = [f.recheck_deadline for f in self.feedback_rows.values()]
        return FeedbackProgress(
            len(self.departments_), len(self.feedback_rows), max(deadlines, default=None)
        )

    async def appeal(self, appeal_id: int) -> Appeal | None:
        return self.appeals.get(appeal_id)

    async def open_appeals(self, campaign_id: int) -> list[OpenAppeal]:
        return [
            OpenAppeal(a.id, a.department_id, a.subject, a.reason)
            for a in self.appeals.values()
            if a.state == APPEAL_OPEN
        ]

    async def self_score_rows(self, campaign_id: int) -> list[SelfScoreRow]:
        return []

    async def appeal_rows(self, campaign_id: int) -> list[tuple[Appeal, str]]:
        return []
