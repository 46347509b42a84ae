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
commits once, through its unit of work. The claim protocol cannot wait for that: a claim
is only a claim once other processes can see it, and each message's progress must be
durable before the next is sent, so each step of `DigestClaims` and `ReminderClaims`
(core/scheduling/interfaces.py) is its own small committed transaction:
`core.scheduling.sql.SqlClaims`, over a session from `Database.claims()`, called from
scheduled jobs and never inside a use case's unit. The use cases here take those
Protocols explicitly; unit tests pass a recording fake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.scheduling.interfaces import DigestClaim, DigestClaims, ReminderKey
from core.scheduling.sql import SqlClaims

__all__ = ["CLAIM_TIMEOUT", "DigestClaim", "ReminderKey", "claim_digest", "claim_reminders"]

CLAIM_TIMEOUT = dt.timedelta(minutes=15)


async def claim_digest(
    claims: DigestClaims,
    chat_id: int,
    local_date: dt.date,
    *,
    owner: str,
    now: dt.datetime,
    stale_after: dt.timedelta = CLAIM_TIMEOUT,
) -> DigestClaim | None:
    """Claim the digest of (chat, date) for `owner`, durably; None if it is not ours: sent
    already, or held by a sender that claimed it within `stale_after`."""
    if not await claims.insert_claim(chat_id, local_date, owner=owner, now=now):
        taken = await claims.take_over(
            chat_id, local_date, owner=owner, now=now, cutoff=now - stale_after
        )
        if not taken:
            return None
    return await claims.claimed(chat_id, local_date, owner)


async def claim_reminders(
    session: AsyncSession, keys: Sequence[ReminderKey], now: dt.datetime
) -> dict[ReminderKey, int]:
    """`SqlClaims.claim_reminders` over a session from `Database.claims()` (the year-end
    reminders): the keys won, committed."""
    return await SqlClaims(session).claim_reminders(keys, now)
