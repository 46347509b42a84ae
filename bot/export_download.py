"""The download of a workbook too large for Telegram: one route for the dashboard's
web server to mount (GET /export/download?token=...), framework-free.

The server authenticates the request the way it authenticates the dashboard (the
Telegram Mini App's signed init data) and passes the Telegram user id it proved;
`export_download` then applies the link's own rules (core.export.runs.claim_download:
this admin, once, before it expires) and answers with a status, and for 200 the file
to stream with its name. The link is spent when the answer is given: a browser that
fails mid-way asks the admin to run /export again, never a second copy to anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from core.export.runs import DownloadRefused, claim_download
from storage.db import Database

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STATUS = {"unknown": 404, "forbidden": 403, "used": 410, "expired": 410, "gone": 410}


@dataclass(frozen=True)
class DownloadAnswer:
    status: int
    reason: str = ""
    path: Path | None = None
    headers: tuple[tuple[str, str], ...] = ()


async def export_download(
    db: Database,
    *,
    token: str,
    tg_id: int | None,
    admin_ids: frozenset[int],
    now: dt.datetime,
) -> DownloadAnswer:
    """What to answer to GET /export/download?token=TOKEN from user `tg_id` (None: the
    request did not authenticate)."""
    if tg_id is None:
        return DownloadAnswer(401, "unauthenticated")
    if not token or len(token) > 100:
        return DownloadAnswer(404, "unknown")
    async with db.unit() as unit:
        session = unit.session
        try:
            download = await claim_download(
                session, token, tg_id=tg_id, admin_ids=admin_ids, now=now
            )
        except DownloadRefused as refused:
            return DownloadAnswer(_STATUS.get(refused.reason, 404), refused.reason)
        await unit.commit()
    name = download.file_name or "export.xlsx"
    return DownloadAnswer(
        200,
        path=download.path,
        headers=(
            ("Content-Type", XLSX_TYPE),
            ("Content-Length", str(download.size)),
            ("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}"),
            ("Cache-Control", "no-store"),
        ),
    )
