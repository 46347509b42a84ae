"""The reporting reader and writer (core/reporting/interfaces.py) over the database.

The writer stages into the session of the update's unit of work, which alone commits.
The reader reads in the unit's `reading()` session: on SQLite a short one of its own, so
a handler that reads, then downloads a photo from Telegram, then writes, holds no
transaction during the download (a unit's transaction holds the one write lock from its
first statement on); on PostgreSQL the unit's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.reporting import reports
from core.reporting.evidence import EvidenceStore
from core.reporting.reports import ItemView, NewEvidence, Recorded
from storage.unit import UnitOfWork


class SqlReporting:
    """`ItemReader` (the unit's `reading()` sessions) and `ReportWriter` (its `session`)."""

    def __init__(self, unit: UnitOfWork, store: EvidenceStore) -> None:
        self.unit = unit
        self.store = store

    @property
    def session(self) -> AsyncSession:
        return self.unit.session

    async def department_items(self, department_id: int) -> list[ItemView]:
        async with self.unit.reading() as reading:
            return await reports.department_items(reading, department_id)

    async def own_item(self, department_id: int, code: str) -> ItemView | None:
        async with self.unit.reading() as reading:
            return await reports.own_item(reading, department_id, code)

    async def code_exists(self, code: str) -> bool:
        async with self.unit.reading() as reading:
            return await reports.code_exists(reading, code)

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
    ) -> Recorded:
        return await reports.record_report(
            self.session,
            self.store,
            reporter_tg_id=reporter_tg_id,
            department_id=department_id,
            binding_id=binding_id,
            status=status,
            values=values,
            text=text,
            evidence=evidence,
            source=source,
            now=now,
            source_message=source_message,
        )
