"""The scheduler's once-only claims as use cases on a recording fake of `DigestClaims` and
`ReminderClaims` (issue 19, point 5), no database: one digest per group and day whoever
asks, a released or abandoned claim taken over, a sent digest never again, and a reminder
sent only with the items this process won (core.scheduling.once, core.oversight.reminders).
Each step of the fake stands for one committed transaction, as `SqlClaims`' do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.oversight.reminders import (
    DEADLINE,
    SILENT,
    DueItem,
    LiaisonReminder,
    Recipient,
    claim_reminder,
    claim_weekly,
)
from core.scheduling.interfaces import DigestClaim, ReminderKey
from core.scheduling.once import CLAIM_TIMEOUT, claim_digest

DAY = dt.date(2020, 6, 2)
NOW = dt.datetime(2020, 6, 2, 1, 0, tzinfo=dt.UTC)
GROUP = -100_777


class FakeClaims:
    """`DigestClaims` and `ReminderClaims` over dicts; `journal` lists each committed step."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, dt.date], dict[str, Any]] = {}
        self.reminders: dict[ReminderKey, int] = {}
        self.journal: list[str] = []

    async def insert_claim(
        self, chat_id: int, local_date: dt.date, *, owner: str, now: dt.datetime
    ) -> bool:
        self.journal.append(f"insert_claim {owner}")
        if (chat_id, local_date) in self.rows:
            return False
        self.rows[(chat_id, local_date)] = {
            "id": len(self.rows) + 1,
            "claimed_by": owner,
            "claimed_at": now,
            "sent_at": None,
            "attempts": 0,
            "summary": {},
        }
        return True

    async def take_over(
        self,
        chat_id: int,
        local_date: dt.date,
        *,
        owner: str,
        now: dt.datetime,
        cutoff: dt.datetime,
    ) -> bool:
        self.journal.append(f"take_over {owner}")
        row = self.rows[(chat_id, local_date)]
        if row["sent_at"] is None and (row["claimed_by"] == "" or row["claimed_at"] < cutoff):
            row.update(claimed_by=owner, claimed_at=now)
            return True
        return False

    async def claimed(self, chat_id: int, local_date: dt.date, owner: str) -> DigestClaim:
        row = self.rows[(chat_id, local_date)]
        return DigestClaim(row["id"], chat_id, local_date, owner, row["attempts"], row["summary"])

    def _held(self, claim: DigestClaim) -> dict[str, Any] | None:
        row = self.rows[(claim.chat_id, claim.local_date)]
        return row if row["claimed_by"] == claim.owner else None

    async def start_attempt(self, claim: DigestClaim, attempts: int) -> bool:
        row = self._held(claim)
        if row is not None:
            row["attempts"] = attempts
        return row is not None

    async def save_summary(self, claim: DigestClaim, summary: dict[str, Any]) -> bool:
        row = self._held(claim)
        if row is not None:
            row["summary"] = summary
        return row is not None

    async def mark_sent(
        self,
        claim: DigestClaim,
        now: dt.datetime,
        summary: dict[str, Any],
        newly_red: Sequence[int] = (),
    ) -> bool:
        self.journal.append(f"mark_sent {claim.owner}")
        row = self._held(claim)
        if row is not None:
            row.update(sent_at=now, summary=summary)
        return row is not None

    async def release_failed(self, claim: DigestClaim, error: str) -> bool:
        self.journal.append(f"release_failed {claim.owner}")
        row = self._held(claim)
        if row is not None:
            row.update(claimed_by="", last_error=error)
        return row is not None

    async def record_error(self, claim: DigestClaim, error: str) -> bool:
        return self._held(claim) is not None

    async def claim_reminders(
        self, keys: Sequence[ReminderKey], now: dt.datetime
    ) -> dict[ReminderKey, int]:
        self.journal.append(f"claim_reminders {len(keys)}")
        won = {}
        for key in keys:
            if key not in self.reminders:
                self.reminders[key] = won[key] = len(self.reminders) + 1
        return won

    async def unclaim_reminders(self, row_ids: Sequence[int]) -> None:
        self.journal.append("unclaim_reminders")
        for key in [k for k, v in self.reminders.items() if v in row_ids]:
            del self.reminders[key]


async def test_one_sender_claims_the_days_digest_and_no_other() -> None:
    claims = FakeClaims()
    mine = await claim_digest(claims, GROUP, DAY, owner="a", now=NOW)
    assert mine is not None and mine.owner == "a" and mine.parts_sent == 0
    # A second process (or a second run of the job) a minute later: not its to send.
    later = NOW + dt.timedelta(minutes=1)
    assert await claim_digest(claims, GROUP, DAY, owner="b", now=later) is None
    # Another day, or another group, is another digest.
    assert await claim_digest(claims, GROUP, DAY + dt.timedelta(days=1), owner="b", now=later)
    # Claimed durably before anything is sent: the claim is the first step.
    assert claims.journal[0] == "insert_claim a"


async def test_a_released_claim_is_taken_at_once_and_resumes_where_it_stopped() -> None:
    claims = FakeClaims()
    first = await claim_digest(claims, GROUP, DAY, owner="a", now=NOW)
    assert first is not None
    await claims.save_summary(first, {"parts_sent": 1})
    await claims.release_failed(first, "NetworkError")
    again = await claim_digest(claims, GROUP, DAY, owner="b", now=NOW + dt.timedelta(minutes=2))
    assert again is not None and again.owner == "b"
    assert again.parts_sent == 1  # the chart went out: the next attempt sends the text
    # The first sender lost its claim: it can change nothing any more.
    assert not await claims.mark_sent(first, NOW, {})


async def test_an_abandoned_claim_is_taken_over_only_after_the_timeout() -> None:
    claims = FakeClaims()
    assert await claim_digest(claims, GROUP, DAY, owner="dead", now=NOW)
    busy = NOW + CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    assert await claim_digest(claims, GROUP, DAY, owner="b", now=busy) is None
    stale = NOW + CLAIM_TIMEOUT + dt.timedelta(seconds=1)
    taken = await claim_digest(claims, GROUP, DAY, owner="b", now=stale)
    assert taken is not None and taken.owner == "b"


async def test_a_sent_digest_is_never_claimed_again() -> None:
    claims = FakeClaims()
    claim = await claim_digest(claims, GROUP, DAY, owner="a", now=NOW)
    assert claim is not None
    assert await claims.mark_sent(claim, NOW, {"parts_sent": 2}, [7])
    for owner, minutes in (("a", 1), ("b", 60 * 24)):
        later = NOW + dt.timedelta(minutes=minutes)
        assert await claim_digest(claims, GROUP, DAY, owner=owner, now=later) is None


def reminder(*codes: str) -> LiaisonReminder:
    items = tuple(
        DueItem(SILENT if n % 2 == 0 else DEADLINE, str(n), f"p{n}", code, "事项")
        for n, code in enumerate(codes)
    )
    return LiaisonReminder(501, "zh", "区农业农村局", items)


async def test_a_reminder_goes_out_only_with_the_items_this_process_won() -> None:
    claims = FakeClaims()
    plan = reminder("B1", "B2", "B3")
    # Another process claimed B2 a moment ago.
    other = reminder("B1", "B2", "B3").keys()[1]
    await claims.claim_reminders([other], NOW)
    claimed = await claim_reminder(claims, plan, NOW)
    assert claimed is not None
    assert [i.code for i in claimed.reminder.items] == ["B1", "B3"]
    assert len(claimed.row_ids) == 2
    # Everything told now: a second round sends nothing.
    assert await claim_reminder(claims, plan, NOW) is None
    # A failed send gives its claims back, so the next round tries again.
    await claims.unclaim_reminders(list(claimed.row_ids))
    retried = await claim_reminder(claims, plan, NOW)
    assert retried is not None and [i.code for i in retried.reminder.items] == ["B1", "B3"]


async def test_a_leaders_weekly_summary_is_claimed_once_per_week() -> None:
    claims = FakeClaims()
    leader = Recipient(901, "en")
    assert await claim_weekly(claims, leader, "2020-W23", NOW)
    assert await claim_weekly(claims, leader, "2020-W23", NOW) is None
    assert await claim_weekly(claims, leader, "2020-W24", NOW)
