"""Extensions per binding (延期申请): a lead unit's liaison asks, an admin decides.

`request_extension` checks and stages a request; `decide_extension` approves (the date
becomes that binding's due date, `Binding.extended_due`, and no other department's) or
rejects it, with a comment. Every request and decision is kept (`Extension`) and audited,
so the original date and each change with who approved it stay visible on /item, /dept,
the dashboard and the export (`extension_history`, `extensions_by_binding`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.scheduling.workdays import WorkingDay
from core.status.day import binding_facts
from core.status.model import Rules, assess
from core.text.matching import normalize_code
from storage import repositories as repo
from storage.db import affected
from storage.models import (
    BINDING_LEAD,
    EXTENSION_APPROVED,
    EXTENSION_PENDING,
    EXTENSION_REJECTED,
    AuditLog,
    Binding,
    Campaign,
    Department,
    Extension,
    Item,
    User,
)


class ExtensionRefused(Exception):
    """Why a request or decision changes nothing; `reason` keys the user's message."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ExtensionAsked:
    extension_id: int
    department_name: str
    code: str
    title: str
    original_due: dt.date | None
    requested_due: dt.date
    reason: str
    past_year_end: bool  # the admin must confirm such a date explicitly


@dataclass(frozen=True)
class ExtensionDecided:
    extension_id: int
    approved: bool
    department_name: str
    code: str
    original_due: dt.date | None
    requested_due: dt.date
    comment: str
    requester_tg_id: int


def working_days_between(today: dt.date, due: dt.date, is_working: WorkingDay) -> int:
    """Working days after `today` up to and including `due`."""
    count, day = 0, today + dt.timedelta(days=1)
    while day <= due:
        count += is_working(day)
        day += dt.timedelta(days=1)
    return count


def past_year_end(day: dt.date, campaign_year: int | None) -> bool:
    return campaign_year is not None and day > dt.date(campaign_year, 12, 31)


async def request_extension(
    session: AsyncSession,
    *,
    code: str,
    requested_due: dt.date,
    reason: str,
    requester_tg_id: int,
    department_id: int,
    today: dt.date,
    rules: Rules,
    is_working: WorkingDay,
    notice_days: int,
    per_binding: int,
    now: dt.datetime,
) -> ExtensionAsked:
    """Stage a request to move the due date of the department's binding of `code`."""
    reason = reason.strip()
    if not reason:
        raise ExtensionRefused("no_reason")
    campaign = await repo.active_campaign(session)
    if campaign is None:
        raise ExtensionRefused("no_campaign")
    normal = normalize_code(code)
    row = (
        await session.execute(
            select(Binding, Item, Department.name)
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .where(
                Binding.campaign_id == campaign.id,
                Binding.department_id == department_id,
                Item.code == normal,
            )
        )
    ).first()
    if row is None:
        raise ExtensionRefused("no_item", (normal or code)[:20])
    binding, item, department_name = row
    if binding.role != BINDING_LEAD:
        raise ExtensionRefused("not_lead", item.code)
    state = assess(binding_facts(binding, item, campaign), today, rules)
    if state.done:
        raise ExtensionRefused("done", item.code)
    due = state.final_due
    if due is None:
        raise ExtensionRefused("no_due", item.code)
    if requested_due <= due:
        raise ExtensionRefused("not_later", due.isoformat())
    if working_days_between(today, due, is_working) < notice_days:
        raise ExtensionRefused("too_late", due.isoformat())
    earlier = list(
        await session.scalars(select(Extension.state).where(Extension.binding_id == binding.id))
    )
    if EXTENSION_PENDING in earlier:
        raise ExtensionRefused("pending", item.code)
    if sum(1 for s in earlier if s == EXTENSION_APPROVED) >= per_binding:
        raise ExtensionRefused("limit", str(per_binding))
    extension = Extension(
        binding_id=binding.id,
        original_due=due,
        requested_due=requested_due,
        reason=reason[:1000],
        requested_by=requester_tg_id,
        requested_at=now,
        state=EXTENSION_PENDING,
        comment="",
    )
    session.add(extension)
    await session.flush()
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=requester_tg_id,
            action="extension_request",
            detail={
                "extension_id": extension.id,
                "binding_id": binding.id,
                "from": due.isoformat(),
                "to": requested_due.isoformat(),
            },
        )
    )
    await session.flush()
    return ExtensionAsked(
        extension.id,
        department_name,
        item.code,
        item.title,
        due,
        requested_due,
        extension.reason,
        past_year_end(requested_due, campaign.year),
    )


async def decide_extension(
    session: AsyncSession,
    *,
    extension_id: int,
    approve: bool,
    comment: str,
    admin_tg_id: int,
    now: dt.datetime,
    confirmed: bool = False,
) -> ExtensionDecided:
    """Approve or reject a pending request; one decision wins. Approving a date past
    the campaign's year end needs `confirmed`."""
    row = (
        await session.execute(
            select(Extension, Binding, Item.code, Department.name, Campaign.year)
            .join(Binding, Binding.id == Extension.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .join(Campaign, Campaign.id == Binding.campaign_id)
            .where(Extension.id == extension_id)
        )
    ).first()
    if row is None:
        raise ExtensionRefused("no_request")
    extension, binding, code, department_name, year = row
    if extension.state != EXTENSION_PENDING:
        raise ExtensionRefused("already", extension.state)
    if approve and past_year_end(extension.requested_due, year) and not confirmed:
        raise ExtensionRefused("confirm", extension.requested_due.isoformat())
    state = EXTENSION_APPROVED if approve else EXTENSION_REJECTED
    claimed = await session.execute(
        update(Extension)
        .where(Extension.id == extension_id, Extension.state == EXTENSION_PENDING)
        .values(state=state, decided_by=admin_tg_id, decided_at=now, comment=comment[:1000])
        .execution_options(synchronize_session=False)
    )
    if affected(claimed) != 1:
        raise ExtensionRefused("already", "")
    if approve:
        binding.extended_due = extension.requested_due
        binding.red_reported_at = None  # past the new date it is told again
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=admin_tg_id,
            action="extension_decision",
            detail={
                "extension_id": extension_id,
                "binding_id": binding.id,
                "decision": state,
                "to": extension.requested_due.isoformat(),
            },
        )
    )
    await session.flush()
    return ExtensionDecided(
        extension_id,
        approve,
        department_name,
        code,
        extension.original_due,
        extension.requested_due,
        comment[:1000],
        extension.requested_by,
    )


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


async def extension_history(
    session: AsyncSession, binding_ids: Iterable[int]
) -> dict[int, list[ExtensionEntry]]:
    """Every request of these bindings, oldest first, with who decided (one query)."""
    ids = list(set(binding_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Extension, User.display_name)
        .outerjoin(User, User.tg_id == Extension.decided_by)
        .where(Extension.binding_id.in_(ids))
        .order_by(Extension.requested_at, Extension.id)
    )
    found: dict[int, list[ExtensionEntry]] = defaultdict(list)
    for extension, name in rows:
        found[extension.binding_id].append(
            ExtensionEntry(
                extension.binding_id,
                extension.original_due,
                extension.requested_due,
                extension.reason,
                extension.state,
                extension.requested_at,
                name or (str(extension.decided_by) if extension.decided_by else ""),
                extension.decided_at,
                extension.comment,
            )
        )
    return dict(found)


STATE_WORDS_ZH = {
    EXTENSION_PENDING: "待审批",
    EXTENSION_APPROVED: "已批准",
    EXTENSION_REJECTED: "未批准",
}


def entry_text_zh(entry: ExtensionEntry) -> str:
    """`2020-10-01→2020-11-15 已批准（张三）：理由` for the workbook."""
    original = entry.original_due.isoformat() if entry.original_due else "—"
    who = f"（{entry.decided_by}）" if entry.decided_by else ""
    moved = f"{original}→{entry.requested_due.isoformat()}"
    return f"{moved} {STATE_WORDS_ZH[entry.state]}{who}：{entry.reason}"


async def extensions_by_binding(session: AsyncSession, campaign_id: int) -> dict[int, str]:
    """The workbook's 延期记录 per binding of a campaign (one query)."""
    rows = await session.execute(
        select(Extension, User.display_name)
        .join(Binding, Binding.id == Extension.binding_id)
        .outerjoin(User, User.tg_id == Extension.decided_by)
        .where(Binding.campaign_id == campaign_id)
        .order_by(Extension.requested_at, Extension.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for extension, name in rows:
        entry = ExtensionEntry(
            extension.binding_id,
            extension.original_due,
            extension.requested_due,
            extension.reason,
            extension.state,
            extension.requested_at,
            name or (str(extension.decided_by) if extension.decided_by else ""),
            extension.decided_at,
            extension.comment,
        )
        found[extension.binding_id].append(entry_text_zh(entry))
    return {binding: "；".join(texts) for binding, texts in found.items()}


async def pending_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count(Extension.id)).where(Extension.state == EXTENSION_PENDING)
        )
        or 0
    )


async def admins_to_tell(
    session: AsyncSession, configured: frozenset[int], default_locale: str
) -> list[tuple[int, str]]:
    """(Telegram id, locale) of everyone who may decide: configured admins and users
    with the admin role (one query)."""
    rows = await session.execute(
        select(User.tg_id, User.locale, User.role).where(
            (User.role == "admin") | User.tg_id.in_(list(configured))
        )
    )
    found = {tg_id: locale or default_locale for tg_id, locale, _role in rows}
    for tg_id in configured:
        found.setdefault(tg_id, default_locale)
    return sorted(found.items())
