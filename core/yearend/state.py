"""Where a campaign's year end stands, and the refusals every step shares.

One `YearEnd` row per campaign records each step's when and who. Every year-end act
checks first and raises `YearEndRefused` (a reason code the handler translates) before
staging anything, so a refused command changes nothing. `ensure_not_final` is the lock
of `/finalize`: every act that changes a score must call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.people.roster import Recipient
from core.scoring.audit import audit_entry
from storage.models import ROLE_LIAISON, Campaign, Department, User, YearEnd


class YearEndRefused(Exception):
    """Why a year-end act was refused; `detail` holds what the reply names.

    reasons: no_campaign, scheme_not_confirmed, final, not_open, window_closed,
    already_open, bad_deadline, submitted, not_submitted, above_points, statement_needed,
    incomplete, no_department, no_item, not_yours, no_feedback, past_deadline,
    no_target, no_appeal, decided, reason_needed, window_running, appeals_open,
    not_approved, not_final, no_feedback_yet, nothing_scored.
    """

    def __init__(self, reason: str, **detail: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Acting:
    """Who acts (Telegram user id), when (UTC), and the zone local dates are read in."""

    tg_id: int
    now: dt.datetime
    zone: dt.tzinfo

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.zone).date()


async def active_campaign(session: AsyncSession) -> Campaign:
    campaign = await session.scalar(
        select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.id.desc())
    )
    if campaign is None:
        raise YearEndRefused("no_campaign")
    return campaign


async def year_end(session: AsyncSession, campaign_id: int) -> YearEnd:
    """The campaign's row, created (staged) on first use."""
    row = await session.scalar(select(YearEnd).where(YearEnd.campaign_id == campaign_id))
    if row is None:
        row = YearEnd(campaign_id=campaign_id, recheck_days=5)
        session.add(row)
        await session.flush()
    return row


def ensure_not_final(row: YearEnd) -> None:
    """Refuse any score change once the results are final (定稿)."""
    if row.finalized_at is not None:
        raise YearEndRefused("final")


async def campaign_final(session: AsyncSession, campaign_id: int) -> bool:
    """Whether the campaign's results are final (定稿): the one reading of the lock."""
    finalized = await session.scalar(
        select(YearEnd.finalized_at).where(YearEnd.campaign_id == campaign_id)
    )
    return finalized is not None


async def ensure_campaign_not_final(session: AsyncSession, campaign_id: int) -> None:
    """The lock as an act holding a session can call it."""
    if await campaign_final(session, campaign_id):
        raise YearEndRefused("final")


def audit(
    session: AsyncSession,
    campaign_id: int,
    acting: Acting,
    action: str,
    *,
    subject: str,
    before: str = "",
    after: str = "",
    reason: str = "",
    department_id: int | None = None,
    binding_id: int | None = None,
) -> None:
    """One row of the scoring audit log (core.scoring.audit)."""
    session.add(
        audit_entry(
            campaign_id,
            acting.tg_id,
            acting.now,
            action,
            subject=subject,
            before=before,
            after=after,
            reason=reason,
            department_id=department_id,
            binding_id=binding_id,
        )
    )


async def liaisons_by_department(
    session: AsyncSession, campaign_id: int
) -> dict[int, list[Recipient]]:
    """Every department's liaisons (main first, then deputies) in one query."""
    rows = await session.execute(
        select(User.department_id, User.tg_id, User.locale, User.display_name)
        .join(Department, Department.id == User.department_id)
        .where(User.role == ROLE_LIAISON, Department.campaign_id == campaign_id)
        .order_by(User.department_id, User.is_deputy, User.id)
    )
    found: dict[int, list[Recipient]] = {}
    for department_id, tg_id, locale, name in rows:
        found.setdefault(department_id, []).append(Recipient(tg_id, locale, name or ""))
    return found
