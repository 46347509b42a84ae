"""The department's self-assessment (自评) beside the office's scoring entry (/score DEPT).

The office sees an item's self-score and statement only once the department has
submitted its self-assessment (or it was submitted and then returned, marked so): a draft
is the department's own work in progress. Read once per screen, never once per item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.scoring.amounts import show
from core.text.formatting import shorten
from core.text.i18n import N_, Translate
from core.yearend.interfaces import SelfReviewReader
from storage.models import SELF_DRAFT, SELF_RETURNED, SELF_SUBMITTED

SHOWN_STATEMENT = 300  # characters of the statement on a scoring card (Telegram: 4096)
SHOWN_STATES = (SELF_SUBMITTED, SELF_RETURNED)
STATE_LABELS = {SELF_SUBMITTED: N_("submitted"), SELF_RETURNED: N_("returned")}


@dataclass(frozen=True)
class SelfReview:
    """A department's self-assessment as the office's scoring entry shows it."""

    state: str | None  # None: never begun; SELF_DRAFT / SELF_SUBMITTED / SELF_RETURNED
    scores: dict[int, tuple[Decimal, str]] = field(default_factory=dict)  # binding id ->

    @property
    def shown(self) -> bool:
        return self.state in SHOWN_STATES


async def self_review(reader: SelfReviewReader, campaign_id: int, department_id: int) -> SelfReview:
    """The department's state and, once submitted, its self-scores (two queries)."""
    assessment = await reader.self_assessment(campaign_id, department_id)
    state = assessment.state if assessment is not None else None
    if state not in SHOWN_STATES:
        return SelfReview(state)
    return SelfReview(state, await reader.self_scores(campaign_id))


def self_entry_text(
    review: SelfReview, binding_id: int, points: Decimal | None, _: Translate
) -> str | None:
    """The line under an item's year on /score DEPT, or None when there is nothing to say."""
    if review.state == SELF_DRAFT:
        return _("Self-assessment: not submitted yet")
    if not review.shown or review.state is None:
        return None
    state = _(STATE_LABELS[review.state])
    entry = review.scores.get(binding_id)
    if entry is None:
        return _("Self-assessment ({state}): no self-score for this item").format(state=state)
    score, statement = entry
    values = {
        "score": show(score),
        "points": show(points) if points is not None else "—",
        "state": state,
    }
    if statement.strip():
        return _("Self-score {score} of {points} ({state}): {statement}").format(
            statement=shorten(statement, SHOWN_STATEMENT), **values
        )
    return _(
        "Self-score {score} of {points} ({state}); statement as in the accepted report"
    ).format(**values)
