"""Exports started from Telegram: starting one, its record while it runs, what a restart
finds, and the one-time download link of a workbook too large to upload.

These are the use cases of an export run, each given the store of run rows it needs
(`ExportRunStore`, core/export/interfaces.py; `core.export.sql.SqlExportRuns` over a
unit of work's session, a recording fake in unit tests). An /export runs in the
background; its run carries a heartbeat. A bot process that starts finds runs whose
heartbeat stopped (their process died) and hands them back to be reported, marking each
once even with several processes (the store's conditional claim). A workbook past
Telegram's upload limit stays on disk behind a signed link (core.export.download_link);
`check_download` lets it be fetched before it expires by the admin who asked for it (and
only while they are still an admin), and `spend_download` marks it used once a download
completed. Functions stage; the caller's unit of work commits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from core.export.gather import CampaignInfo, campaign_to_export
from core.export.interfaces import ExportReader, ExportRunStore, RunInfo
from storage.models import EXPORT_DONE, EXPORT_FAILED, ROLE_ADMIN

# A running export beats at least this often (core.export.run reports progress every
# 10,000 rows, seconds apart) and once more before its upload; one silent for
# STALE_AFTER (longer than an upload of 50 MB takes on a slow line) lost its process.
HEARTBEAT_EVERY = dt.timedelta(seconds=20)
STALE_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Started:
    """An export run recorded: what the progress message names."""

    run_id: int
    campaign: CampaignInfo

    @property
    def label(self) -> str:
        return f"{self.campaign.year or '?'} {self.campaign.title}".strip()


class AlreadyRunning(Exception):
    """This admin's previous export is still running (its heartbeat is fresh)."""


async def start_export(
    reader: ExportReader,
    store: ExportRunStore,
    *,
    admin_tg_id: int,
    chat_id: int,
    locale: str,
    now: dt.datetime,
    year: int | None = None,
) -> Started:
    """/export [YEAR]: record a running run of the campaign (`campaign_to_export`) and
    audit it. NoCampaign when there is none; AlreadyRunning (nothing written) while this
    admin's previous export still runs."""
    campaign = await campaign_to_export(reader, year=year)
    if await store.has_running(admin_tg_id, beat_after=now - STALE_AFTER):
        raise AlreadyRunning(admin_tg_id)
    run_id = await store.add_run(
        admin_tg_id=admin_tg_id,
        chat_id=chat_id,
        message_id=None,
        campaign_id=campaign.id,
        locale=locale,
        now=now,
    )
    store.log(
        "export", {"campaign_id": campaign.id, "run_id": run_id}, actor_tg_id=admin_tg_id, now=now
    )
    return Started(run_id, campaign)


async def note_message(store: ExportRunStore, run_id: int, message_id: int) -> None:
    """The progress message of a run, once it is sent (its id is edited later)."""
    await store.set_message(run_id, message_id)


async def beat(
    store: ExportRunStore, run_id: int, *, rows_done: int, rows_total: int, now: dt.datetime
) -> None:
    """The run is alive, with its progress (only while it is still running)."""
    await store.beat(run_id, rows_done=rows_done, rows_total=rows_total, at=now)


async def finish_run(
    store: ExportRunStore,
    run_id: int,
    *,
    now: dt.datetime,
    failed: str | None = None,
    size: int = 0,
    file_name: str = "",
) -> None:
    """The run ended: sent (`size`, `file_name`), or failed with the error's name."""
    await store.finish(
        run_id,
        state=EXPORT_FAILED if failed else EXPORT_DONE,
        now=now,
        error=failed,
        size=size,
        file_name=file_name,
    )


async def release_at_shutdown(store: ExportRunStore, run_id: int, now: dt.datetime) -> None:
    """The process is stopping and interrupted this run: date its heartbeat back past
    STALE_AFTER, so the next start (in whichever process) claims and reports it."""
    await store.set_heartbeat(run_id, now - STALE_AFTER - dt.timedelta(seconds=1))


async def claim_interrupted(store: ExportRunStore, now: dt.datetime) -> list[RunInfo]:
    """Runs whose process died (no heartbeat for STALE_AFTER), each marked interrupted
    by exactly one caller, which then tells its admin."""
    claimed = []
    for run in await store.stale_runs(beat_before=now - STALE_AFTER):
        if await store.mark_interrupted(run.id, now):
            claimed.append(run)
    return claimed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def offer_download(
    store: ExportRunStore,
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
    await store.keep_file(
        run_id,
        path=str(path),
        file_name=file_name,
        size=size,
        token_sha256=token_hash(secrets.token_urlsafe(32)),
        expires_at=expires_at,
        now=now,
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
    store: ExportRunStore,
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
    kept = await store.kept_file(run_id)
    if kept is None or kept.token_expires_at is None:
        raise DownloadRefused("unknown")
    if kept.admin_tg_id != tg_id:
        raise DownloadRefused("forbidden")
    if tg_id not in admin_ids and await store.role_of(tg_id) != ROLE_ADMIN:
        raise DownloadRefused("forbidden")
    if kept.token_used_at is not None:
        raise DownloadRefused("used")
    if kept.token_expires_at <= now:
        raise DownloadRefused("expired")
    path = Path(kept.file_path) if kept.file_path else None
    if path is None or not await asyncio.to_thread(path.is_file):
        raise DownloadRefused("gone")
    return Download(path=path, file_name=kept.file_name, size=kept.size)


async def spend_download(store: ExportRunStore, run_id: int, now: dt.datetime) -> bool:
    """Mark the link used once its file was sent whole; False if already spent."""
    return await store.spend(run_id, now)


async def forget_file(store: ExportRunStore, run_id: int) -> None:
    """The run's kept workbook is deleted (after its download): clear its path."""
    await store.forget_files([run_id])


async def expired_files(store: ExportRunStore, now: dt.datetime) -> list[Path]:
    """Kept workbooks whose link expired or was used: to delete; their path is cleared."""
    found = await store.files_to_delete(now)
    await store.forget_files([run_id for run_id, _ in found])
    return [Path(path) for _, path in found if path]
