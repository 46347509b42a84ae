"""What the dashboard's read models need from storage, as one narrow reader Protocol
(issue 19, point 5).

`core.dashboard.queries` makes every figure the Mini App shows from a `DashboardReader`
it is given: the database one (`core.dashboard.sql.SqlDashboard`, over the request's
session, which the web server opens) or a recording fake in unit tests. The reader
returns plain values (and the screens' own views: `ItemView`, `OverdueSlice`); the rules
(colours, scope, paging, the trend's pace line) are the read models'. It only reads.

`campaign` arguments are the campaign's row as the web server read it: the status
model's day (`core.status.day.read_day`) and the overview (`core.oversight.overview`)
take it as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.dashboard.queries import BindingRef, EvidenceFile
from core.oversight.overview import OverdueSlice, Overview
from core.reporting.reports import HistoryEntry, ItemView
from core.status.day import Day, Reading
from core.supervision.extensions import ExtensionEntry
from storage.models import Campaign


@dataclass(frozen=True)
class ColourGroup:
    """Bindings alike in everything `assess` reads, counted: the colour tally assesses
    each group once instead of each binding."""

    department_id: int | None  # None when the campaign is tallied as a whole
    status: str
    review_state: str
    deadline: dt.date | None
    reported_on: dt.date | None  # the local date of the last report
    bound_on: dt.date  # the local date of the binding
    item_id: int
    extended_due: dt.date | None
    rectification_due: dt.date | None
    progress: Decimal | None
    count: int


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    name: str
    dept_class: str
    number: int | None = None


@dataclass(frozen=True)
class TrendSource:
    """An item's first target and the values reported on it, oldest first per department."""

    metric: str
    unit: str
    target: Decimal
    deadline: dt.date | None
    milestones: tuple[dt.date, ...]  # the item's dated steps, oldest first
    pace_target: Decimal | None
    points: tuple[tuple[int, str, dt.datetime, Decimal], ...]  # department id, name, at, value


class DashboardReader(Protocol):
    """Every read the dashboard's screens make."""

    @property
    def database(self) -> str:
        """What names the database (its URL): a cache of figures is kept per database."""

    async def active_campaign(self) -> Campaign | None:
        """The campaign the dashboard shows (None before any is imported)."""

    async def day(self, campaign: Campaign, reading: Reading) -> Day:
        """The status model's day of `campaign` at `reading` (core.status.day)."""

    async def campaign_overview(self, campaign: Campaign, day: Day) -> Overview:
        """Per-department counts, worst first, as /status (core.oversight.overview)."""

    async def colour_groups(
        self,
        campaign: Campaign,
        reading: Reading,
        department_ids: Sequence[int] | None = None,
    ) -> list[ColourGroup]:
        """The campaign's bindings (of `department_ids` only, each department apart,
        when given) grouped by what `assess` reads."""

    async def reports_by_day(
        self,
        campaign: Campaign,
        reading: Reading,
        scope: int | None,
        *,
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> list[tuple[dt.date, int]]:
        """Reports of the campaign (of department `scope` only, when given) made in
        [since, before), counted per local day."""

    async def department(self, department_id: int) -> DepartmentInfo | None: ...

    async def department_items(self, department_id: int) -> list[ItemView]:
        """A department's items in /items' order (`reports.liaison_order`)."""

    async def item_bindings(self, code: str) -> list[ItemView]:
        """One item of the active campaign across the departments bound to it."""

    async def departments(self, department_ids: set[int]) -> dict[int, DepartmentInfo]: ...

    async def extension_history(
        self, binding_ids: Sequence[int]
    ) -> dict[int, list[ExtensionEntry]]: ...

    async def overdue_slice(
        self,
        campaign: Campaign,
        day: Day,
        *,
        offset: int,
        limit: int,
        department_id: int | None,
    ) -> OverdueSlice:
        """One page of /overdue's list (core.oversight.overview.overdue_slice)."""

    async def binding_ref(self, binding_id: int) -> BindingRef | None: ...

    async def history(
        self, binding_id: int, *, offset: int, limit: int
    ) -> tuple[list[HistoryEntry], int]:
        """A binding's reports, newest first, one page, and how many there are."""

    async def evidence_of(
        self, report_ids: Sequence[int], department_id: int
    ) -> list[EvidenceFile]:
        """The evidence files of these reports (of one department's binding), by id."""

    async def evidence_file(self, evidence_id: int) -> EvidenceFile | None:
        """One evidence file with the department it belongs to."""

    async def trend_source(
        self, campaign: Campaign, code: str, department_ids: Sequence[int] | None
    ) -> TrendSource | None:
        """The item's first target and its reported values (of `department_ids` only,
        when given); None without such an item or without a target."""
