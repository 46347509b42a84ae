"""What the oversight use cases need from storage, as narrow Protocols (issue 19, point 5).

Urging (催办, core.oversight.urge) reads a department's items, liaisons and last urge, and
writes one audit row; `core.oversight.urge_sql.SqlUrge` implements both over the update's
unit of work. /status and /overdue (core.oversight.overview) read through
`OverviewReader` and `OverdueReader`, the reminders (core.oversight.reminders) through
`ReminderReader`, /dept and /item (core.oversight.cards) through `CardReader`;
`core.oversight.overview_sql` and `core.oversight.reminders_sql` implement those. Readers
return plain values (the status model's `Facts`, never ORM rows; a row per binding is a
named tuple, no dearer to make than the row it comes from); unit tests pass recording
fakes. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from core.people.roster import Recipient
from core.reporting.reports import ItemView
from core.status.counts import DepartmentTally
from core.status.day import Day
from core.status.interfaces import CampaignReader, CampaignRef, DayReader
from core.status.model import Facts
from core.supervision.interfaces import ExtensionEntry


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    name: str


@dataclass(frozen=True)
class BindingState:
    """One of a department's items as stored: its reported status and review state."""

    code: str
    title: str
    status: str
    review_state: str | None


class UrgeReader(Protocol):
    async def department(self, department_id: int) -> DepartmentRef | None: ...

    async def bindings(self, department_id: int) -> list[BindingState]:
        """Every item the department answers for, one query."""

    async def liaisons(self, department_id: int) -> list[Recipient]:
        """The department's liaisons (deputies included), main liaisons first."""

    async def last_urged(self, department_id: int, since: dt.datetime) -> dt.datetime | None:
        """When the department was last urged at or after `since`, if it was."""

    async def office_chat(self) -> str | None:
        """The office group's chat id as set by /setgroup, if it was."""


class UrgeWriter(Protocol):
    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        """Stage an audit-log row."""

    async def flush(self) -> None: ...


class UrgeStore(UrgeReader, UrgeWriter, Protocol):
    """An urge reads who to tell and about what, then records itself."""


# ---------------------------------------------------------------- /status and /overdue


@dataclass(frozen=True)
class DepartmentInfo:
    """A department as the office's screens list it (document order: class, number)."""

    id: int
    name: str
    number: int | None
    dept_class: str


class DepartmentFacts(NamedTuple):
    """One binding of a department: the status model's facts of it."""

    department_id: int
    facts: Facts


class OverviewReader(CampaignReader, DayReader, Protocol):
    """/status (and the dashboard's overview): departments, their tally and colours."""

    async def departments(self, campaign_id: int) -> list[DepartmentInfo]:
        """The campaign's departments in document order (one query)."""

    async def tally(self, campaign_id: int) -> DepartmentTally:
        """Each department's bindings by effective status, its latest report and first
        binding (one grouped query, `core.status.counts`)."""

    async def department_facts(self, campaign: CampaignRef) -> list[DepartmentFacts]:
        """Every binding of the campaign as facts, with its department (one query)."""


@dataclass(frozen=True)
class OverdueCount:
    """A department's overdue bindings, counted in the database by the model's clauses."""

    department_id: int
    number: int | None
    overdue: int
    past_due: int
    silent: int


class OverdueRow(NamedTuple):
    """A binding past due or silent (by the SQL clauses; the model decides), as facts."""

    binding_id: int
    department_id: int
    department_name: str
    department_number: int | None
    code: str
    title: str
    facts: Facts


class OverdueReader(CampaignReader, DayReader, Protocol):
    """/overdue (and the dashboard's overdue page): counts first, then one page's rows."""

    async def overdue_counts(
        self, campaign: CampaignRef, day: Day, *, department_id: int | None = None
    ) -> list[OverdueCount]:
        """Per department with anything overdue on `day`: its counts (one grouped query)."""

    async def overdue_rows(
        self, campaign: CampaignRef, day: Day, *, department_ids: Sequence[int] | None = None
    ) -> list[OverdueRow]:
        """The bindings the SQL form of `State.overdue` selects (one joined query), of
        `department_ids` only when given; unordered."""


# ---------------------------------------------------------------- reminders


class BindingFacts(NamedTuple):
    """One binding of the campaign, named, as the status model's facts."""

    binding_id: int
    department_id: int
    code: str
    title: str
    facts: Facts


@dataclass(frozen=True)
class Liaison:
    """A liaison who may be reminded, with their department's name."""

    tg_id: int
    department_id: int
    department_name: str
    is_deputy: bool
    locale: str | None


@dataclass(frozen=True)
class Leader:
    tg_id: int
    locale: str | None


# (user, kind, subject, period) of a reminder already claimed (`ReminderSent`)
ToldKey = tuple[int, str, str, str]


class ReminderReader(CampaignReader, DayReader, Protocol):
    """The reminder round: the campaign's bindings, who answers for them, who is away, and
    what each was told already."""

    async def campaign_bindings(self, campaign: CampaignRef) -> list[BindingFacts]:
        """Every binding of the campaign with its item's code and title (one query)."""

    async def liaisons(self, department_ids: Sequence[int]) -> list[Liaison]:
        """The liaisons (deputies included) of these departments, by when they joined."""

    async def leaders(self) -> list[Leader]: ...

    async def on_leave(self, tg_ids: Sequence[int], day: dt.date) -> set[int]:
        """Which of these users are on leave on `day` (one query)."""

    async def told(self, tg_ids: Sequence[int], kinds: Sequence[str]) -> set[ToldKey]:
        """The reminders of these kinds claimed for these users (one query)."""

    async def reminded_before(
        self, tg_ids: Sequence[int], kind: str, before: dt.datetime
    ) -> set[tuple[int, str]]:
        """(user, subject) of reminders of `kind` claimed at or before `before`."""


# ---------------------------------------------------------------- /dept and /item


@dataclass(frozen=True)
class DepartmentFound:
    """The departments a typed name means: one `found`, or several `candidates`."""

    found: DepartmentInfo | None
    candidates: tuple[DepartmentInfo, ...] = ()


class CardReader(CampaignReader, Protocol):
    """/dept (a department's items) and /item (an item across its departments)."""

    async def find_department(self, query: str) -> DepartmentFound:
        """The active campaign's department `query` names (or its alias), else candidates."""

    async def department(self, department_id: int) -> DepartmentInfo | None: ...

    async def departments(self, campaign_id: int) -> list[DepartmentInfo]: ...

    async def department_items(self, department_id: int) -> list[ItemView]:
        """A department's items with their values against targets (a few queries)."""

    async def item_bindings(self, code: str) -> list[ItemView]:
        """One item of the active campaign in every department it is bound to."""

    async def extension_history(
        self, binding_ids: Sequence[int]
    ) -> dict[int, list[ExtensionEntry]]:
        """Every extension request of these bindings, oldest first (one query)."""
