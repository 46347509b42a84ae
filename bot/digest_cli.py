"""`python -m bot digest --print [--date YYYY-MM-DD] [--chart PATH.png]`: the digest offline.

Prints the same digest text the office group gets (or got) for that local date, read
from the database named by the settings, without Telegram; `--chart` writes its chart.
For a day whose digest was sent, the stored window is used, so the text is the one sent.
Nothing is claimed or changed: printing never counts as sending.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

from runtime.config import Settings


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a date YYYY-MM-DD, e.g. 2020-06-01") from None


def add_digest_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = sub.add_parser(
        "digest", help="print a day's digest and/or write its chart, without Telegram"
    )
    digest.add_argument("--print", dest="print_text", action="store_true", help="print the text")
    digest.add_argument(
        "--date", type=_date, help="the local date (TIMEZONE), YYYY-MM-DD; default today"
    )
    digest.add_argument("--chart", type=Path, metavar="PATH.png", help="write the chart here")
    digest.set_defaults(handler=cmd_digest)


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from core.digest.messages import compose_digest, to_plain
    from core.digest.sql import SqlDigest, SqlOfficeGroup
    from core.oversight.urge import group_chat
    from storage.db import Database, upgrade_database

    if not args.print_text and args.chart is None:
        print("duban: say what to do: --print, --chart PATH.png, or both", file=sys.stderr)
        return 2
    reading = settings.reading(dt.datetime.now(dt.UTC))
    day: dt.date = args.date or reading.today
    if day > reading.today:
        print(f"duban: {day} is in the future; there is no digest for it yet", file=sys.stderr)
        return 2
    upgrade_database(settings.database_url)

    async def build() -> tuple[list[str], bytes | None]:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                chat = await SqlOfficeGroup(session).office_chat()
                built = await compose_digest(
                    SqlDigest(session),
                    chat_id=group_chat(chat),
                    local_date=day,
                    reading=reading,
                    at=settings.digest_time,
                    locale=settings.default_locale,
                    with_chart=args.chart is not None,
                    always_chart=True,
                )
        finally:
            await db.close()
        return built.texts, built.chart

    texts, chart = asyncio.run(build())
    if args.print_text:
        print("\n\n".join(to_plain(text) for text in texts))
    if args.chart is not None:
        if chart is None:
            print("duban: no chart: there is no active campaign", file=sys.stderr)
            return 1
        try:
            args.chart.write_bytes(chart)
        except OSError as exc:
            print(f"duban: cannot write {args.chart}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"chart written to {args.chart}", file=sys.stderr)
    return 0
