"""The scheduler's claims (core/scheduling/interfaces.py) over a session from
`Database.claims()`: each method one small transaction, committed before it returns, so
a claim is visible to every other process before the send it guards. This module and
storage/unit.py are the only places that commit (tests/test_commit_sites.py).

Claims are INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL): the unique key
decides who won. A change to a claimed digest row is one conditional UPDATE that holds
only while its sender still owns the claim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.scheduling.interfaces import DigestClaim, ReminderKey
from storage import repositories as repo
from storage.db import affected
from storage.models import DigestSent, ReminderSent


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class SqlClaims:
    """`DigestClaims` and `ReminderClaims`: every method commits its own transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_claim(
        self, chat_id: int, local_date: dt.date, *, owner: str, now: dt.datetime
    ) -> bool:
        statement = (
            _insert(self.session)(DigestSent)
            .values(
                chat_id=chat_id,
                local_date=local_date,
                claimed_by=owner,
                claimed_at=now,
                attempts=0,
                summary={},
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "local_date"])
            .returning(DigestSent.id)
        )
        new_id = (await self.session.execute(statement)).scalar_one_or_none()
        await self.session.commit()
        return new_id is not None

    async def take_over(
        self,
        chat_id: int,
        local_date: dt.date,
        *,
        owner: str,
        now: dt.datetime,
        cutoff: dt.datetime,
    ) -> bool:
        taken = await self.session.execute(
            update(DigestSent)
            .where(
                DigestSent.chat_id == chat_id,
                DigestSent.local_date == local_date,
                DigestSent.sent_at.is_(None),
                or_(DigestSent.claimed_by == "", DigestSent.claimed_at < cutoff),
            )
            .values(claimed_by=owner, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.commit()
        return affected(taken) == 1

    async def claimed(self, chat_id: int, local_date: dt.date, owner: str) -> DigestClaim:
        row = (
            await self.session.execute(
                select(DigestSent.id, DigestSent.attempts, DigestSent.summary).where(
                    DigestSent.chat_id == chat_id, DigestSent.local_date == local_date
                )
            )
        ).one()
        row_id, attempts, summary = row
        return DigestClaim(row_id, chat_id, local_date, owner, attempts, dict(summary or {}))

    async def _update_claimed(self, claim: DigestClaim, **values: Any) -> bool:
        """Change the row only while `claim.owner` still holds it; commit."""
        result = await self.session.execute(
            update(DigestSent)
            .where(DigestSent.id == claim.id, DigestSent.claimed_by == claim.owner)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await self.session.commit()
        return affected(result) == 1

    async def start_attempt(self, claim: DigestClaim, attempts: int) -> bool:
        return await self._update_claimed(claim, attempts=attempts)

    async def save_summary(self, claim: DigestClaim, summary: dict[str, Any]) -> bool:
        return await self._update_claimed(claim, summary=summary)

    async def mark_sent(
        self,
        claim: DigestClaim,
        now: dt.datetime,
        summary: dict[str, Any],
        newly_red: Sequence[int] = (),
    ) -> bool:
        if newly_red:  # told once: later digests only count them (the same transaction)
            await repo.mark_red_reported(self.session, list(newly_red), now)
        return await self._update_claimed(claim, sent_at=now, summary=summary)

    async def release_failed(self, claim: DigestClaim, error: str) -> bool:
        return await self._update_claimed(claim, claimed_by="", last_error=error[:2000])

    async def record_error(self, claim: DigestClaim, error: str) -> bool:
        return await self._update_claimed(claim, last_error=error[:2000])

    async def claim_reminders(
        self, keys: Sequence[ReminderKey], now: dt.datetime
    ) -> dict[ReminderKey, int]:
        if not keys:
            return {}
        statement = (
            _insert(self.session)(ReminderSent)
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
        rows = (await self.session.execute(statement)).all()
        await self.session.commit()
        return {
            ReminderKey(user, kind, subject, period): row_id
            for row_id, user, kind, subject, period in rows
        }

    async def unclaim_reminders(self, row_ids: Sequence[int]) -> None:
        if row_ids:
            await self.session.execute(delete(ReminderSent).where(ReminderSent.id.in_(row_ids)))
            await self.session.commit()
