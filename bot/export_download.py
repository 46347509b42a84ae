"""The download of a workbook too large for Telegram, from a plain browser (issue 18).

GET (or HEAD) /api/export/download?run=&admin=&exp=&sig= — a link signed for one export
run, one admin and an expiry (core.export.download_link); the signature is the
credential, so no Telegram login is needed. The run's row decides the rest
(core.export.runs.check_download: this admin, still an admin, not yet downloaded, not
expired, the file still there).

The link is spent only by a GET whose body was written whole: a HEAD, a link preview
(a crawler's user agent gets a short page, not the file) or a download cut short leave
it usable. Once spent, the file is deleted at once; one left unused is deleted by
housekeeping when its link expires (bot.retention).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from core.export import runs
from core.export.download_link import verify
from core.export.runs import DownloadRefused, check_download, spend_download
from core.export.sql import SqlExportRuns
from storage.db import Database

log = logging.getLogger(__name__)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STATUS = {"unknown": 404, "forbidden": 403, "used": 410, "expired": 410, "gone": 410}
CHUNK = 1 << 20
# Link-preview crawlers fetch what a chat shows; they must not use the link up.
PREVIEW_AGENTS = (
    "telegrambot",
    "twitterbot",
    "facebookexternalhit",
    "slackbot",
    "discordbot",
    "whatsapp",
    "linkedinbot",
    "skypeuripreview",
    "bingpreview",
    "embedly",
)


@dataclass(frozen=True)
class DownloadAnswer:
    status: int
    reason: str = ""
    run_id: int = 0
    path: Path | None = None
    headers: tuple[tuple[str, str], ...] = ()


def is_link_preview(user_agent: str) -> bool:
    agent = user_agent.lower()
    return any(name in agent for name in PREVIEW_AGENTS)


async def check_link(
    db: Database,
    query: Mapping[str, str] | None,
    *,
    bot_token: str,
    admin_ids: frozenset[int],
    now: dt.datetime,
) -> DownloadAnswer:
    """What the link in `query` (None: malformed) opens now; nothing is spent."""
    link = verify(query, bot_token) if query is not None else None
    if link is None:
        return DownloadAnswer(403, "forged")
    if link.expires <= now.timestamp():
        return DownloadAnswer(410, "expired")
    async with db.session() as session:
        try:
            download = await check_download(
                SqlExportRuns(session),
                link.run_id,
                tg_id=link.admin_tg_id,
                admin_ids=admin_ids,
                now=now,
            )
        except DownloadRefused as refused:
            return DownloadAnswer(_STATUS.get(refused.reason, 404), refused.reason)
    name = download.file_name or "export.xlsx"
    return DownloadAnswer(
        200,
        run_id=link.run_id,
        path=download.path,
        headers=(
            ("Content-Type", XLSX_TYPE),
            ("Content-Length", str(download.size)),
            ("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}"),
            ("Cache-Control", "no-store"),
            ("X-Robots-Tag", "noindex"),
        ),
    )


async def send_and_spend(
    request: web.Request, answer: DownloadAnswer, db: Database, now: dt.datetime
) -> web.StreamResponse:
    """Stream the file; once every byte is written, spend the link and delete the file."""
    assert answer.path is not None
    response = web.StreamResponse(status=200, headers=dict(answer.headers))
    await response.prepare(request)
    handle = await asyncio.to_thread(answer.path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            await response.write(chunk)  # raises if the client went away
    finally:
        await asyncio.to_thread(handle.close)
    await response.write_eof()
    async with db.unit() as unit:
        store = SqlExportRuns(unit.session)
        spent = await spend_download(store, answer.run_id, now)
        if spent:
            await runs.forget_file(store, answer.run_id)
        await unit.commit()
    if spent:
        await asyncio.to_thread(answer.path.unlink, missing_ok=True)
        log.info("export %s downloaded; its file is deleted", answer.run_id)
    return response
