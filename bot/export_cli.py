"""`python -m bot export`: the campaign's workbook, or the year-end package with evidence.

    python -m bot export PATH.xlsx                  the active campaign as a workbook
    python -m bot export --evidence PATH.zip        workbook + every evidence file, checked
    python -m bot export PATH.xlsx --campaign ID    an earlier campaign (ids: see below)

Both files are written to a temporary name and renamed into place; the rows are
streamed from the database (core.export.run), so a large campaign takes flat memory. Evidence files
missing from EVIDENCE_DIR, or whose content no longer matches its recorded sha256,
are listed in the package's 索引 sheet and reported here on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from runtime.config import Settings

if TYPE_CHECKING:
    from core.export.package import Packed

T = TypeVar("T")


def add_export_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


async def _write_atomically(path: Path, write: Callable[[Path], Awaitable[T]]) -> T:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = await write(tmp)
        tmp.replace(path)  # noqa: ASYNC240 (the CLI: nothing else runs on its loop)
        return result
    except BaseException:
        tmp.unlink(missing_ok=True)  # noqa: ASYNC240
        raise


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from core.export.gather import ExportSource, NoCampaign, export_source
    from core.export.run import write_export
    from core.export.sql import SqlExport
    from core.reporting.evidence import EvidenceStore
    from storage.db import Database
    from storage.models import Campaign

    if args.path is None and args.evidence is None:
        return _fail("give PATH.xlsx, --evidence PATH.zip, or both")
    if args.path is not None and args.path.suffix.lower() != ".xlsx":
        return _fail(f"{args.path}: the workbook's name must end in .xlsx")
    if args.evidence is not None and args.evidence.suffix.lower() != ".zip":
        return _fail(f"{args.evidence}: the package's name must end in .zip")
    now = dt.datetime.now(dt.UTC)
    store = EvidenceStore(settings.evidence_dir)

    async def write(source: ExportSource, path: Path, *, with_evidence: bool) -> Packed | None:
        return await write_export(
            source,
            path,
            settings.reading(now),
            max_rows=settings.export_sheet_rows,
            store=store if with_evidence else None,
        )

    async def run() -> list[str] | list[tuple[int, int | None, bool]]:
        """Streams the campaign into each file asked for; the lines to print."""
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                try:
                    source = await export_source(SqlExport(session), args.campaign)
                except NoCampaign:
                    rows = await session.execute(
                        select(Campaign.id, Campaign.year, Campaign.active).order_by(Campaign.id)
                    )
                    return [(cid, year, active) for cid, year, active in rows]
                counts = (
                    f"{len(source.departments)} departments, {source.counts.bindings} "
                    f"bindings, {source.counts.reports} reports, {source.counts.evidence} "
                    "evidence files"
                )
                label = f"campaign {source.campaign.id} ({source.campaign.year})"
                lines = []
                for path, with_evidence in ((args.path, False), (args.evidence, True)):
                    if path is None:
                        continue
                    packed = await _write_atomically(
                        path, functools.partial(write, source, with_evidence=with_evidence)
                    )
                    if packed is None:
                        lines.append(f"{path}: {label}, {counts}")
                        continue
                    lines.append(f"{path}: {label}, {counts}; {packed.files} files packed")
                    if packed.missing or packed.mismatched:
                        print(
                            f"duban: warning: {packed.missing} evidence file(s) missing from "
                            f"{settings.evidence_dir}, {packed.mismatched} not matching their "
                            "sha256; see the 索引 sheet",
                            file=sys.stderr,
                        )
                return lines
        finally:
            await db.close()

    try:
        result = asyncio.run(run())
    except DBAPIError as exc:
        return _fail(
            f"cannot read the database ({type(exc.orig).__name__}); "
            "is it set up? `python -m bot db upgrade` creates it"
        )
    if result and isinstance(result[0], tuple):
        known = ", ".join(
            f"{cid} ({year}{', active' if active else ''})" for cid, year, active in result
        )
        wanted = f"campaign {args.campaign}" if args.campaign is not None else "an active campaign"
        return _fail(f"there is no {wanted}; campaigns: {known or 'none'}")
    for line in result:
        print(line)
    return 0
