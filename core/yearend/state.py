"""Where a campaign's year end stands, and the refusals every step shares.

One `YearEnd` row per campaign records each step's when and who. Every year-end act
checks first and raises `YearEndRefused` (a reason code the handler translates) before
staging anything, so a refused command changes nothing. `ensure_not_final` is the lock
of `/finalize`: every act that changes a score must call it. The acts read and stage
through the Protocols of core/yearend/interfaces.py, never a session of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.scoring.audit import audit_entry
from core.scoring.ports import CampaignInfo
from core.yearend.deadlines import DEFAULT_RECHECK_WORKING_DAYS
from core.yearend.interfaces import (
    CampaignReader,
    LockReader,
    YearEndReader,
    YearEndWriter,
)
from storage.models import YearEnd


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


async def active_campaign(reader: CampaignReader) -> CampaignInfo:
    campaign = await reader.campaign(None)
    if campaign is None:
        raise YearEndRefused("no_campaign")
    return campaign


async def year_end(reader: YearEndReader, campaign_id: int) -> YearEnd:
    """The campaign's row; before the first change a new one, not staged: the act that
    changes it stages it (`keep`) after its checks, so a refused act leaves no row."""
    row = await reader.year_end_row(campaign_id)
    if row is None:
        row = YearEnd(
            campaign_id=campaign_id,
            recheck_days=DEFAULT_RECHECK_WORKING_DAYS,
            approval_body="",
            approval_number="",
        )
    return row


def keep(writer: YearEndWriter, row: YearEnd) -> None:
    """Stage the campaign's row if it is new (`year_end`); one already stored is tracked."""
    if row.id is None:
        writer.stage(row)


def ensure_not_final(row: YearEnd) -> None:
    """Refuse any score change once the results are final (定稿)."""
    if row.finalized_at is not None:
        raise YearEndRefused("final")


async def campaign_final(session: AsyncSession, campaign_id: int) -> bool:
    """Whether the campaign's results are final (定稿): the one reading of the lock, in
    SQL here (not core/yearend/sql.py) because `core.scoring.sql.SqlScoring.final` reads
    it and `SqlYearEnd` is built on `SqlScoring`: importing it from there would be a
    cycle. Use cases read it as `LockReader.final`."""
    finalized = await session.scalar(
        select(YearEnd.finalized_at).where(YearEnd.campaign_id == campaign_id)
    )
    return finalized is not None


async def ensure_campaign_not_final(reader: LockReader, campaign_id: int) -> None:
    """The lock as an act that holds no year-end row can check it."""
    if await reader.final(campaign_id):
        raise YearEndRefused("final")


def audit(
    writer: YearEndWriter,
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
    writer.stage(
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
