"""Review (accept, return) on a recording fake of `ReviewStore` (core/reporting/interfaces.py):
what the office and the department would check — the report's and its binding's state, the
rectification opened or ended, who is told — and that a refused decision writes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.people.roster import Recipient
from core.reporting import use_cases
from core.reporting.interfaces import ReviewStore
from core.reporting.review import (
    PendingReport,
    ReportEvidence,
    ReviewFailure,
    ReviewRefused,
    UnderReview,
)
from storage.models import REVIEW_ACCEPTED, REVIEW_NONE, REVIEW_PENDING, REVIEW_RETURNED

NOW = dt.datetime(2020, 6, 1, 2, 0, tzinfo=dt.UTC)
DUE = dt.date(2020, 6, 15)
OFFICE = 9001
LIAISONS = [Recipient(501, "zh", "农业联络员"), Recipient(502, "en", "Farm Deputy")]


def report(report_id: int, *, state: str = REVIEW_PENDING, latest: bool = True) -> UnderReview:
    return UnderReview(
        report_id=report_id,
        review_state=state,
        binding_id=70,
        is_latest=latest,
        department_id=5,
        department_name="区农业农村局",
        code="A5.1",
        title="秸秆综合利用",
    )


@dataclass
class Binding:
    review_state: str = REVIEW_PENDING
    rectification_due: dt.date | None = None
    measures: str = "旧措施"


@dataclass
class RecordingReviews:
    """Reports by id; the claim, reviews, binding changes and audit rows, as written."""

    reports: dict[int, UnderReview] = field(default_factory=dict)
    binding: Binding = field(default_factory=Binding)
    lose_the_race: bool = False  # someone else claims the report between read and claim
    claimed: dict[int, str] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    audit: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    binding_writes: int = 0
    flushed: int = 0

    async def pending_reports(
        self, *, limit: int, report_id: int | None = None
    ) -> tuple[list[PendingReport], int]:
        pending = [
            PendingReport(
                report_id=r.report_id,
                binding_id=r.binding_id,
                department_id=r.department_id,
                department_name=r.department_name,
                code=r.code,
                title=r.title,
                status="done",
                text="",
                created_at=NOW,
                reporter_name="",
                is_latest=r.is_latest,
                values=(),
                evidence_count=0,
                reused_count=0,
            )
            for r in self.reports.values()
            if r.review_state == REVIEW_PENDING and report_id in (None, r.report_id)
        ]
        return pending[:limit], len(pending)

    async def report_evidence(self, report_id: int) -> tuple[str | None, list[ReportEvidence]]:
        return None, []

    async def under_review(self, report_id: int) -> UnderReview | None:
        return self.reports.get(report_id)

    async def claim(self, report_id: int, decision: str) -> bool:
        if self.lose_the_race:
            return False
        self.claimed[report_id] = decision
        return True

    async def add_review(
        self, *, report_id: int, reviewer_tg_id: int, decision: str, comment: str, now: dt.datetime
    ) -> None:
        self.reviews.append(
            {"report": report_id, "by": reviewer_tg_id, "decision": decision, "comment": comment}
        )

    async def set_binding_review(
        self,
        binding_id: int,
        state: str,
        *,
        end_rectification: bool = False,
        rectification_due: dt.date | None = None,
    ) -> None:
        self.binding_writes += 1
        self.binding.review_state = state
        if end_rectification:
            self.binding.rectification_due = None
        elif rectification_due is not None:
            self.binding.rectification_due = rectification_due
            self.binding.measures = ""

    async def liaisons(self, department_id: int) -> list[Recipient]:
        return LIAISONS if department_id == 5 else []

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        self.audit.append((action, detail))

    async def flush(self) -> None:
        self.flushed += 1

    def wrote_nothing(self) -> bool:
        return not (self.claimed or self.reviews or self.audit or self.binding_writes)


async def decide(store: ReviewStore, report_id: int, decision: str, **extra: Any) -> Any:
    return await use_cases.decide(
        store,
        report_id=report_id,
        decision=decision,
        comment=extra.pop("comment", ""),
        reviewer_tg_id=OFFICE,
        now=NOW,
        **extra,
    )


async def test_accepting_the_latest_report_accepts_its_binding_and_ends_a_rectification() -> None:
    store = RecordingReviews(reports={11: report(11)}, binding=Binding(rectification_due=DUE))
    decided = await decide(store, 11, REVIEW_ACCEPTED)
    assert store.claimed == {11: REVIEW_ACCEPTED}
    assert store.binding.review_state == REVIEW_ACCEPTED
    assert store.binding.rectification_due is None  # accepted: the rectification is over
    assert store.reviews == [{"report": 11, "by": OFFICE, "decision": "accepted", "comment": ""}]
    assert store.audit == [
        ("review", {"report_id": 11, "decision": "accepted", "rectification_due": None})
    ]
    assert decided.binding_updated and decided.liaisons == tuple(LIAISONS)
    assert (decided.code, decided.department_name) == ("A5.1", "区农业农村局")
    assert store.flushed == 1


async def test_returning_with_a_reason_opens_a_rectification_and_tells_the_liaisons() -> None:
    store = RecordingReviews(reports={12: report(12)})
    decided = await decide(
        store, 12, REVIEW_RETURNED, comment="照片不清晰" * 500, rectification_due=DUE
    )
    assert store.binding.review_state == REVIEW_RETURNED
    assert (store.binding.rectification_due, store.binding.measures) == (DUE, "")
    [review] = store.reviews
    assert review["decision"] == "returned" and len(review["comment"]) == 2000
    assert decided.comment == review["comment"]  # the liaisons read what was stored
    assert decided.rectification_due == DUE
    assert store.audit[0][1]["rectification_due"] == "2020-06-15"
    assert [r.tg_id for r in decided.liaisons] == [501, 502]


async def test_returning_without_rectification_keeps_the_binding_free_of_one() -> None:
    store = RecordingReviews(reports={13: report(13)})
    decided = await decide(store, 13, REVIEW_RETURNED, comment="无需整改 数据有误")
    assert store.binding.review_state == REVIEW_RETURNED
    assert store.binding.rectification_due is None and store.binding.measures == "旧措施"
    assert decided.rectification_due is None


async def test_an_older_report_is_decided_but_leaves_the_binding_alone() -> None:
    store = RecordingReviews(reports={14: report(14, latest=False)})
    decided = await decide(store, 14, REVIEW_RETURNED, comment="旧报告", rectification_due=DUE)
    assert store.claimed == {14: REVIEW_RETURNED} and len(store.reviews) == 1
    assert store.binding == Binding()  # the newer report's state stands
    assert not decided.binding_updated and decided.rectification_due is None
    assert store.audit[0][1]["rectification_due"] is None


@pytest.mark.parametrize(
    ("reports", "failure"),
    [
        ({}, ReviewFailure.NOT_FOUND),
        ({15: report(15, state=REVIEW_ACCEPTED)}, ReviewFailure.ALREADY),
        ({15: report(15, state=REVIEW_NONE)}, ReviewFailure.NOT_PENDING),  # never marked done
    ],
)
async def test_a_refused_decision_writes_nothing(
    reports: dict[int, UnderReview], failure: ReviewFailure
) -> None:
    store = RecordingReviews(reports=reports)
    with pytest.raises(ReviewRefused) as refused:
        await decide(store, 15, REVIEW_ACCEPTED)
    assert refused.value.failure is failure
    assert store.wrote_nothing()


async def test_two_reviewers_at_once_only_one_wins() -> None:
    store = RecordingReviews(reports={16: report(16)}, lose_the_race=True)
    with pytest.raises(ReviewRefused) as refused:
        await decide(store, 16, REVIEW_RETURNED, comment="迟了一步")
    assert refused.value.failure is ReviewFailure.ALREADY
    assert store.wrote_nothing()


async def test_opening_a_return_names_the_report_or_says_why_not() -> None:
    store = RecordingReviews(
        reports={17: report(17), 18: report(18, state=REVIEW_RETURNED)},
    )
    found = await use_cases.open_return(store, 17)
    assert (found.report_id, found.code) == (17, "A5.1")
    with pytest.raises(ReviewRefused) as refused:
        await use_cases.open_return(store, 18)
    assert refused.value.failure is ReviewFailure.ALREADY
    with pytest.raises(ReviewRefused) as refused:
        await use_cases.open_return(store, 99)
    assert refused.value.failure is ReviewFailure.NOT_FOUND
    assert store.wrote_nothing()
