"""SQL statements of the office's reading screens, /status and /overdue (issue 19, point 5):
a fixed number per screen whatever the number of departments and items (one query per
screen's part, never one per row), held at what they cost before the screens moved onto
their reader Protocols (core/oversight/interfaces.py). Counted as in
tests/test_statement_count_office.py: the worker's turn only, the inbox's claim and
"handled" mark included, BEGIN, COMMIT and pool pings not."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event

from runtime.intake.unit import DATABASE_KEY
from storage.db import Database
from tests.office_support import add_departments
from tests.support.duban import DubanRig
from tests.test_statement_count import Statements
from tests.test_statement_count_office import counted


async def test_status_and_overdue_cost_the_same_for_few_departments_or_many(
    sqlite_rig: DubanRig,
) -> None:
    rig = sqlite_rig
    rig.clock.set(dt.datetime(2020, 11, 2, 2, 0, tzinfo=dt.UTC))  # much is overdue by then
    assert rig.app is not None
    db: Database = rig.app.bot_data[DATABASE_KEY]
    statements = Statements()
    event.listen(db.engine.sync_engine, "before_cursor_execute", statements)
    try:
        status_few, _ = await counted(rig, statements, "/status", expect="进展")
        overdue_few, _ = await counted(rig, statements, "/overdue", expect="逾期")
        await add_departments(rig, 40)
        status_many, _ = await counted(rig, statements, "/status", expect="进展")
        overdue_many, _ = await counted(rig, statements, "/overdue", expect="逾期")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", statements)
    # claim, actor, campaign, the day's milestones, departments, the tally, the colours, mark
    assert status_few == status_many <= 8
    # campaign, the day's milestones, the counts, the page's rows, and the inbox's two
    assert overdue_few == overdue_many <= 6
