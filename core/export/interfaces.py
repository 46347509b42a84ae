"""What the export's use cases need from storage, as narrow Protocols (issue 19, point 5).

Two readers/writers, as bomzheg/Shvatka's `core/interfaces/dal`:

- `ExportReader`: a campaign as the workbook shows it. The small parts (campaign,
  departments with their counts, row counts, scoring and year-end sheets) are read at
  once; the large ones (bindings, reports, evidence) are *streams* of batches, so a
  million reports are never held in memory. `core.export.gather.export_source` is the
  use case that makes an `ExportSource` of it; `core.export.sql.SqlExport` reads it from
  the database, a recording fake in unit tests.
- `ExportRunStore`: the bookkeeping of an /export run in the background (its row, the
  heartbeat, the interrupted runs a start finds, the one-time download link of a
  workbook too large to upload). The rules are `core.export.runs`' use cases; the store
  only reads and stages (`core.export.sql.SqlExportRuns`). Nothing here commits: the
  unit of work that made the store does, once.

Readers return plain values, never ORM rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from core.export.gather import (
    BindingRow,
    CampaignInfo,
    DepartmentRow,
    EvidenceRow,
    ExportCounts,
    ReportRow,
)
from core.scoring.records import ScoringSheets
from core.yearend.records import YearEndSheets


class ExportReader(Protocol):
    """One campaign as the workbook shows it; the streams share one connection, so one
    stream at a time."""

    async def campaign(
        self, campaign_id: int | None = None, *, year: int | None = None
    ) -> CampaignInfo | None:
        """`campaign_id`; else the latest campaign of `year`; else the active one. None
        when there is no such campaign."""

    async def departments(self, campaign: CampaignInfo) -> tuple[DepartmentRow, ...]:
        """The campaign's departments in the overview's order, each with its items
        counted by effective status (core.status.counts) and its latest report."""

    async def counts(self, campaign_id: int) -> ExportCounts:
        """How many bindings, reports and evidence files the streams will yield."""

    def bindings(self, campaign: CampaignInfo, batch_rows: int) -> AsyncIterator[list[BindingRow]]:
        """Every binding, department by department (overview order), codes in document
        order within one; batches of about `batch_rows` (a department is never split)."""

    def reports(self, campaign: CampaignInfo, batch_rows: int) -> AsyncIterator[list[ReportRow]]:
        """Every report, oldest first, at most `batch_rows` per batch."""

    def evidence(self, campaign: CampaignInfo, batch_rows: int) -> AsyncIterator[list[EvidenceRow]]:
        """Every evidence file, by its report's time, at most `batch_rows` per batch."""

    async def scoring(self, campaign_id: int) -> ScoringSheets | None:
        """The 考核结果 and 评分明细 sheets (issue 20); None before a scoring scheme."""

    async def yearend(self, campaign_id: int) -> YearEndSheets | None:
        """The 自评 and 复核记录 sheets (issue 21)."""


@dataclass(frozen=True)
class RunInfo:
    """An export run as its bookkeeping and its admin's messages need it."""

    id: int
    admin_tg_id: int
    chat_id: int
    message_id: int | None
    campaign_id: int | None
    locale: str
    state: str
    started_at: dt.datetime


@dataclass(frozen=True)
class KeptFile:
    """A run's workbook kept behind a download link, as the link's check reads it."""

    run_id: int
    admin_tg_id: int
    file_path: str | None
    file_name: str
    size: int
    token_expires_at: dt.datetime | None
    token_used_at: dt.datetime | None


class ExportRunStore(Protocol):
    """An export run's row: written by the run, read by the next start and the link."""

    async def add_run(
        self,
        *,
        admin_tg_id: int,
        chat_id: int,
        message_id: int | None,
        campaign_id: int,
        locale: str,
        now: dt.datetime,
    ) -> int:
        """Stage a running run (heartbeat now) and flush; its id."""

    async def set_message(self, run_id: int, message_id: int) -> None: ...

    async def run(self, run_id: int) -> RunInfo | None: ...

    async def has_running(self, admin_tg_id: int, *, beat_after: dt.datetime) -> bool:
        """Whether this admin has a running run whose heartbeat is after `beat_after`."""

    async def beat(self, run_id: int, *, rows_done: int, rows_total: int, at: dt.datetime) -> None:
        """The heartbeat and progress of a run still running."""

    async def set_heartbeat(self, run_id: int, at: dt.datetime) -> None:
        """Date a running run's heartbeat (back, at shutdown)."""

    async def finish(
        self,
        run_id: int,
        *,
        state: str,
        now: dt.datetime,
        error: str | None,
        size: int,
        file_name: str,
    ) -> None: ...

    async def stale_runs(self, *, beat_before: dt.datetime) -> list[RunInfo]:
        """Running runs whose heartbeat is before `beat_before`."""

    async def mark_interrupted(self, run_id: int, now: dt.datetime) -> bool:
        """Mark the run interrupted only if it is still running; whether it was (one
        caller wins when several processes start at once)."""

    async def keep_file(
        self,
        run_id: int,
        *,
        path: str,
        file_name: str,
        size: int,
        token_sha256: str,
        expires_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """The run is done and its workbook kept at `path` for one download."""

    async def kept_file(self, run_id: int) -> KeptFile | None:
        """The run's kept workbook; None if the run was never offered a link."""

    async def role_of(self, tg_id: int) -> str | None:
        """The user's role as stored (None for a user not known)."""

    async def spend(self, run_id: int, now: dt.datetime) -> bool:
        """Mark the link used if it was not; whether this call did."""

    async def forget_files(self, run_ids: list[int]) -> None:
        """The runs' kept workbooks are deleted: clear their paths."""

    async def files_to_delete(self, now: dt.datetime) -> list[tuple[int, str]]:
        """(run id, path) of kept workbooks whose link expired by `now` or was used."""

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        """Stage an audit-log row."""
