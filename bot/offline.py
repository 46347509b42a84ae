"""Command-line actions that need the database but not Telegram (bootstrap invites)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

from core.people.invites import find_department, make_invite
from core.people.sql import SqlPeople
from runtime.config import Settings
from storage.db import Database, upgrade_database
from storage.models import ROLE_LEADER, ROLE_LIAISON


def make_invite_offline(settings: Settings, department_query: str | None, *, leader: bool) -> int:
    if not leader and not department_query:
        print("duban: give a department name, or --leader", file=sys.stderr)
        return 2
    upgrade_database(settings.database_url)

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            async with db.unit() as unit:
                session = unit.session
                department = None
                if not leader:
                    choice = await find_department(session, department_query or "")
                    if choice.found is None:
                        names = ", ".join(d.name for d in choice.candidates) or "none"
                        print(
                            f"duban: no single department matches {department_query!r} "
                            f"(candidates: {names})",
                            file=sys.stderr,
                        )
                        return 1
                    department = choice.found
                made = await make_invite(
                    SqlPeople(session),
                    role=ROLE_LEADER if leader else ROLE_LIAISON,
                    department=department,
                    created_by=None,
                    now=dt.datetime.now(dt.UTC),
                    ttl=dt.timedelta(days=settings.invite_ttl_days),
                )
                await unit.commit()
        finally:
            await db.close()
        who = made.department_name or "leader"
        until = made.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        print(f"invite for {who}, valid until {until}:")
        print(f"/join {made.code}")
        return 0

    return asyncio.run(run())
