"""The year-end export: what the workbook shows, and the use case that reads it.

`export_source` (given an `ExportReader`, core/export/interfaces.py) reads the small
parts of a campaign (its departments with their counts, how many bindings, reports and
evidence files there are, the scoring sheets) and returns an `ExportSource` whose
bindings, reports and evidence are *streamed*: the database reader
(`core.export.sql.SqlExport`) reads each with one query in batches (a server-side cursor
on PostgreSQL, stepped fetches on SQLite), so at a million reports nothing is held
beyond one batch. `core.export.run` feeds those batches to the synchronous writer
(`core.export.sheets`) in a worker thread; `read_whole` reads everything into memory
instead (small campaigns, tests).

Status semantics are the status model's (`core.status.model`), shared with /status,
/overdue and the digest: an item counts as done only once its done-report is accepted in
review; done but not yet accepted is "pending review"; a returned done-report means the
work goes on. Each binding row carries the model's `Facts`, from which the workbook's
three-colour column is assessed on the export's day.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from core.scoring.records import ScoringSheets
from core.status.model import Facts
from core.yearend.records import YearEndSheets

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.export.interfaces import ExportReader


class NoCampaign(Exception):
    """There is no campaign to export (none at all, or no such id)."""


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    year: int | None
    title: str
    active: bool
    starts_on: dt.date | None = None  # the campaign's clock (None: 1 January)


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    name: str
    dept_class: str
    items: int
    done: int
    pending_review: int
    in_progress: int
    not_started: int
    blocked: int
    last_reported_at: dt.datetime | None
    # For the status model's department silence (never reported: counted from this).
    first_bound_at: dt.datetime | None = None

    @property
    def rate(self) -> float:
        return self.done / self.items if self.items else 0.0


@dataclass(frozen=True)
class BindingRow:
    department: str
    kind: str
    code: str
    text: str
    deadline: dt.date | None
    targets: str
    status: str  # effective (core.status.model)
    values: str  # the latest report's values, "metric 92%; ..."
    met: bool | None  # every target met / one missed / nothing to judge
    last_reported_at: dt.datetime | None
    evidence_count: int
    review_state: str
    facts: Facts  # for the three-colour warning (core.status.model.assess)
    score: Decimal | None = None  # 分值 of a table document's item (issue 14)
    extensions: str = ""  # every extension asked, decided, by whom (issue 22)


@dataclass(frozen=True)
class ReportRow:
    id: int
    created_at: dt.datetime
    department: str
    department_id: int
    code: str
    status: str  # as reported
    values: str
    text: str
    evidence_count: int
    review_state: str
    review_comment: str
    reporter: str


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    report_id: int
    created_at: dt.datetime
    department: str
    code: str
    file_name: str
    kind: str
    mime_type: str
    size: int
    sha256: str
    stored_path: str
    reused_from_report_id: int | None


@dataclass(frozen=True)
class ExportCounts:
    bindings: int
    reports: int
    evidence: int


@dataclass(frozen=True)
class ExportData:
    """What the workbook shows. `bindings`, `reports` and `evidence` are iterated once,
    in order: tuples (tests, `gather_export`) or streams fed from the database."""

    campaign: CampaignInfo
    departments: tuple[DepartmentRow, ...]
    bindings: Iterable[BindingRow]
    reports: Iterable[ReportRow]
    evidence: Iterable[EvidenceRow]
    known_counts: ExportCounts | None = None  # None: the sequences' lengths
    scoring: ScoringSheets | None = None  # issue 20: results and scoring details
    yearend: YearEndSheets | None = None  # issue 21: self-scores and the appeal log

    @property
    def counts(self) -> ExportCounts:
        if self.known_counts is not None:
            return self.known_counts
        # Without known counts the rows are in-memory sequences (gather_export).
        return ExportCounts(
            len(cast(Sequence[BindingRow], self.bindings)),
            len(cast(Sequence[ReportRow], self.reports)),
            len(cast(Sequence[EvidenceRow], self.evidence)),
        )


T = TypeVar("T")
Batches = Callable[[], AsyncIterator[list[T]]]
BATCH_ROWS = 5000


@dataclass(frozen=True)
class ExportSource:
    """A campaign ready to be written: the small parts read, the large ones streamable.

    Each of `bindings`, `reports`, `evidence` starts its query when called and yields
    lists of at most `BATCH_ROWS` rows; they share the session, so one at a time."""

    campaign: CampaignInfo
    departments: tuple[DepartmentRow, ...]
    counts: ExportCounts
    bindings: Batches[BindingRow]
    reports: Batches[ReportRow]
    evidence: Batches[EvidenceRow]
    extra: dict[str, Any] = field(default_factory=dict)
    # The 考核结果 and 评分明细 sheets (issue 20), once the campaign has a scoring scheme.
    scoring: ScoringSheets | None = None
    # 自评 and 复核记录 (issue 21), once there are self-scores or appeals.
    yearend: YearEndSheets | None = None


async def campaign_to_export(
    reader: ExportReader, campaign_id: int | None = None, *, year: int | None = None
) -> CampaignInfo:
    """The campaign an export is of: `campaign_id`, else the latest of `year` (an older
    campaign stays exportable), else the active one. NoCampaign when there is none."""
    campaign = await reader.campaign(campaign_id, year=year)
    if campaign is None:
        raise NoCampaign(campaign_id if campaign_id is not None else year)
    return campaign


async def export_source(
    reader: ExportReader,
    campaign_id: int | None = None,
    *,
    year: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ExportSource:
    """The campaign (`campaign_to_export`) as an `ExportSource`: its small parts read
    now, and one streamed read per large sheet when that sheet is written."""
    campaign = await campaign_to_export(reader, campaign_id, year=year)
    departments = await reader.departments(campaign)
    counts = await reader.counts(campaign.id)
    # Scoring (issue 20): nothing more without a scheme; self-scores and appeals
    # (issue 21) exist only once there is one, so no read before.
    scoring = await reader.scoring(campaign.id)
    return ExportSource(
        campaign=campaign,
        departments=departments,
        counts=counts,
        bindings=functools.partial(reader.bindings, campaign, batch_rows),
        reports=functools.partial(reader.reports, campaign, batch_rows),
        evidence=functools.partial(reader.evidence, campaign, batch_rows),
        scoring=scoring,
        yearend=await reader.yearend(campaign.id) if scoring is not None else None,
    )


async def read_whole(source: ExportSource) -> ExportData:
    """Everything the workbook shows, read into memory (small campaigns, tests)."""

    async def read(batches: Batches[T]) -> tuple[T, ...]:
        return tuple([row async for batch in batches() for row in batch])

    return ExportData(
        campaign=source.campaign,
        departments=source.departments,
        bindings=await read(source.bindings),
        reports=await read(source.reports),
        evidence=await read(source.evidence),
        known_counts=source.counts,
        scoring=source.scoring,
        yearend=source.yearend,
    )


# ---------------------------------------------------------------- on a session
# Conveniences for callers that hold a bare session and no unit of work (bench/scale.py,
# the database tests): the same use cases on `core.export.sql.SqlExport(session)`.


async def open_export(
    session: AsyncSession, campaign_id: int | None = None, *, batch_rows: int = BATCH_ROWS
) -> ExportSource:
    """`export_source` on the database, read through `session`."""
    from core.export.sql import SqlExport

    return await export_source(SqlExport(session), campaign_id, batch_rows=batch_rows)


async def gather_export(session: AsyncSession, campaign_id: int | None = None) -> ExportData:
    """`read_whole` of `open_export`: the campaign read into memory."""
    return await read_whole(await open_export(session, campaign_id))
