"""Exports started from Telegram: their record while they run, what a restart finds,
and the one-time download link of a workbook too large to upload.

An /export runs in the background; its `ExportRun` row carries a heartbeat. A bot
process that starts finds runs whose heartbeat stopped (their process died) and hands
them back to be reported, marking each once even with several processes (a
conditional UPDATE claims it). A workbook past Telegram's upload limit stays on disk
behind a signed link (core.export.download_link); `check_download` lets it be fetched
before it expires by the admin who asked for it (and only while they are still an
admin), and `spend_download` marks it used once a download completed. Functions
flush; the caller commits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import (
    EXPORT_DONE,
    EXPORT_FAILED,
    EXPORT_INTERRUPTED,
    EXPORT_RUNNING,
    ROLE_ADMIN,
    ExportRun,
    User,
)

# A running export beats at least this often (core.export.run reports progress every
# 10,000 rows, seconds apart) and once more before its upload; one silent for
# STALE_AFTER (longer than an upload of 50 MB takes on a slow line) lost its process.
HEARTBEAT_EVERY = dt.timedelta(seconds=20)
STALE_AFTER = dt.timedelta(minutes=5)


async def start_run(
    session: AsyncSession,
    *,
    admin_tg_id: int,
    chat_id: int,
    message_id: int | None,
    campaign_id: int,
    locale: str,
    now: dt.datetime,
) -> ExportRun:
    run = ExportRun(
        admin_tg_id=admin_tg_id,
        chat_id=chat_id,
        message_id=message_id,
        campaign_id=campaign_id,
        locale=locale,
        state=EXPORT_RUNNING,
        started_at=now,
        heartbeat_at=now,
    )
    session.add(run)
    await session.flush()
    return run


async def note_message(session: AsyncSession, run_id: int, message_id: int) -> None:
    """The progress message of a run, once it is sent (its id is edited later)."""
    run = await session.get(ExportRun, run_id)
    if run is not None:
        run.message_id = message_id
        await session.flush()


async def run_by_id(session: AsyncSession, run_id: int) -> ExportRun | None:
    return await session.get(ExportRun, run_id)


async def running_export(
    session: AsyncSession, admin_tg_id: int, now: dt.datetime
) -> ExportRun | None:
    """This admin's export still running (heartbeat fresh), if any."""
    found: ExportRun | None = await session.scalar(
        select(ExportRun)
        .where(
            ExportRun.admin_tg_id == admin_tg_id,
            ExportRun.state == EXPORT_RUNNING,
            ExportRun.heartbeat_at > now - STALE_AFTER,
        )
        .limit(1)
    )
    return found


async def beat(
    session: AsyncSession, run_id: int, *, rows_done: int, rows_total: int, now: dt.datetime
) -> None:
    await session.execute(
        update(ExportRun)
        .where(ExportRun.id == run_id, ExportRun.state == EXPORT_RUNNING)
        .values(heartbeat_at=now, rows_done=rows_done, rows_total=rows_total)
    )


async def finish_run(
    session: AsyncSession,
    run_id: int,
    *,
    now: dt.datetime,
    failed: str | None = None,
    size: int = 0,
    file_name: str = "",
) -> None:
    await session.execute(
        update(ExportRun)
        .where(ExportRun.id == run_id)
        .values(
            state=EXPORT_FAILED if failed else EXPORT_DONE,
            finished_at=now,
            heartbeat_at=now,
            error=failed,
            size=size,
            file_name=file_name,
        )
    )


async def release_at_shutdown(session: AsyncSession, run_id: int, now: dt.datetime) -> None:
    """The process is stopping and interrupted this run: date its heartbeat back past
    STALE_AFTER, so the next start (in whichever process) claims and reports it."""
    await session.execute(
        update(ExportRun)
        .where(ExportRun.id == run_id, ExportRun.state == EXPORT_RUNNING)
        .values(heartbeat_at=now - STALE_AFTER - dt.timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )


async def claim_interrupted(session: AsyncSession, now: dt.datetime) -> list[ExportRun]:
    """Runs whose process died (no heartbeat for STALE_AFTER), each marked interrupted
    by exactly one caller, which then tells its admin."""
    stale = list(
        await session.scalars(
            select(ExportRun).where(
                ExportRun.state == EXPORT_RUNNING, ExportRun.heartbeat_at < now - STALE_AFTER
            )
        )
    )
    claimed = []
    for run in stale:
        result = await session.execute(
            update(ExportRun)
            .where(ExportRun.id == run.id, ExportRun.state == EXPORT_RUNNING)
            .values(state=EXPORT_INTERRUPTED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        if affected(result) == 1:
            claimed.append(run)
    return claimed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def offer_download(
    session: AsyncSession,
    run_id: int,
    *,
    path: Path,
    file_name: str,
    size: int,
    now: dt.datetime,
    valid_for: dt.timedelta,
) -> dt.datetime:
    """Keep the workbook at `path` for one download; when its link expires. (The random
    token's hash marks the run as offered; the link itself is signed, not stored.)"""
    expires_at = now + valid_for
    await session.execute(
        update(ExportRun)
        .where(ExportRun.id == run_id)
        .values(
            state=EXPORT_DONE,
            finished_at=now,
            file_path=str(path),
            file_name=file_name,
            size=size,
            token_sha256=token_hash(secrets.token_urlsafe(32)),
            token_expires_at=expires_at,
        )
    )
    return expires_at


class DownloadRefused(Exception):
    """The link cannot be used: unknown, used, expired, or not this admin's."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # unknown / used / expired / forbidden / gone


@dataclass(frozen=True)
class Download:
    path: Path
    file_name: str
    size: int


async def check_download(
    session: AsyncSession,
    run_id: int,
    *,
    tg_id: int,
    admin_ids: frozenset[int],
    now: dt.datetime,
) -> Download:
    """The workbook kept for run `run_id`, if `tg_id` may download it now; it is not spent
    (a HEAD, a link preview or a download cut short leave it usable: `spend_download`).

    Only the admin who asked for it may use it, and only while still an admin; a used
    or expired link is refused the same way to anyone."""
    run = await session.get(ExportRun, run_id)
    if run is None or run.token_expires_at is None:
        raise DownloadRefused("unknown")
    if run.admin_tg_id != tg_id:
        raise DownloadRefused("forbidden")
    role = await session.scalar(select(User.role).where(User.tg_id == tg_id))
    if tg_id not in admin_ids and role != ROLE_ADMIN:
        raise DownloadRefused("forbidden")
    if run.token_used_at is not None:
        raise DownloadRefused("used")
    if run.token_expires_at is None or run.token_expires_at <= now:
        raise DownloadRefused("expired")
    path = Path(run.file_path) if run.file_path else None
    if path is None or not await asyncio.to_thread(path.is_file):
        raise DownloadRefused("gone")
    return Download(path=path, file_name=run.file_name, size=run.size)


async def spend_download(session: AsyncSession, run_id: int, now: dt.datetime) -> bool:
    """Mark the link used once its file was sent whole; False if already spent."""
    spent = await session.execute(
        update(ExportRun)
        .where(ExportRun.id == run_id, ExportRun.token_used_at.is_(None))
        .values(token_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(spent) == 1


async def forget_file(session: AsyncSession, run_id: int) -> None:
    """The run's kept workbook is deleted (after its download): clear its path."""
    await session.execute(
        update(ExportRun)
        .where(ExportRun.id == run_id)
        .values(file_path=None)
        .execution_options(synchronize_session=False)
    )


async def expired_files(session: AsyncSession, now: dt.datetime) -> list[Path]:
    """Kept workbooks whose link expired or was used: to delete; their path is cleared."""
    rows = list(
        await session.execute(
            select(ExportRun.id, ExportRun.file_path).where(
                ExportRun.file_path.is_not(None),
                (ExportRun.token_expires_at <= now) | ExportRun.token_used_at.is_not(None),
            )
        )
    )
    if rows:
        await session.execute(
            update(ExportRun)
            .where(ExportRun.id.in_([run_id for run_id, _ in rows]))
            .values(file_path=None)
            .execution_options(synchronize_session=False)
        )
    return [Path(path) for _, path in rows if path]
