"""`python -m bot assess results [--campaign ID] [--json]`: the assessment's results
without Telegram (issue 20), one line per department or a JSON list of objects with
`department`, `class`, `score`, `grade`, `rank`, `veto`, `provisional` (and the parts of
the score). Read only; the same records as the dashboard and the export.

`assess` takes further actions (the year-end workflow adds its own beside `results`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from runtime.config import Settings


def add_assess_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    assess = sub.add_parser("assess", help="the assessment's results (考核结果)")
    actions = assess.add_subparsers(dest="assess_command", metavar="ACTION", required=True)
    results = actions.add_parser("results", help="scores, grades and ranks by class")
    results.add_argument("--campaign", type=int, metavar="ID", help="default: the active one")
    results.add_argument("--json", action="store_true", help="a JSON list instead of lines")
    results.set_defaults(handler=cmd_assess_results)


def cmd_assess_results(args: argparse.Namespace, settings: Settings) -> int:
    from core.scoring.records import result_records
    from core.scoring.sql import SqlScoring
    from core.text.i18n import translator
    from storage.db import Database, upgrade_database

    upgrade_database(settings.database_url)

    async def read() -> tuple[str, list[dict[str, Any]]] | None:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                store = SqlScoring(session)
                campaign = await store.campaign(args.campaign)
                if campaign is None:
                    return None
                return campaign.title, result_records(await store.book(campaign.id))
        finally:
            await db.close()

    found = asyncio.run(read())
    if found is None:
        which = f"campaign {args.campaign}" if args.campaign else "an active campaign"
        print(f"duban: there is no {which}", file=sys.stderr)
        return 1
    title, records = found
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
        return 0
    _ = translator(settings.default_locale)
    print(title)
    for r in records:
        marks = []
        if r["provisional"]:
            marks.append(_("(provisional, {count} to score)").format(count=r["remaining"]))
        marks.extend(f"⛔ {v['code']} {v['effect']}" for v in r["veto"])
        rank = f"{r['rank']}{'*' if r['rank_provisional'] else ''}"
        line = f"{r['class']} {rank}. {r['department']}  {r['score']}  {r['grade']}"
        print(f"{line} {' '.join(marks)}".rstrip())
    return 0
