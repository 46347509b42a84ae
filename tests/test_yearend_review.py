"""The self-assessment line on an office scoring card (core.yearend.review), per state."""

from __future__ import annotations

from decimal import Decimal

from core.yearend.review import SHOWN_STATEMENT, SelfReview, self_entry_text
from storage.models import SELF_DRAFT, SELF_RETURNED, SELF_SUBMITTED


def plain(text: str) -> str:
    return text


def test_nothing_before_the_department_begins() -> None:
    assert self_entry_text(SelfReview(None), 1, Decimal(10), plain) is None


def test_a_draft_is_only_said_to_be_unsubmitted() -> None:
    line = self_entry_text(SelfReview(SELF_DRAFT), 1, Decimal(10), plain)
    assert line == "Self-assessment: not submitted yet"


def test_submitted_item_with_its_score_and_statement() -> None:
    review = SelfReview(
        SELF_SUBMITTED, {1: (Decimal("9.5"), "台账已补充"), 2: (Decimal(3), "别项")}
    )
    line = self_entry_text(review, 1, Decimal(10), plain)
    assert line == "Self-score 9.5 of 10 (submitted): 台账已补充"


def test_submitted_without_a_self_score_for_the_item() -> None:
    review = SelfReview(SELF_SUBMITTED, {2: (Decimal(3), "别项")})
    line = self_entry_text(review, 1, Decimal(10), plain)
    assert line == "Self-assessment (submitted): no self-score for this item"


def test_returned_and_statement_from_the_accepted_report() -> None:
    review = SelfReview(SELF_RETURNED, {1: (Decimal(10), "  ")})
    line = self_entry_text(review, 1, Decimal(10), plain)
    assert line == "Self-score 10 of 10 (returned); statement as in the accepted report"


def test_a_long_statement_is_shortened() -> None:
    review = SelfReview(SELF_SUBMITTED, {1: (Decimal(1), "长" * 5000)})
    line = self_entry_text(review, 1, Decimal(10), plain) or ""
    assert line.endswith("…") and len(line) < SHOWN_STATEMENT + 60
