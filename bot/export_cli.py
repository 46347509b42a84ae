"""`python -m bot export`: the campaign's workbook, or the year-end package with evidence.

    python -m bot export PATH.xlsx                  the active campaign as a workbook
    python -m bot export --evidence PATH.zip        workbook + every evidence file, checked
    python -m bot export PATH.xlsx --campaign ID    an earlier campaign (ids: see below)

Both files are written to a temporary name and renamed into place. Evidence files
missing from EVIDENCE_DIR, or whose content no longer matches its recorded sha256,
are listed in the package's 索引 sheet and reported here on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.config import Settings


def add_export_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = sub.add_parser(
        "export", help="export a campaign as .xlsx, or with --evidence as a .zip package"
    )
    export.add_argument("path", nargs="?", type=Path, help="the workbook to write (.xlsx)")
    export.add_argument(
        "--evidence",
        type=Path,
        metavar="PATH.zip",
        help="write the year-end package: the workbook plus every evidence file",
    )
    export.add_argument(
        "--campaign", type=int, metavar="ID", help="campaign id (default: the active one)"
    )
    export.set_defaults(handler=cmd_export)


def _fail(message: str) -> int:
    print(f"duban: {message}", file=sys.stderr)
    return 1


def _write_atomically(path: Path, write: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)  # type: ignore[operator]
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from core.export.gather import ExportData, NoCampaign, gather_export
    from core.export.package import write_package
    from core.export.sheets import write_workbook
    from core.reporting.evidence import EvidenceStore
    from storage.db import Database
    from storage.models import Campaign

    if args.path is None and args.evidence is None:
        return _fail("give PATH.xlsx, --evidence PATH.zip, or both")
    if args.path is not None and args.path.suffix.lower() != ".xlsx":
        return _fail(f"{args.path}: the workbook's name must end in .xlsx")
    if args.evidence is not None and args.evidence.suffix.lower() != ".zip":
        return _fail(f"{args.evidence}: the package's name must end in .zip")

    async def read() -> ExportData | list[tuple[int, int | None, bool]]:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                try:
                    return await gather_export(session, args.campaign)
                except NoCampaign:
                    rows = await session.execute(
                        select(Campaign.id, Campaign.year, Campaign.active).order_by(Campaign.id)
                    )
                    return [(cid, year, active) for cid, year, active in rows]
        finally:
            await db.close()

    try:
        data = asyncio.run(read())
    except DBAPIError as exc:
        return _fail(
            f"cannot read the database ({type(exc.orig).__name__}); "
            "is it set up? `python -m bot db upgrade` creates it"
        )
    if isinstance(data, list):
        known = ", ".join(
            f"{cid} ({year}{', active' if active else ''})" for cid, year, active in data
        )
        wanted = f"campaign {args.campaign}" if args.campaign is not None else "an active campaign"
        return _fail(f"there is no {wanted}; campaigns: {known or 'none'}")

    now = dt.datetime.now(dt.UTC)
    counts = (
        f"{len(data.departments)} departments, {len(data.bindings)} bindings, "
        f"{len(data.reports)} reports, {len(data.evidence)} evidence files"
    )
    label = f"campaign {data.campaign.id} ({data.campaign.year})"
    if args.path is not None:
        _write_atomically(
            args.path,
            lambda tmp: write_workbook(
                data,
                tmp,
                settings.tz,
                exported_at=now,
                yellow_days=settings.yellow_days,
                silent_days=settings.silent_days,
            ),
        )
        print(f"{args.path}: {label}, {counts}")
    if args.evidence is not None:
        packed = write_package(
            data, args.evidence, EvidenceStore(settings.evidence_dir), settings.tz, exported_at=now
        )
        print(f"{args.evidence}: {label}, {counts}; {packed.files} files packed")
        if packed.missing or packed.mismatched:
            print(
                f"duban: warning: {packed.missing} evidence file(s) missing from "
                f"{settings.evidence_dir}, {packed.mismatched} not matching their sha256; "
                "see the 索引 sheet",
                file=sys.stderr,
            )
    return 0
