"""Admin adjustments of the active campaign: add a department, bind and unbind an item,
set an item's deadline.

Each use case takes an `AdjustStore` (core/assessment/interfaces.py) explicitly, checks
everything first and raises `AdjustRefused` (nothing staged), or makes its change and
writes one audit-log row (flushed); the caller's unit of work commits and replies after.
Reports are never deleted: a binding that has reports cannot be removed.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from core.assessment.campaigns import binds, default_aliases
from core.assessment.interfaces import AdjustStore, CampaignRef, DepartmentRef, ItemRef
from core.assessment.switch import Moved, follow_active_campaign
from core.text.matching import normalize, normalize_code

MAX_NAME_LENGTH = 60
CLASS_FLAGS = {"a": "A", "a类": "A", "b": "B", "b类": "B"}


class AdjustRefused(Exception):
    """reason: no_campaign, bad_name, duplicate, no_item, no_department, already_bound,
    not_bound, has_reports, has_score. `detail` carries what the reply names (a name, a
    code, a count), `department` the department's name where one was found."""

    def __init__(self, reason: str, detail: str = "", department: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.department = department


async def _campaign(store: AdjustStore) -> CampaignRef:
    campaign = await store.active_campaign()
    if campaign is None:
        raise AdjustRefused("no_campaign")
    return campaign


async def _item(store: AdjustStore, campaign: CampaignRef, code_text: str) -> ItemRef:
    code = normalize_code(code_text)
    item = await store.item(campaign.id, code) if code is not None else None
    if item is None:
        raise AdjustRefused("no_item", (code or code_text)[:20])
    return item


# ---------------------------------------------------------------- /adddept


def parse_department_args(args: Sequence[str]) -> tuple[str, str]:
    """`区生态环境委员会 B` -> (name, "B"); without a trailing A/B flag the class is A."""
    words = [w for w in args if w.strip()]
    dept_class = "A"
    if len(words) > 1 and normalize(words[-1]) in CLASS_FLAGS:
        dept_class = CLASS_FLAGS[normalize(words[-1])]
        words = words[:-1]
    return " ".join(words).strip(), dept_class


def clean_department_name(text: str) -> str:
    """The name as stored: NFKC, single spaces; AdjustRefused('bad_name') when unusable."""
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    if len(normalize(name)) < 2 or len(name) > MAX_NAME_LENGTH or name.startswith(("/", "#")):
        raise AdjustRefused("bad_name", name[:MAX_NAME_LENGTH])
    return name


@dataclass(frozen=True)
class DepartmentAdded:
    department_id: int
    name: str
    dept_class: str
    bindings: int
    campaign_year: int | None
    moved: Moved


async def add_department(
    store: AdjustStore, *, name: str, dept_class: str, actor_tg_id: int, now: dt.datetime
) -> DepartmentAdded:
    """Add a department to the active campaign, bound to what its class answers for.

    Liaisons of a department of that name in an earlier campaign (typically a B-class
    department, which no document names) follow it into this one.
    """
    if dept_class not in ("A", "B"):
        raise ValueError(dept_class)
    campaign = await _campaign(store)
    name = clean_department_name(name)
    wanted = normalize(name)
    for existing in await store.departments(campaign.id):
        if wanted in {normalize(existing.name), *(normalize(a) for a in existing.aliases)}:
            raise AdjustRefused("duplicate", existing.name)
    # A-class departments are numbered in the document's order; a new one goes last.
    number = (await store.last_number(campaign.id) or 0) + 1 if dept_class == "A" else None
    department_id = await store.add_department(
        campaign_id=campaign.id,
        number=number,
        name=name,
        dept_class=dept_class,
        aliases=default_aliases(name),
    )
    bindings = 0
    for item in await store.items(campaign.id):
        if binds(item.kind, item.owner_id, department_id, dept_class):
            store.add_binding(campaign_id=campaign.id, department_id=department_id, item_id=item.id)
            bindings += 1
    moved = await follow_active_campaign(store, campaign.id, actor_tg_id=actor_tg_id, now=now)
    store.log(
        "add_department",
        {
            "campaign_id": campaign.id,
            "department_id": department_id,
            "name": name,
            "class": dept_class,
            "bindings": bindings,
        },
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await store.flush()
    return DepartmentAdded(department_id, name, dept_class, bindings, campaign.year, moved)


# ---------------------------------------------------------------- /bind, /unbind


def split_department_and_code(args: Sequence[str]) -> tuple[str, str] | None:
    """`农业 A5.1` (or `A5.1 农业`) -> ("农业", "A5.1"); None when no item code is given."""
    words = [w for w in args if w.strip()]
    if len(words) < 2:
        return None
    if normalize_code(words[-1]) is not None:
        return " ".join(words[:-1]), words[-1]
    if normalize_code(words[0]) is not None:
        return " ".join(words[1:]), words[0]
    return None


@dataclass(frozen=True)
class BindingChanged:
    department: str
    code: str
    title: str


async def _department(
    store: AdjustStore, campaign: CampaignRef, department_id: int
) -> DepartmentRef:
    department = await store.department(department_id)
    if department is None or department.campaign_id != campaign.id:
        raise AdjustRefused("no_department")
    return department


async def bind(
    store: AdjustStore,
    *,
    department_id: int,
    code: str,
    actor_tg_id: int,
    now: dt.datetime,
) -> BindingChanged:
    """Bind an item of the active campaign to a department of it."""
    campaign = await _campaign(store)
    department = await _department(store, campaign, department_id)
    item = await _item(store, campaign, code)
    if await store.binding(department.id, item.id) is not None:
        raise AdjustRefused("already_bound", item.code, department.name)
    store.add_binding(campaign_id=campaign.id, department_id=department.id, item_id=item.id)
    store.log(
        "bind",
        {"department_id": department.id, "item_id": item.id, "code": item.code},
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await store.flush()
    return BindingChanged(department.name, item.code, item.title)


async def unbind(
    store: AdjustStore,
    *,
    department_id: int,
    code: str,
    actor_tg_id: int,
    now: dt.datetime,
) -> BindingChanged:
    """Remove a binding that has no reports (reports, and so their bindings, stay)."""
    campaign = await _campaign(store)
    department = await _department(store, campaign, department_id)
    item = await _item(store, campaign, code)
    binding_id = await store.binding(department.id, item.id)
    if binding_id is None:
        raise AdjustRefused("not_bound", item.code, department.name)
    # Count the rows themselves, not the binding's counter: a report is never lost.
    reports = await store.report_count(binding_id)
    if reports:
        raise AdjustRefused("has_reports", str(reports), department.name)
    # A scored binding keeps its score (issue 20): removing it would drop a score unlogged.
    if await store.scored(binding_id):
        raise AdjustRefused("has_score", item.code, department.name)
    await store.remove_binding(binding_id)
    store.log(
        "unbind",
        {"department_id": department.id, "item_id": item.id, "code": item.code},
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await store.flush()
    return BindingChanged(department.name, item.code, item.title)


# ---------------------------------------------------------------- /deadline


@dataclass(frozen=True)
class DeadlineSet:
    code: str
    title: str
    old: dt.date | None
    new: dt.date


async def set_deadline(
    store: AdjustStore, *, code: str, deadline: dt.date, actor_tg_id: int, now: dt.datetime
) -> DeadlineSet:
    """Set an item's deadline. Its bindings' "turned red" marks are cleared, so an item
    that goes past its new deadline is told again."""
    campaign = await _campaign(store)
    item = await _item(store, campaign, code)
    await store.set_deadline(item.id, deadline)
    store.log(
        "deadline",
        {
            "item_id": item.id,
            "code": item.code,
            "old": item.deadline.isoformat() if item.deadline else None,
            "new": deadline.isoformat(),
        },
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await store.flush()
    return DeadlineSet(item.code, item.title, item.deadline, deadline)
