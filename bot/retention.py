"""Nothing grows without bound (issue 18, point 6): what housekeeping deletes, and when.

Run with the intake's housekeeping (bot/intake/runtime.py), in every worker; each step
is an idempotent DELETE or unlink, so several processes running it at once do no harm.

- dead letters (inbox rows set aside) older than DEAD_LETTER_KEEP_DAYS;
- album drafts older than ALBUM_DRAFT_KEEP_HOURS: their report was never finished (its
  job died with a process); the office was not going to get it anyway;
- sent outbox rows older than OUTBOX_KEEP_HOURS (handled inbox rows: INBOX_KEEP_HOURS,
  bot/intake/housekeeping.py);
- kept export workbooks once their link is used or expired (EXPORT_LINK_HOURS), and
  half-written ones (`.export-*`) a day old;
- dashboard previews not looked at for THUMBNAIL_KEEP_DAYS (each is made again on demand).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete

from core.export import runs
from core.export.sql import SqlExportRuns
from runtime.config import Settings
from storage import outbox
from storage.db import Database, affected
from storage.models import INBOX_DEAD, ConversationDraft, InboxUpdate

log = logging.getLogger(__name__)
PARTIAL_EXPORT_AGE = dt.timedelta(days=1)


@dataclass(frozen=True)
class Retained:
    dead_letters: int
    album_drafts: int
    outbox_rows: int
    export_files: int
    thumbnails: int


async def enforce_retention(db: Database, settings: Settings, now: dt.datetime) -> Retained:
    async with db.unit() as unit:
        session = unit.session
        dead = affected(
            await session.execute(
                delete(InboxUpdate).where(
                    InboxUpdate.state == INBOX_DEAD,
                    InboxUpdate.received_at
                    < now - dt.timedelta(days=settings.dead_letter_keep_days),
                )
            )
        )
        albums = affected(
            await session.execute(
                delete(ConversationDraft).where(
                    ConversationDraft.name.like("album:%"),
                    ConversationDraft.updated_at
                    < now - dt.timedelta(hours=settings.album_draft_keep_hours),
                )
            )
        )
        sent = await outbox.prune_sent(
            session, now - dt.timedelta(hours=settings.outbox_keep_hours)
        )
        spent_files = await runs.expired_files(SqlExportRuns(session), now)
        await unit.commit()
    # Files age by the file system's clock (their mtime), rows by the database's.
    exports = await asyncio.to_thread(_delete_exports, spent_files, settings.exports_path)
    thumbnails = await asyncio.to_thread(
        _delete_older, settings.thumbnails_path, "*.jpg", settings.thumbnail_keep_days * 86400
    )
    retained = Retained(dead, albums, sent, exports, thumbnails)
    if any((dead, albums, sent, exports, thumbnails)):
        log.info("retention: %s", retained)
    return retained


def _delete_exports(spent: list[Path], folder: Path) -> int:
    removed = 0
    for path in spent:
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    if folder.is_dir():
        cutoff = time.time() - PARTIAL_EXPORT_AGE.total_seconds()
        for path in folder.glob(".export-*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def _delete_older(folder: Path, pattern: str, seconds: float) -> int:
    if not folder.is_dir():
        return 0
    cutoff = time.time() - seconds
    removed = 0
    for path in folder.glob(pattern):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
