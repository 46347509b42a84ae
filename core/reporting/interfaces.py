"""What the reporting use cases need from storage, as narrow Protocols (issue 19, point 5).

The shape of bomzheg/Shvatka's `core/interfaces/dal`: a use case names the reader or
writer it needs and gets it explicitly, so it can be run against the database
(`core/reporting/sql.py`, over the update's unit of work) or against a recording fake
in a unit test. Use cases never commit: the unit of work that created the reader and
writer commits once, after the use case returned (handlers/base.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from core.people.roster import Recipient
from core.reporting.reports import ItemView, NewEvidence, Recorded
from core.reporting.review import PendingReport, ReportEvidence, UnderReview


class ItemReader(Protocol):
    """A department's items as the liaison sees them."""

    async def department_items(self, department_id: int) -> list[ItemView]: ...

    async def own_item(self, department_id: int, code: str) -> ItemView | None: ...

    async def code_exists(self, code: str) -> bool: ...


class ReportWriter(Protocol):
    """Writing one report (with its values and evidence) on a binding."""

    async def record_report(
        self,
        *,
        reporter_tg_id: int,
        department_id: int,
        binding_id: int,
        status: str,
        values: dict[int, Decimal],
        text: str,
        evidence: Sequence[NewEvidence],
        source: str,
        now: dt.datetime,
        source_message: tuple[int, int] | None = None,
    ) -> Recorded: ...


class QuickReportStore(ItemReader, ReportWriter, Protocol):
    """A quick report reads the liaison's item, then writes the report."""


class ReviewReader(Protocol):
    """What awaits review (/review, the return button) and a report's files."""

    async def pending_reports(
        self, *, limit: int, report_id: int | None = None
    ) -> tuple[list[PendingReport], int]:
        """Pending reports, oldest first (at most `limit`; with `report_id`, that one if
        it is pending), and how many are pending. A few queries whatever the count."""

    async def report_evidence(self, report_id: int) -> tuple[str | None, list[ReportEvidence]]:
        """The item code of a report (None if there is no such report) and its files."""

    async def under_review(self, report_id: int) -> UnderReview | None:
        """The report as a decision needs it (one query), None if there is none."""


class ReviewStore(ReviewReader, Protocol):
    """Deciding a report: claim it, write the review, move its binding, say who to tell."""

    async def claim(self, report_id: int, decision: str) -> bool:
        """Set the report's review state to `decision` only if it is still pending;
        whether it was (False: someone decided it first, nothing changed)."""

    async def add_review(
        self, *, report_id: int, reviewer_tg_id: int, decision: str, comment: str, now: dt.datetime
    ) -> None: ...

    async def set_binding_review(
        self,
        binding_id: int,
        state: str,
        *,
        end_rectification: bool = False,
        rectification_due: dt.date | None = None,
    ) -> None:
        """The binding's review state; ending its rectification, or opening one due then
        (its measures cleared)."""

    async def liaisons(self, department_id: int) -> list[Recipient]:
        """The department's liaisons, main liaisons first."""

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        """Stage an audit-log row."""

    async def flush(self) -> None: ...


class EvidenceQuotaReader(Protocol):
    """The per-liaison daily evidence cap's count (core.reporting.quota)."""

    async def evidence_sent_since(self, user_id: int, since: dt.datetime) -> int:
        """Evidence files in reports by user `user_id` made since `since`."""
