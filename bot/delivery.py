"""Where digest and reminder delivery used to live: it is `handlers.digest.delivery` now
(the /digest command uses it, and handlers must not import `bot/`). Kept so the
scheduler and existing imports go on working."""

from handlers.digest.delivery import (
    RETRY_DELAYS,
    Outcome,
    RoundResult,
    deliver_digest,
    deliver_due_digest,
    instance_owner,
    make_digest,
    office_chat,
    reminder_round,
    send_part,
    send_parts,
    send_texts,
)

__all__ = [
    "RETRY_DELAYS",
    "Outcome",
    "RoundResult",
    "deliver_digest",
    "deliver_due_digest",
    "instance_owner",
    "make_digest",
    "office_chat",
    "reminder_round",
    "send_part",
    "send_parts",
    "send_texts",
]
