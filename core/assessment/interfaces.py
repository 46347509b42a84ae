"""What the assessment administration use cases need from storage, as narrow Protocols
(issue 19, point 5): adjusting the active campaign (`AdjustStore`, core.assessment.adjust),
an item's evidence policy (`EvidencePolicyStore`, core.assessment.evidence_policy) and
switching to a new campaign with its people following (`SwitchStore`, `FollowStore`,
core.assessment.switch) and saving a parsed document as a campaign (`CampaignWriter`,
core.assessment.campaigns).

`core.assessment.sql.SqlAssessment` implements them all over the update's unit-of-work
session; unit tests pass recording fakes. Plain values out, staged changes in, no commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.assessment.importer.model import Target as ParsedTarget


@dataclass(frozen=True)
class CampaignRef:
    id: int
    year: int | None
    title: str


@dataclass(frozen=True)
class ItemRef:
    id: int
    code: str
    title: str
    kind: str  # general / department / b_class
    owner_id: int | None  # the department of a department item
    deadline: dt.date | None = None


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    campaign_id: int
    name: str
    dept_class: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placed:
    """Someone (a liaison) or something (an unused invite) placed in a department, by the
    department's name."""

    id: int
    department: str


@dataclass(frozen=True)
class NewDepartment:
    number: int | None
    name: str
    dept_class: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class NewItem:
    code: str
    kind: str
    owner_id: int | None  # the department of a department item
    position: int
    title: str
    text: str
    deadline: dt.date | None
    score: Decimal | None
    standard: str
    milestones: tuple[str, ...]  # ISO dates of the steps its text names
    pace_target: Decimal | None
    targets: tuple[ParsedTarget, ...]


@dataclass(frozen=True)
class NewBinding:
    department_id: int
    item_id: int
    role: str | None = None  # None: the lead, as every binding is unless a table says


@dataclass(frozen=True)
class ImportOutcome:
    campaign_id: int
    created: bool
    departments: int
    items: int
    bindings: int


class Audit(Protocol):
    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int | None, now: dt.datetime
    ) -> None:
        """Stage an audit-log row."""

    async def flush(self) -> None: ...


class CampaignReader(Protocol):
    async def active_campaign(self) -> CampaignRef | None: ...


class FollowStore(Audit, Protocol):
    """Moving liaisons and unused invites to the same-named departments of a campaign."""

    async def departments(self, campaign_id: int) -> list[DepartmentRef]: ...

    async def placed_elsewhere(self, campaign_id: int) -> tuple[list[Placed], list[Placed]]:
        """Liaisons, and invites not used yet, of departments of other campaigns."""

    async def move(
        self, *, liaisons: Sequence[int], invites: Sequence[int], department_id: int
    ) -> None:
        """Staged: these liaisons and invites now belong to `department_id`."""


class ItemFinder(Protocol):
    async def item(self, campaign_id: int, code: str) -> ItemRef | None:
        """The campaign's item of that (normalised) code."""


class EvidencePolicyStore(CampaignReader, ItemFinder, Audit, Protocol):
    """/needevidence: whether reports on an item must carry evidence."""

    async def set_evidence_required(self, item_id: int, required: bool) -> None: ...


class AdjustStore(CampaignReader, ItemFinder, FollowStore, Protocol):
    """/adddept, /bind, /unbind, /deadline on the active campaign."""

    async def items(self, campaign_id: int) -> list[ItemRef]: ...

    async def department(self, department_id: int) -> DepartmentRef | None: ...

    async def last_number(self, campaign_id: int) -> int | None:
        """The highest A-class department number of the campaign."""

    async def add_department(
        self,
        *,
        campaign_id: int,
        number: int | None,
        name: str,
        dept_class: str,
        aliases: Sequence[str],
    ) -> int:
        """Staged and flushed; the new department's id."""

    async def binding(self, department_id: int, item_id: int) -> int | None:
        """The id of the binding of the item to the department, if there is one."""

    async def report_count(self, binding_id: int) -> int:
        """Reports on the binding, counted as rows (never the binding's counter)."""

    async def scored(self, binding_id: int) -> bool: ...

    def add_binding(self, *, campaign_id: int, department_id: int, item_id: int) -> None: ...

    async def remove_binding(self, binding_id: int) -> None: ...

    async def set_deadline(self, item_id: int, deadline: dt.date) -> None:
        """The item's deadline; its bindings' "turned red" marks are cleared."""


class CampaignWriter(Audit, Protocol):
    """Saving a parsed document as a campaign (core.assessment.campaigns.save_document)."""

    async def campaign_by_fingerprint(self, fingerprint: str) -> CampaignRef | None: ...

    async def counts(self, campaign_id: int) -> tuple[int, int, int]:
        """The campaign's departments, items and bindings."""

    async def deactivate_campaigns(self) -> None: ...

    async def add_campaign(
        self, *, year: int | None, title: str, source_name: str, fingerprint: str, active: bool
    ) -> int:
        """Staged and flushed; the campaign's id."""

    async def other_departments(self, campaign_id: int) -> list[DepartmentRef]:
        """Departments of every other campaign, the newest campaign's first."""

    async def add_departments(
        self, campaign_id: int, departments: Sequence[NewDepartment]
    ) -> list[int]:
        """Staged and flushed; their ids, in order."""

    async def add_items(self, campaign_id: int, items: Sequence[NewItem]) -> list[int]:
        """Staged (with their targets) and flushed; their ids, in order."""

    def add_bindings(self, campaign_id: int, bindings: Sequence[NewBinding]) -> None: ...


class SwitchStore(CampaignReader, CampaignWriter, FollowStore, Protocol):
    """Importing a document as the active campaign, its people following."""
