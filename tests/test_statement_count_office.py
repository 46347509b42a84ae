"""SQL statements of the office's review, urge and adjustment turns (issue 19, point 5):
a fixed number per turn, whatever the number of reports, items or liaisons (one query per
screen, never one per row), held at what they cost when the use cases moved onto their
Protocols (accepting went from 13 statements to 10; the others stayed as they were).
Counted as in tests/test_statement_count.py, on the worker's turn only (the inbox claim
and "handled" mark included; BEGIN, COMMIT and pool pings not). The actor cache is emptied
before each turn, so each reads its user's row: the counts do not depend on its timing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select

from core.people import actors
from runtime.intake.unit import DATABASE_KEY
from storage.db import Database
from storage.models import Report
from tests.office_support import ECO, FARM, FARM_EN, report
from tests.support.botapi import SentMessage
from tests.support.duban import ADMIN, DubanRig
from tests.test_statement_count import Statements


@pytest.fixture
def statements(rig: DubanRig) -> Iterator[Statements]:
    assert rig.app is not None
    db: Database = rig.app.bot_data[DATABASE_KEY]
    counter = Statements()
    event.listen(db.engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine.sync_engine, "before_cursor_execute", counter)


async def counted(
    rig: DubanRig, statements: Statements, text: str, *, expect: str
) -> tuple[int, SentMessage]:
    actors.forget_users()
    statements.seen.clear()
    reply = await rig.ask(ADMIN, text)
    assert expect in (reply.plain_text or ""), reply.plain_text
    await asyncio.sleep(0.3)  # anything the turn does after its reply
    return len(statements.of("inbox-chat-")), reply


async def test_review_and_accept_cost_the_same_for_one_report_or_many(
    rig: DubanRig, statements: Statements
) -> None:
    await rig.join(FARM, "农业")
    await rig.api.wait_idle(timeout=10)
    await report(rig, "农业", "A5.1", "done", "88", text="已完成")
    one, _ = await counted(rig, statements, "/review", expect="共 1 条")
    (first,) = await rig.api.wait_messages(ADMIN.id, 1, timeout=10)
    for code in ("G1", "G2"):
        await report(rig, "农业", code, "done", "3", text="已完成")
    three, _ = await counted(rig, statements, "/review", expect="共 3 条")
    assert one == three <= 8  # claim, actor, count, page, targets, values, files, mark

    async with rig.session() as session:
        first_id = await session.scalar(select(Report.id).order_by(Report.id))
    actors.forget_users()
    statements.seen.clear()
    await rig.press(ADMIN, first, f"rv:a:{first_id}")
    await asyncio.sleep(0.3)
    # claim, actor, the report with its binding, item and department, the conditional
    # UPDATE, the reviewer, the binding, the liaisons, the review and audit rows, mark.
    assert len(statements.of("inbox-chat-")) <= 10


async def test_urge_costs_the_same_for_one_liaison_or_two(
    rig: DubanRig, statements: Statements
) -> None:
    rig.clock.set(dt.datetime(2020, 6, 2, 2, 0, tzinfo=dt.UTC))  # urges go on working days
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态环境")
    await rig.join(FARM_EN, "生态环境")
    await rig.api.wait_idle(timeout=10)
    one, _ = await counted(rig, statements, "/urge 农业 请汇报", expect="1/1")
    two, _ = await counted(rig, statements, "/urge 生态环境 请汇报", expect="2/2")
    assert one == two <= 10


@pytest.mark.parametrize(
    ("command", "expect", "at_most"),
    [
        ("/bind 生态环境 A5.1", "A5.1", 10),
        ("/deadline A5.1 2020-09-30", "2020-09-30", 8),
        ("/needevidence A5.1 on", "A5.1", 7),
    ],
)
async def test_adjustments_cost_a_fixed_number_of_statements(
    sqlite_rig: DubanRig, command: str, expect: str, at_most: int
) -> None:
    assert sqlite_rig.app is not None
    db: Database = sqlite_rig.app.bot_data[DATABASE_KEY]
    statements = Statements()
    event.listen(db.engine.sync_engine, "before_cursor_execute", statements)
    try:
        cost, _ = await counted(sqlite_rig, statements, command, expect=expect)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", statements)
    assert cost <= at_most
