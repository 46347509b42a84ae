"""What the supervision use cases need from storage, as narrow Protocols (issue 19, point 5).

/extend, /extdecide, /milestones, /pace and /measures each name the reader and writer
they need and are given them explicitly: the database one
(`core.supervision.sql.SqlSupervision`, over the update's unit of work) or a recording
fake in a unit test. Readers return plain values (the status model's `Facts` for a
binding's colour); writers stage; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.people.interfaces import AuditWriter
from core.status.model import Facts


@dataclass(frozen=True)
class CampaignRef:
    id: int
    year: int | None


@dataclass(frozen=True)
class BindingToExtend:
    """A department's binding of an item, as a request to extend it reads it."""

    binding_id: int
    department_name: str
    code: str
    title: str
    role: str  # lead / supporting
    facts: Facts  # what the status model reads: its due date, whether it is done


@dataclass(frozen=True)
class NewExtension:
    binding_id: int
    original_due: dt.date
    requested_due: dt.date
    reason: str
    requested_by: int
    requested_at: dt.datetime


@dataclass(frozen=True)
class ExtensionToDecide:
    extension_id: int
    binding_id: int
    state: str
    original_due: dt.date | None
    requested_due: dt.date
    requested_by: int
    code: str
    department_name: str
    campaign_year: int | None


@dataclass(frozen=True)
class ExtensionEntry:
    """One request as screens show it."""

    binding_id: int
    original_due: dt.date | None
    requested_due: dt.date
    reason: str
    state: str
    requested_at: dt.datetime
    decided_by: str  # the approver's name ("" while pending)
    decided_at: dt.datetime | None
    comment: str


@dataclass(frozen=True)
class ItemInfo:
    """An item of the active campaign, as /milestones and /pace change it."""

    id: int
    code: str
    title: str
    deadline: dt.date | None
    milestones: tuple[str, ...]
    pace_target: Decimal | None


@dataclass(frozen=True)
class TargetInfo:
    op: str
    unit: str
    value: Decimal


@dataclass(frozen=True)
class RectifiedBinding:
    binding_id: int
    rectification_due: dt.date | None  # None: no rectification is open


class CampaignReader(Protocol):
    async def active_campaign(self) -> CampaignRef | None: ...


class ExtensionRequestStore(CampaignReader, AuditWriter, Protocol):
    async def binding_to_extend(
        self, campaign: CampaignRef, department_id: int, code: str
    ) -> BindingToExtend | None: ...

    async def extension_states(self, binding_id: int) -> list[str]:
        """The states of every request made on the binding so far."""

    async def add_extension(self, extension: NewExtension) -> int:
        """Stage the request; its id."""


class ExtensionDecisionStore(AuditWriter, Protocol):
    async def extension_to_decide(self, extension_id: int) -> ExtensionToDecide | None: ...

    async def decide(
        self, extension_id: int, *, state: str, by: int, at: dt.datetime, comment: str
    ) -> bool:
        """Record the decision if the request is still pending (atomic: one decision wins)."""

    async def move_due(self, binding_id: int, due: dt.date) -> None:
        """The binding is now due `due` (and is told again when it goes red past it)."""


class ItemReader(CampaignReader, Protocol):
    async def item(self, campaign_id: int, code: str) -> ItemInfo | None: ...


class MilestonesStore(ItemReader, AuditWriter, Protocol):
    async def set_milestones(self, item_id: int, steps: list[str]) -> None: ...


class PaceStore(ItemReader, AuditWriter, Protocol):
    async def targets(self, item_id: int) -> list[TargetInfo]:
        """The item's targets, first first."""

    async def set_pace_target(self, item_id: int, target: Decimal | None) -> None: ...


class MeasuresStore(CampaignReader, AuditWriter, Protocol):
    async def department_binding(
        self, campaign_id: int, department_id: int, code: str
    ) -> RectifiedBinding | None: ...

    async def set_measures(self, binding_id: int, text: str) -> None: ...
