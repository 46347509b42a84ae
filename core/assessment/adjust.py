"""Admin adjustments of the active campaign: add a department, bind and unbind an item,
set an item's deadline.

Each use case checks everything first and raises `AdjustRefused` (nothing staged), or
makes its change and writes one audit-log row (flushed); the caller's use case commits
and replies after.
Reports are never deleted: a binding that has reports cannot be removed.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.campaigns import bind_new_department, default_aliases
from core.assessment.switch import Moved, follow_active_campaign
from core.text.matching import normalize, normalize_code
from storage import repositories as repo
from storage.models import AuditLog, Binding, Campaign, Department, Item, ItemScore, Report

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


async def _campaign(session: AsyncSession) -> Campaign:
    campaign = await repo.active_campaign(session)
    if campaign is None:
        raise AdjustRefused("no_campaign")
    return campaign


async def _item(session: AsyncSession, campaign: Campaign, code_text: str) -> Item:
    code = normalize_code(code_text)
    item = None
    if code is not None:
        item = await session.scalar(
            select(Item).where(Item.campaign_id == campaign.id, Item.code == code)
        )
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
    session: AsyncSession, *, name: str, dept_class: str, actor_tg_id: int, now: dt.datetime
) -> DepartmentAdded:
    """Add a department to the active campaign, bound to what its class answers for.

    Liaisons of a department of that name in an earlier campaign (typically a B-class
    department, which no document names) follow it into this one.
    """
    if dept_class not in ("A", "B"):
        raise ValueError(dept_class)
    campaign = await _campaign(session)
    name = clean_department_name(name)
    wanted = normalize(name)
    for existing in await repo.departments(session, campaign.id):
        forms = {normalize(existing.name), *(normalize(a) for a in existing.aliases or ())}
        if wanted in forms:
            raise AdjustRefused("duplicate", existing.name)
    numbers = await session.scalar(
        select(func.max(Department.number)).where(Department.campaign_id == campaign.id)
    )
    department = Department(
        campaign_id=campaign.id,
        # A-class departments are numbered in the document's order; a new one goes last.
        number=(numbers or 0) + 1 if dept_class == "A" else None,
        name=name,
        dept_class=dept_class,
        aliases=default_aliases(name),
    )
    session.add(department)
    await session.flush()
    bindings = await bind_new_department(session, department)
    moved = await session.run_sync(follow_active_campaign, campaign.id, actor_tg_id)
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="add_department",
            detail={
                "campaign_id": campaign.id,
                "department_id": department.id,
                "name": name,
                "class": dept_class,
                "bindings": bindings,
            },
        )
    )
    await session.flush()
    return DepartmentAdded(department.id, name, dept_class, bindings, campaign.year, moved)


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


async def _department(session: AsyncSession, campaign: Campaign, department_id: int) -> Department:
    department = await session.get(Department, department_id)
    if department is None or department.campaign_id != campaign.id:
        raise AdjustRefused("no_department")
    return department


async def bind(
    session: AsyncSession,
    *,
    department_id: int,
    code: str,
    actor_tg_id: int,
    now: dt.datetime,
) -> BindingChanged:
    """Bind an item of the active campaign to a department of it."""
    campaign = await _campaign(session)
    department = await _department(session, campaign, department_id)
    item = await _item(session, campaign, code)
    exists = await session.scalar(
        select(Binding.id).where(Binding.department_id == department.id, Binding.item_id == item.id)
    )
    if exists is not None:
        raise AdjustRefused("already_bound", item.code, department.name)
    session.add(Binding(campaign_id=campaign.id, department_id=department.id, item_id=item.id))
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="bind",
            detail={"department_id": department.id, "item_id": item.id, "code": item.code},
        )
    )
    await session.flush()
    return BindingChanged(department.name, item.code, item.title)


async def unbind(
    session: AsyncSession,
    *,
    department_id: int,
    code: str,
    actor_tg_id: int,
    now: dt.datetime,
) -> BindingChanged:
    """Remove a binding that has no reports (reports, and so their bindings, stay)."""
    campaign = await _campaign(session)
    department = await _department(session, campaign, department_id)
    item = await _item(session, campaign, code)
    binding = await session.scalar(
        select(Binding).where(Binding.department_id == department.id, Binding.item_id == item.id)
    )
    if binding is None:
        raise AdjustRefused("not_bound", item.code, department.name)
    # Count the rows themselves, not the binding's counter: a report is never lost.
    reports = int(
        await session.scalar(select(func.count(Report.id)).where(Report.binding_id == binding.id))
        or 0
    )
    if reports:
        raise AdjustRefused("has_reports", str(reports), department.name)
    # A scored binding keeps its score (issue 20): removing it would drop a score unlogged.
    if await session.get(ItemScore, binding.id) is not None:
        raise AdjustRefused("has_score", item.code, department.name)
    await session.delete(binding)
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="unbind",
            detail={"department_id": department.id, "item_id": item.id, "code": item.code},
        )
    )
    await session.flush()
    return BindingChanged(department.name, item.code, item.title)


# ---------------------------------------------------------------- /deadline


@dataclass(frozen=True)
class DeadlineSet:
    code: str
    title: str
    old: dt.date | None
    new: dt.date


async def set_deadline(
    session: AsyncSession, *, code: str, deadline: dt.date, actor_tg_id: int, now: dt.datetime
) -> DeadlineSet:
    """Set an item's deadline. Its bindings' "turned red" marks are cleared, so an item
    that goes past its new deadline is told again."""
    campaign = await _campaign(session)
    item = await _item(session, campaign, code)
    old = item.deadline
    item.deadline = deadline
    await session.execute(
        update(Binding).where(Binding.item_id == item.id).values(red_reported_at=None)
    )
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="deadline",
            detail={
                "item_id": item.id,
                "code": item.code,
                "old": old.isoformat() if old else None,
                "new": deadline.isoformat(),
            },
        )
    )
    await session.flush()
    return DeadlineSet(item.code, item.title, old, deadline)
