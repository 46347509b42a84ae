"""`python -m bot assess report PATH.docx [--campaign ID] [--office NAME]`: the results
notice (考核结果通报) as a Word file, without Telegram (issue 21).

It needs the approval recorded (`/approve`): the notice names the approving body, its
date and document number. The tables are the scoring engine's results, ranked by class,
exactly as /results, the dashboard and `assess results` show them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from runtime.config import Settings

DEFAULT_OFFICE = "区生态环境保护委员会办公室"


def add_report_action(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`report` beside `assess results` (the `assess` parser is made if not there yet)."""
    assess = sub.choices.get("assess")
    if assess is None:
        assess = sub.add_parser("assess", help="the assessment's results (考核结果)")
        assess.add_subparsers(dest="assess_command", metavar="ACTION", required=True)
    actions = next(a for a in assess._actions if isinstance(a, argparse._SubParsersAction))
    report = actions.add_parser("report", help="the results notice (考核结果通报) as .docx")
    report.add_argument("path", type=Path, help="the Word file to write (.docx)")
    report.add_argument("--campaign", type=int, metavar="ID", help="default: the active one")
    report.add_argument(
        "--office", default=DEFAULT_OFFICE, help=f"who circulates it (default {DEFAULT_OFFICE})"
    )
    report.set_defaults(handler=cmd_assess_report)


def cmd_assess_report(args: argparse.Namespace, settings: Settings) -> int:
    from core.text.i18n import translator
    from core.yearend.approval import results_notice
    from core.yearend.documents import notice_docx
    from core.yearend.sql import SqlYearEnd
    from core.yearend.state import YearEndRefused, active_campaign
    from storage.db import Database, upgrade_database

    path: Path = args.path
    if path.suffix.lower() != ".docx":
        print("duban: the notice is written as a .docx file", file=sys.stderr)
        return 2
    upgrade_database(settings.database_url)
    _ = translator(settings.default_locale)

    async def build() -> tuple[bytes, int] | str:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                reader = SqlYearEnd(session)
                campaign_id = args.campaign or (await active_campaign(reader)).id
                notice = await results_notice(reader, campaign_id, _, office=args.office)
        except YearEndRefused as exc:
            return exc.reason
        finally:
            await db.close()
        count = sum(len(table.lines) for table in notice.classes)
        return notice_docx(notice, _), count

    built = asyncio.run(build())
    if isinstance(built, str):
        reasons = {
            "not_approved": "the results are not approved yet (/approve in the bot)",
            "no_campaign": "there is no active campaign",
        }
        print(f"duban: {reasons.get(built, built)}", file=sys.stderr)
        return 1
    data, count = built
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".docx.part")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    Path(temporary).replace(path)
    print(f"wrote {path}: {count} departments")
    return 0
