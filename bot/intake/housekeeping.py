"""Housekeeping of the intake: old inbox and outbox rows, abandoned staged evidence.

* handled inbox rows and sent outbox rows older than INBOX_KEEP_HOURS are deleted
  (dead-lettered updates stay, for the office to look at);
* files in EVIDENCE_DIR/.staging that no draft refers to and that are older than twice
  the conversation timeout belong to cancelled or timed-out conversations (or to a
  redelivered update whose report already had its file): they are deleted;
* drafts of conversations silent for twice their timeout were left by a process that
  died before its timeout fired: they are dropped, so their staged files go too.

It runs in every worker process; each step is an idempotent DELETE, so several workers
running it at once do no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from storage import inbox, outbox
from storage.db import Database, affected
from storage.models import ConversationDraft

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Swept:
    inbox_rows: int
    outbox_rows: int
    drafts: int
    staged_files: int


async def sweep(
    db: Database,
    staging: Path,
    *,
    keep: dt.timedelta,
    conversation_timeout: dt.timedelta,
    now: dt.datetime | None = None,
) -> Swept:
    now = now or dt.datetime.now(dt.UTC)
    stale = 2 * conversation_timeout
    async with db.unit() as unit:
        session = unit.session
        inbox_rows = await inbox.prune_handled(session, now - keep)
        outbox_rows = await outbox.prune_sent(session, now - keep)
        result = await session.execute(
            delete(ConversationDraft).where(
                ConversationDraft.updated_at < now - stale,
                ~ConversationDraft.name.like("album:%"),  # albums are finished, never dropped
            )
        )
        drafts = affected(result)
        await unit.commit()
        kept = {
            str(f.get("sha256"))
            for (data,) in await session.execute(select(ConversationDraft.data))
            for f in (data or {}).get("files", [])
            if isinstance(f, dict)
        }
    staged_files = _sweep_staging(staging, kept, older_than=stale.total_seconds())
    swept = Swept(inbox_rows, outbox_rows, drafts, staged_files)
    if any((inbox_rows, outbox_rows, drafts, staged_files)):
        log.info("housekeeping: %s", swept)
    return swept


def _sweep_staging(staging: Path, kept: set[str], *, older_than: float) -> int:
    if not staging.is_dir():
        return 0
    cutoff = time.time() - older_than
    removed = 0
    for path in staging.iterdir():
        if not path.is_file() or path.name.split(".", 1)[0] in kept:
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return removed
