"""What the digest needs from storage, as narrow Protocols (issue 19, point 5).

The digest of a day is read *as of its window's end* (core/digest/data.py): each method
of `DigestReader` reads the campaign's bindings as they stood at `until`, in one query,
and returns plain values (the status model's `Facts`, never ORM rows).
`core.digest.sql.SqlDigest` is the database's; unit tests pass a recording fake. Nothing
here writes: claiming and marking a digest sent are `core.scheduling`'s.

The per-row values are named tuples: at a city's scale a digest reads tens of thousands
of rows (past-due items, values missing their targets), and a tuple costs no more to
make than the row it comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from core.status.counts import DepartmentTally
from core.status.day import Day
from core.status.interfaces import CampaignReader, CampaignRef, DayReader
from core.status.model import Facts


@dataclass(frozen=True)
class SentDigest:
    """A group's digest of one local date as kept (`DigestSent`)."""

    local_date: dt.date
    summary: dict[str, Any]
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class DepartmentName:
    id: int
    name: str


class PastDueRow(NamedTuple):
    """A binding the SQL form of "past due" selects as of the window's end."""

    binding_id: int
    department_id: int
    code: str
    red_reported_at: dt.datetime | None  # when a digest first named it red
    facts: Facts


class PacedRow(NamedTuple):
    """A binding of an item paced along the year (its facts carry the `Pace`)."""

    department_id: int
    code: str
    facts: Facts


class WindowReport(NamedTuple):
    """One report within the window, oldest first, with its binding's status before it."""

    binding_id: int
    status: str
    evidence: int
    department_id: int
    code: str
    title: str
    status_before: str | None  # the binding's latest report's status when the window opened


class LatestValue(NamedTuple):
    """A binding's latest value of one target as of the window's end."""

    department_id: int
    code: str
    value: Decimal
    metric: str
    op: str
    target: Decimal
    unit: str
    position: int


class WindowReader(Protocol):
    async def stored_digest(self, chat_id: int, local_date: dt.date) -> SentDigest | None:
        """The group's digest of `local_date` if one was claimed (its window is kept)."""

    async def previous_digest(self, chat_id: int, local_date: dt.date) -> SentDigest | None:
        """The group's last digest sent before `local_date`."""


class DigestReader(CampaignReader, DayReader, WindowReader, Protocol):
    """Everything a digest says, as of `until`: a fixed number of queries, none per row."""

    async def departments(self, campaign_id: int) -> list[DepartmentName]:
        """The campaign's departments in document order."""

    async def tally_as_of(self, campaign_id: int, until: dt.datetime) -> DepartmentTally:
        """Each department's bindings by effective status, latest report and first
        binding, as of `until` (`core.status.counts`)."""

    async def past_due_as_of(
        self, campaign: CampaignRef, day: Day, until: dt.datetime
    ) -> list[PastDueRow]:
        """Bindings past due and not done on `day`, as they stood at `until`."""

    async def paced_as_of(self, campaign: CampaignRef, until: dt.datetime) -> list[PacedRow]:
        """Bindings of paced items, as they stood at `until`."""

    async def window_reports(
        self, campaign_id: int, since: dt.datetime, until: dt.datetime
    ) -> list[WindowReport]:
        """Reports made after `since` up to `until`, oldest first."""

    async def latest_values(self, campaign_id: int, until: dt.datetime) -> list[LatestValue]:
        """Each binding's latest values against their targets, as of `until`."""

    async def pending_reviews(self, campaign_id: int, until: dt.datetime) -> int:
        """Reports made up to `until` still awaiting the office's review."""

    async def departments_on_leave(self, department_ids: Sequence[int], day: dt.date) -> set[int]:
        """Departments with main liaisons, all of whom are on leave on `day`."""


class OfficeGroupReader(Protocol):
    async def office_chat(self) -> str | None:
        """The office group's chat id as set by /setgroup, if it was."""

    async def office_set_at(self) -> str | None:
        """When it was set (ISO), if it was."""


class OfficeGroupStore(OfficeGroupReader, Protocol):
    """The office group's setting, and its digests' bookkeeping when the group moves."""

    async def set_office_chat(self, chat_id: int, now: dt.datetime) -> None:
        """Stage: this chat is the office group, set at `now`."""

    async def move_office_group(self, old_chat_id: int, new_chat_id: int) -> None:
        """Stage: the office group and its digests' rows now under `new_chat_id`."""

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        """Stage an audit-log row."""

    async def flush(self) -> None: ...
