"""What the scheduler's once-only claims need from storage, as narrow Protocols (issue
19, point 5).

Unlike every other reader or writer, each method here is **its own committed
transaction**: a claim is only a claim once other processes can see it, and each
message's progress must be durable before the next is sent (core/scheduling/once.py).
`core.scheduling.sql.SqlClaims` is the database's, over a session from
`Database.claims()`, the documented exception to "only a unit of work commits"
(tests/test_commit_sites.py); unit tests pass a recording fake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


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


@dataclass(frozen=True)
class ReminderKey:
    user_tg_id: int
    kind: str  # silent / deadline / weekly
    subject: str  # a binding id, or "summary"
    period: str  # e.g. "2020-05-20/1", "d7", "2020-W23"


class DigestClaims(Protocol):
    async def insert_claim(
        self, chat_id: int, local_date: dt.date, *, owner: str, now: dt.datetime
    ) -> bool:
        """Insert (chat, date)'s row claimed by `owner` unless one exists; whether it was
        inserted. Committed."""

    async def take_over(
        self,
        chat_id: int,
        local_date: dt.date,
        *,
        owner: str,
        now: dt.datetime,
        cutoff: dt.datetime,
    ) -> bool:
        """Claim the unsent row for `owner` if it was released or claimed before
        `cutoff`; whether it was (of two at once, exactly one). Committed."""

    async def claimed(self, chat_id: int, local_date: dt.date, owner: str) -> DigestClaim:
        """The row just claimed by `owner`, as a claim."""

    async def start_attempt(self, claim: DigestClaim, attempts: int) -> bool:
        """Count an attempt before it is made, while `claim` still holds. Committed."""

    async def save_summary(self, claim: DigestClaim, summary: dict[str, Any]) -> bool:
        """The figures and progress (`parts_sent`), while `claim` holds. Committed."""

    async def mark_sent(
        self,
        claim: DigestClaim,
        now: dt.datetime,
        summary: dict[str, Any],
        newly_red: Sequence[int] = (),
    ) -> bool:
        """Final: sent at `now` (and the bindings it named red marked told), while
        `claim` holds. Committed, in one transaction."""

    async def release_failed(self, claim: DigestClaim, error: str) -> bool:
        """Record the failure and release the claim for the next check. Committed."""

    async def record_error(self, claim: DigestClaim, error: str) -> bool:
        """Record a failed attempt this sender will retry. Committed."""


class ReminderClaims(Protocol):
    async def claim_reminders(
        self, keys: Sequence[ReminderKey], now: dt.datetime
    ) -> dict[ReminderKey, int]:
        """Insert the keys not claimed yet (one statement); the ones won, with their row
        ids. Committed."""

    async def unclaim_reminders(self, row_ids: Sequence[int]) -> None:
        """Forget these claims (a send failed for a passing reason). Committed."""
