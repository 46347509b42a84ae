"""Exactly-once bookkeeping for scheduled sends: claim in the database, send, mark sent.

**The digest of one group for one local date** has one `DigestSent` row, unique on
(chat_id, local_date). Its life:

1. *Claim.* A sender inserts the row (INSERT ... ON CONFLICT DO NOTHING). The unique key
   decides: whoever inserted it sends; everyone else (a second bot process on the same
   PostgreSQL database, a second run of the job) gets nothing back and sends nothing.
2. *Send.* Each attempt first adds 1 to `attempts` (so a crash mid-send still counts);
   each message that went out is recorded in `summary["parts_sent"]`, so a later attempt
   goes on with the next message instead of repeating the chart.
3. *Mark.* `sent_at` is set when the last message went out. A row with `sent_at` is final:
   restarts and other processes never send that digest again.

**When a send fails** (Telegram error, network), the sender retries a few times with
backoff; if it still fails it records `last_error` and *releases* the claim
(`claimed_by = ""`). A released row may be claimed again at once, by the periodic check
of any process, so the digest goes out as soon as Telegram answers again, still only once.

**When a sender dies** between claim and mark (killed, machine lost), its claim stays
with `sent_at` empty. After `CLAIM_TIMEOUT` (longer than any send with its retries takes)
the claim counts as abandoned and may be taken over. Taking over is one conditional
UPDATE (`... WHERE sent_at IS NULL AND (claimed_by = '' OR claimed_at < cutoff)`), so of
two processes taking over at the same moment exactly one succeeds. The one risk left is
Telegram's: a send that timed out on our side may still have been delivered; no API
offers an idempotency key, so that message could appear twice. Everything we know of
is recorded before and after each message to keep that window small.

Reminders (`ReminderSent`, unique on user, kind, subject, period) use the same claim:
the row is inserted before the message is sent, so they go out at most once per period.

**The one exception to "core functions flush, never commit".** Everywhere else a use case
commits once, in `handlers.base.finish`. The claim protocol cannot wait for that: a claim
is only a claim once other processes can see it, and each message's progress must be
durable before the next is sent, so these functions commit their own small transactions
(and are called from scheduled jobs with a session of their own, never inside a use case).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import DigestSent, ReminderSent

CLAIM_TIMEOUT = dt.timedelta(minutes=15)


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def insert_ignore(
    session: AsyncSession, model: Any, values: dict[str, Any], keys: list[str]
) -> int | None:
    """Insert a row unless one with the same unique `keys` exists; its id, or None."""
    insert = _insert(session)
    statement = (
        insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    ).returning(model.id)
    return (await session.execute(statement)).scalar_one_or_none()


@dataclass(frozen=True)
class DigestClaim:
    """A claimed digest: this sender, and only it, may send it now."""

    id: int
    chat_id: int
    local_date: dt.date
    owner: str
    attempts: int
    summary: dict[str, Any]

    @property
    def parts_sent(self) -> int:
        return int(self.summary.get("parts_sent", 0))


async def claim_digest(
    session: AsyncSession,
    chat_id: int,
    local_date: dt.date,
    *,
    owner: str,
    now: dt.datetime,
    stale_after: dt.timedelta = CLAIM_TIMEOUT,
) -> DigestClaim | None:
    """Claim the digest of (chat, date) for `owner` and commit; None if it is not ours."""
    new_id = await insert_ignore(
        session,
        DigestSent,
        {
            "chat_id": chat_id,
            "local_date": local_date,
            "claimed_by": owner,
            "claimed_at": now,
            "attempts": 0,
            "summary": {},
        },
        ["chat_id", "local_date"],
    )
    await session.commit()
    if new_id is None:
        taken = await session.execute(
            update(DigestSent)
            .where(
                DigestSent.chat_id == chat_id,
                DigestSent.local_date == local_date,
                DigestSent.sent_at.is_(None),
                or_(DigestSent.claimed_by == "", DigestSent.claimed_at < now - stale_after),
            )
            .values(claimed_by=owner, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if affected(taken) != 1:
            return None
    row = await session.scalar(
        select(DigestSent).where(DigestSent.chat_id == chat_id, DigestSent.local_date == local_date)
    )
    assert row is not None
    return DigestClaim(row.id, chat_id, local_date, owner, row.attempts, dict(row.summary or {}))


async def digest_row(session: AsyncSession, chat_id: int, local_date: dt.date) -> DigestSent | None:
    row: DigestSent | None = await session.scalar(
        select(DigestSent).where(DigestSent.chat_id == chat_id, DigestSent.local_date == local_date)
    )
    return row


async def _update_claimed(session: AsyncSession, claim: DigestClaim, **values: Any) -> bool:
    """Change the row only while `claim.owner` still holds it; commit."""
    result = await session.execute(
        update(DigestSent)
        .where(DigestSent.id == claim.id, DigestSent.claimed_by == claim.owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return affected(result) == 1


async def start_attempt(session: AsyncSession, claim: DigestClaim, attempts: int) -> bool:
    """Count an attempt before it is made (a crash mid-send still counts)."""
    return await _update_claimed(session, claim, attempts=attempts)


async def save_summary(session: AsyncSession, claim: DigestClaim, summary: dict[str, Any]) -> bool:
    """The day's figures and progress (`parts_sent`), kept for tomorrow and for takeovers."""
    return await _update_claimed(session, claim, summary=summary)


async def mark_sent(
    session: AsyncSession, claim: DigestClaim, now: dt.datetime, summary: dict[str, Any]
) -> bool:
    return await _update_claimed(session, claim, sent_at=now, summary=summary)


async def release_failed(session: AsyncSession, claim: DigestClaim, error: str) -> bool:
    """Record the failure and let the next check (any process) try again."""
    return await _update_claimed(session, claim, claimed_by="", last_error=error[:2000])


async def record_error(session: AsyncSession, claim: DigestClaim, error: str) -> bool:
    """Record a failed attempt that will be retried by this sender."""
    return await _update_claimed(session, claim, last_error=error[:2000])


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True)
class ReminderKey:
    user_tg_id: int
    kind: str  # silent / deadline / weekly
    subject: str  # a binding id, or "summary"
    period: str  # e.g. "2020-05-20/1", "d7", "2020-W23"


async def claim_reminders(
    session: AsyncSession, keys: list[ReminderKey], now: dt.datetime
) -> dict[ReminderKey, int]:
    """Insert the keys not told yet (one statement) and commit; the ones won, with row ids."""
    if not keys:
        return {}
    statement = (
        _insert(session)(ReminderSent)
        .values(
            [
                {
                    "user_tg_id": k.user_tg_id,
                    "kind": k.kind,
                    "subject": k.subject,
                    "period": k.period,
                    "sent_at": now,
                }
                for k in keys
            ]
        )
        .on_conflict_do_nothing(index_elements=["user_tg_id", "kind", "subject", "period"])
        .returning(
            ReminderSent.id,
            ReminderSent.user_tg_id,
            ReminderSent.kind,
            ReminderSent.subject,
            ReminderSent.period,
        )
    )
    rows = (await session.execute(statement)).all()
    await session.commit()
    return {
        ReminderKey(user, kind, subject, period): row_id
        for row_id, user, kind, subject, period in rows
    }


async def unclaim_reminders(session: AsyncSession, row_ids: list[int]) -> None:
    """A send failed for a passing reason: forget the claims so the next round retries."""
    if row_ids:
        await session.execute(delete(ReminderSent).where(ReminderSent.id.in_(row_ids)))
        await session.commit()
