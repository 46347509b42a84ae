"""What the oversight use cases need from storage, as narrow Protocols (issue 19, point 5).

Urging (催办, core.oversight.urge) reads a department's items, liaisons and last urge, and
writes one audit row; `core.oversight.urge_sql.SqlUrge` implements both over the update's
unit of work, and unit tests pass recording fakes. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from core.people.roster import Recipient


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
