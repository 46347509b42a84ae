"""Extensions per binding (延期申请): a lead unit's liaison asks, an admin decides.

`request_extension` checks and stages a request; `decide_extension` approves (the date
becomes that binding's due date, `Binding.extended_due`, and no other department's) or
rejects it, with a comment. Every request and decision is kept (`Extension`) and audited,
so the original date and each change with who approved it stay visible on /item, /dept,
the dashboard and the export (`extension_history`, `extensions_by_binding`).

The two use cases take the stores of core/supervision/interfaces.py; the two readers of
the history are shared with other features, which call them with their own session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.scheduling.workdays import WorkingDay
from core.status.model import Rules, assess
from core.supervision.interfaces import (
    ExtensionDecisionStore,
    ExtensionEntry,
    ExtensionRequestStore,
    NewExtension,
)
from core.supervision.sql import campaign_extensions, extension_history
from core.text.matching import normalize_code
from storage.models import (
    BINDING_LEAD,
    EXTENSION_APPROVED,
    EXTENSION_PENDING,
    EXTENSION_REJECTED,
)

__all__ = [
    "ExtensionAsked",
    "ExtensionDecided",
    "ExtensionEntry",
    "ExtensionRefused",
    "decide_extension",
    "entry_text_zh",
    "extension_history",
    "extensions_by_binding",
    "past_year_end",
    "request_extension",
    "working_days_between",
]


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
    store: ExtensionRequestStore,
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
    """Stage a request to move the due date of the department's binding of `code`.
    Refused (ExtensionRefused, nothing staged) unless the liaison's unit leads the item,
    the item is not done, the new date is later and asked early enough, no request is
    pending and the binding has extensions left."""
    reason = reason.strip()
    if not reason:
        raise ExtensionRefused("no_reason")
    campaign = await store.active_campaign()
    if campaign is None:
        raise ExtensionRefused("no_campaign")
    normal = normalize_code(code)
    found = await store.binding_to_extend(campaign, department_id, normal) if normal else None
    if found is None:
        raise ExtensionRefused("no_item", (normal or code)[:20])
    if found.role != BINDING_LEAD:
        raise ExtensionRefused("not_lead", found.code)
    state = assess(found.facts, today, rules)
    if state.done:
        raise ExtensionRefused("done", found.code)
    due = state.final_due
    if due is None:
        raise ExtensionRefused("no_due", found.code)
    if requested_due <= due:
        raise ExtensionRefused("not_later", due.isoformat())
    if working_days_between(today, due, is_working) < notice_days:
        raise ExtensionRefused("too_late", due.isoformat())
    earlier = await store.extension_states(found.binding_id)
    if EXTENSION_PENDING in earlier:
        raise ExtensionRefused("pending", found.code)
    if sum(1 for s in earlier if s == EXTENSION_APPROVED) >= per_binding:
        raise ExtensionRefused("limit", str(per_binding))
    extension = NewExtension(
        binding_id=found.binding_id,
        original_due=due,
        requested_due=requested_due,
        reason=reason[:1000],
        requested_by=requester_tg_id,
        requested_at=now,
    )
    extension_id = await store.add_extension(extension)
    store.audit(
        at=now,
        actor_tg_id=requester_tg_id,
        action="extension_request",
        detail={
            "extension_id": extension_id,
            "binding_id": found.binding_id,
            "from": due.isoformat(),
            "to": requested_due.isoformat(),
        },
    )
    await store.flush()
    return ExtensionAsked(
        extension_id,
        found.department_name,
        found.code,
        found.title,
        due,
        requested_due,
        extension.reason,
        past_year_end(requested_due, campaign.year),
    )


async def decide_extension(
    store: ExtensionDecisionStore,
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
    found = await store.extension_to_decide(extension_id)
    if found is None:
        raise ExtensionRefused("no_request")
    if found.state != EXTENSION_PENDING:
        raise ExtensionRefused("already", found.state)
    if approve and past_year_end(found.requested_due, found.campaign_year) and not confirmed:
        raise ExtensionRefused("confirm", found.requested_due.isoformat())
    state = EXTENSION_APPROVED if approve else EXTENSION_REJECTED
    comment = comment[:1000]
    if not await store.decide(extension_id, state=state, by=admin_tg_id, at=now, comment=comment):
        raise ExtensionRefused("already", "")
    if approve:
        await store.move_due(found.binding_id, found.requested_due)
    store.audit(
        at=now,
        actor_tg_id=admin_tg_id,
        action="extension_decision",
        detail={
            "extension_id": extension_id,
            "binding_id": found.binding_id,
            "decision": state,
            "to": found.requested_due.isoformat(),
        },
    )
    await store.flush()
    return ExtensionDecided(
        extension_id,
        approve,
        found.department_name,
        found.code,
        found.original_due,
        found.requested_due,
        comment,
        found.requested_by,
    )


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
    return {
        binding: "；".join(entry_text_zh(entry) for entry in entries)
        for binding, entries in (await campaign_extensions(session, campaign_id)).items()
    }
