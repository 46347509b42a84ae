"""The command line: run the bot, and do the office's work without Telegram.

    python -m bot                      run the bot (long polling)
    python -m bot db upgrade           apply database migrations
    python -m bot import PATH          import an assessment document (.docx .pdf .doc .wps .txt)
    python -m bot invite DEPT          make a liaison invite code (or --leader)
    python -m bot backup PATH          a consistent copy of the SQLite database (+ manifest)
    python -m bot restore PATH         check a backup and put it in place

Every command reads the same configuration (environment or .env) as the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from bot.logs import setup_logging
from runtime.config import ConfigError, Settings, load_settings

log = logging.getLogger("bot")

NO_TOKEN_HELP = """\
TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.

To get a token: open Telegram, talk to @BotFather, send /newbot and follow its
questions; it answers with a token like 123456789:AAE...; put it in the environment
or in a .env file in this folder:

    TELEGRAM_BOT_TOKEN=123456789:AAE...

Without a token you can still work offline:
    python -m bot db upgrade                       create or upgrade the database
    python -m bot import FILE [--dry-run] [--json] import an assessment document
    python -m bot invite DEPT | --leader           make an invite code
    python -m bot digest --print                   print today's digest
    python -m bot export PATH.xlsx | --evidence PATH.zip   the year-end export
    python -m bot backup PATH                      copy the SQLite database
Run `python -m bot --help` for every command.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Duban (督办): the district's environmental target assessment bot.",
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="run with a webhook (WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_LISTEN, WEBHOOK_PORT) "
        "instead of long polling",
    )
    parser.add_argument(
        "--role",
        choices=("both", "receive", "work"),
        default="both",
        help="receive updates only, handle them only (several workers on PostgreSQL), "
        "or both (the default); see README, Running several workers",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot with long polling (the default)")
    run.add_argument("--webhook", action="store_true", help="run with a webhook instead")
    run.add_argument("--role", choices=("both", "receive", "work"), default=argparse.SUPPRESS)
    run.set_defaults(handler=cmd_run)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply all database migrations")
    upgrade.set_defaults(handler=cmd_db_upgrade)

    imp = sub.add_parser(
        "import", help="import an assessment document (.docx, .pdf, .doc, .wps or .txt)"
    )
    imp.add_argument("path", type=Path)
    imp.add_argument("--year", type=int, help="campaign year (default: from the document)")
    imp.add_argument("--dry-run", action="store_true", help="show what was found; save nothing")
    imp.add_argument("--json", action="store_true", help="print the result as one JSON object")
    imp.set_defaults(handler=cmd_import)

    invite = sub.add_parser("invite", help="make a one-time invite code")
    invite.add_argument("department", nargs="?", help="department name (forgiving match)")
    invite.add_argument("--leader", action="store_true", help="an invite for a leader")
    invite.set_defaults(handler=cmd_invite)

    backup = sub.add_parser("backup", help="copy the SQLite database while the bot runs")
    backup.add_argument("path", type=Path)
    backup.set_defaults(handler=cmd_backup)
    restore = sub.add_parser("restore", help="check a backup and put it in place (bot stopped)")
    restore.add_argument("path", type=Path)
    restore.set_defaults(handler=cmd_restore)

    # -- export sub-command (issue 4b) --
    from bot.export_cli import add_export_parser

    add_export_parser(sub)
    # -- end export --

    # -- digest sub-command (issue 5) --
    from bot.digest_cli import add_digest_parser

    add_digest_parser(sub)
    # -- end digest --

    # -- assess sub-command (issue 20; the year-end workflow adds its actions) --
    from bot.assess_cli import add_assess_parser

    add_assess_parser(sub)
    # -- end assess --

    # -- assess report (issue 21): the results notice beside `assess results` --
    from bot.assess_report_cli import add_report_action

    add_report_action(sub)
    # -- end assess report --

    for extra in EXTRA_COMMANDS:
        extra(sub)
    return parser


# Later modules (digest, export, backup) add their sub-commands here.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"duban: {exc}", file=sys.stderr)
        return 2
    secrets = [s for s in (settings.token,) if s]
    if settings.webhook_secret:
        secrets.append(settings.webhook_secret.get_secret_value())
    setup_logging(settings.log_level, secrets)
    handler = getattr(args, "handler", cmd_run)
    return int(handler(args, settings) or 0)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import upgrade_database

    upgrade_database(settings.database_url)
    print("database is up to date")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from core.assessment.campaigns import create_campaign
    from core.assessment.importer import (
        DocumentError,
        StructureError,
        format_summary,
        load_document,
    )
    from core.text.i18n import translator
    from storage.db import Database, upgrade_database

    path: Path = args.path
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"duban: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        doc = load_document(data, path.name, year=args.year, soffice=settings.soffice_path)
    except StructureError as exc:
        # What was read, problems first, then each problem with its line on stderr:
        # nothing is saved, a dry run included, and the exit status says so.
        if args.json:
            print(json.dumps(exc.document.to_json_dict(), ensure_ascii=False, indent=2))
        else:
            print(format_summary(exc.document, translator(settings.default_locale)))
        for problem in exc.document.problems:
            print(f"duban: {path.name}: {problem.describe()}", file=sys.stderr)
        print(f"duban: {path.name}: nothing was imported", file=sys.stderr)
        return 1
    except DocumentError as exc:
        print(f"duban: {path.name}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(doc.to_json_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_summary(doc, translator(settings.default_locale)))
    if args.dry_run:
        return 0

    upgrade_database(settings.database_url)

    async def save() -> None:
        db = Database(settings.database_url)
        try:
            async with db.unit() as unit:
                session = unit.session
                outcome = await create_campaign(session, doc, source_name=path.name)
                await unit.commit()
        finally:
            await db.close()
        state = "created" if outcome.created else "already imported, nothing new"
        print(
            f"campaign {outcome.campaign_id} {state}: {outcome.departments} departments, "
            f"{outcome.items} items, {outcome.bindings} bindings",
            file=sys.stderr if args.json else sys.stdout,
        )

    asyncio.run(save())
    return 0


def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.offline import make_invite_offline

    return make_invite_offline(settings, args.department, leader=args.leader)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import backup

    return backup(settings, args.path)


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import restore

    return restore(settings, args.path)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.token:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 2
    from bot.intake.runtime import Role
    from bot.runner import run_polling, run_webhook

    if getattr(args, "webhook", False) and (
        not settings.webhook_url or not settings.webhook_secret
    ):
        print(
            "duban: webhook mode needs WEBHOOK_URL (the public https URL Telegram calls) and "
            "WEBHOOK_SECRET (1-256 characters A-Z a-z 0-9 _ -)",
            file=sys.stderr,
        )
        return 2
    role = getattr(args, "role", "both")
    if role == "work" and not settings.database_url.startswith("postgresql"):
        print("duban: separate workers need PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 2
    if role not in ("both", "receive", "work"):
        print("duban: --role is receive, work or both", file=sys.stderr)
        return 2
    role = cast(Role, role)
    if getattr(args, "webhook", False):
        return run_webhook(settings, role)
    return run_polling(settings, role)
