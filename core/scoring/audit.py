"""The scoring audit log's one row builder: who, when, what, before, after, why.

Every change to a score, a scheme or a year-end decision is logged through `audit_entry`
(core.scoring.usecases and core.yearend.state both call it), so the row's rules (the
subject cut to its column) live once.
"""

from __future__ import annotations

import datetime as dt

from storage.models import ScoreAudit


def audit_entry(
    campaign_id: int,
    tg_id: int,
    now: dt.datetime,
    action: str,
    *,
    subject: str,
    before: str = "",
    after: str = "",
    reason: str = "",
    department_id: int | None = None,
    binding_id: int | None = None,
) -> ScoreAudit:
    """One audit row by user `tg_id` at `now` (UTC)."""
    return ScoreAudit(
        campaign_id=campaign_id,
        at=now,
        actor_tg_id=tg_id,
        action=action,
        subject=subject[:200],
        before=before,
        after=after,
        reason=reason,
        department_id=department_id,
        binding_id=binding_id,
    )
