"""SQL statements per dashboard screen (issue 19, points 4 and 5): each /api/ endpoint
costs the few statements it did before its read models moved onto the
`DashboardReader` (core/dashboard/sql.py), one query per figure, never one per row.

An engine `before_cursor_execute` listener counts what the web server sends while one
request is answered (a warm request: the viewer's row is cached as for the bot's
updates). BEGIN, COMMIT, ROLLBACK and pool pings are not counted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from runtime.intake.unit import DATABASE_KEY
from storage.db import Database
from tests.dashboard_support import dashboard_rig, get, seed
from tests.office_support import FARM, department_id
from tests.support.botapi import FakeBotAPI
from tests.support.duban import LEADER, DubanRig, FakeClock
from tests.support.webapp import signed_init_data

NOT_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "SELECT 1")


class Statements:
    """Statements sent by tasks other than the bot's intake (the web server's)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper().startswith(NOT_STATEMENTS):
            return
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        name = task.get_name() if task else "?"
        if not name.startswith(("inbox", "receiver")):
            self.seen.append(statement)


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    late = FakeClock(dt.datetime(2020, 12, 28, 2, 0, tzinfo=dt.UTC))
    async for duban in dashboard_rig(fake_api, database_url, tmp_path, clock=late):
        await seed(duban)
        yield duban


@pytest.fixture
def statements(rig: DubanRig) -> Iterator[Statements]:
    assert rig.app is not None
    db: Database = rig.app.bot_data[DATABASE_KEY]
    counter = Statements()
    event.listen(db.engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine.sync_engine, "before_cursor_execute", counter)


async def test_each_dashboard_screen_costs_a_fixed_few_statements(
    rig: DubanRig, statements: Statements
) -> None:
    await rig.api.wait_idle(timeout=10)
    farm = await department_id(rig, "农业")
    leader = signed_init_data(LEADER, rig.api.token, auth_date=rig.clock())
    liaison = signed_init_data(FARM, rig.api.token, auth_date=rig.clock())
    # (path, who asks, statements: the numbers before the move, measured on both
    # databases; the item's screen read the active campaign twice, now once)
    screens = [
        ("/api/me", leader, 1),
        ("/api/overview", leader, 6),
        ("/api/weekly", leader, 2),
        (f"/api/departments/{farm}", liaison, 3),
        ("/api/items/A5.1", leader, 8),
        ("/api/overdue", liaison, 3),
    ]
    costs = {}
    for path, who, _most in screens:
        await get(rig, path, who)  # warm: the viewer's row and the closed weeks cached
        statements.seen.clear()
        status, _, _ = await get(rig, path, who)
        assert status == 200, path
        costs[path] = len(statements.seen)
    assert costs == {path: most for path, _, most in screens}, costs
