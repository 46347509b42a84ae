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

from core.reporting.reports import ItemView, NewEvidence, Recorded


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
