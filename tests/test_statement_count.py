"""SQL statements per update (issue 19, point 4): /items costs at most 4, bookkeeping included.

An engine `before_cursor_execute` listener counts what the bot sends to the database
while the worker handles one /items: the claim of the update (its attempt counted),
the user's row, the department's items with their targets and last values, and the
inbox row's "handled" mark. BEGIN, COMMIT and pool pings are not statements the bot
writes and are not counted; the receiver's insert of the update is counted apart
(one per update, committed before Telegram is told it arrived).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from core.people import actors
from runtime.intake.unit import DATABASE_KEY
from storage.db import Database
from tests.support import updates as u
from tests.support.duban import DubanRig

FARM = u.TgUser(id=640_001, first_name="农业联络员")
NOT_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "SELECT 1", "SELECT PG_TRY_ADVISORY_XACT_LOCK")


class Statements:
    """Statements by the asyncio task that sent them (worker turns are `inbox-chat-*`)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper().startswith(NOT_STATEMENTS):
            return
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        self.seen.append((task.get_name() if task else "?", statement))

    def of(self, prefix: str) -> list[str]:
        return [statement for task, statement in self.seen if task.startswith(prefix)]


@pytest.fixture
def statements(rig: DubanRig) -> Iterator[Statements]:
    assert rig.app is not None
    db: Database = rig.app.bot_data[DATABASE_KEY]
    counter = Statements()
    event.listen(db.engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine.sync_engine, "before_cursor_execute", counter)


async def test_items_costs_at_most_four_statements(rig: DubanRig, statements: Statements) -> None:
    await rig.join(FARM, "农业")
    await rig.api.wait_idle(timeout=10)
    for cold in (True, False):
        if cold:
            actors.forget_users()  # the user's row is read again, as for a first message
        statements.seen.clear()
        reply = await rig.ask(FARM, "/items")
        assert "本单位事项" in reply.plain_text
        await asyncio.sleep(0.3)  # anything the turn does after its reply
        handling = statements.of("inbox-chat-")
        # The claim and the handled mark are among them (the listener sees the turn).
        assert sum("UPDATE inbox_update" in s for s in handling) == 2, handling
        assert len(handling) <= (4 if cold else 3), handling
        # The pg advisory lock (not counted above) is the only other statement on PostgreSQL.
        assert len(statements.of("receiver")) == 1, statements.seen
