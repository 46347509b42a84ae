"""SQL statements of the year end's screens (issue 19, point 5): the use cases read
through core/yearend/sql.py one query per screen part, never one per item or
department. /selfassess shows 区农业农村局's 15 items and /assess status all 18
departments, each within the fixed count below (as on main before the move), which a
query per item or department would exceed many times. Counted as
tests/test_statement_count.py counts /items: the worker turn's statements, the inbox's
claim and "handled" mark included."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from core.people import actors
from runtime.intake.unit import DATABASE_KEY
from storage.db import Database
from tests.office_support import ask_all
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig
from tests.test_statement_count import Statements
from tests.yearend_support import confirm_with_vetoes

FARM = u.TgUser(id=760_001, first_name="农业联络员")
MONDAY = dt.datetime(2021, 1, 4, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai

# The turn's statements, warm caches: claim + handled mark (2) + what the screen reads.
# /selfassess: the campaign, the department, its items (one query), its self-assessment,
# the year end's row. /selfassess CODE SCORE: the form again, the year end and the
# self-assessment checked, the self-score read and written (and the new draft).
# /assess status: the campaign, the departments not submitted, every liaison (one query).
# /feedback (a liaison, not given yet): the campaign, the lock, the score book (its
# fixed handful, one per table), the site checks, the department's feedback.
# /appeal (the office): the campaign and the open appeals.
LIMITS = {
    "/selfassess": 7,
    "/selfassess G1 3.5 已完成": 13,
    "/assess status": 5,
    "/feedback": 13,
    "/appeal": 4,
}


@pytest.fixture
def counter(rig: DubanRig) -> Iterator[Statements]:
    assert rig.app is not None
    db: Database = rig.app.bot_data[DATABASE_KEY]
    found = Statements()
    event.listen(db.engine.sync_engine, "before_cursor_execute", found)
    yield found
    event.remove(db.engine.sync_engine, "before_cursor_execute", found)


def turns(handling: list[str]) -> list[list[str]]:
    """The statements cut into turns: each from its claim to its "handled" mark."""
    found: list[list[str]] = []
    for statement in handling:
        if statement.startswith("UPDATE inbox_update SET attempts"):
            found.append([])
        if found:
            found[-1].append(statement)
    return found


async def counted(rig: DubanRig, statements: Statements, user: u.TgUser, text: str) -> list[str]:
    """The statements of the command's turn, asked a second time (the actor's row cached,
    as for every later message)."""
    await ask_all(rig, user, text)
    await asyncio.sleep(0.3)  # anything the turn does after its replies
    statements.seen.clear()
    await ask_all(rig, user, text)
    await asyncio.sleep(0.3)
    return max(turns(statements.of("inbox-chat-")), key=len)


async def test_year_end_screens_cost_a_fixed_handful_of_statements(
    rig: DubanRig, counter: Statements
) -> None:
    rig.clock.set(MONDAY)
    await rig.join(FARM, "农业")
    async with rig.session() as session:
        await confirm_with_vetoes(session, MONDAY)
        await session.commit()
    assert (await rig.ask(ADMIN, "/assess open 2021-01-08")).plain_text
    actors.forget_users()
    asked = [
        (FARM, "/selfassess"),
        (FARM, "/selfassess G1 3.5 已完成"),
        (ADMIN, "/assess status"),
        (FARM, "/feedback"),
        (ADMIN, "/appeal"),
    ]
    for user, text in asked:
        handling = await counted(rig, counter, user, text)
        assert len(handling) <= LIMITS[text], (text, handling)
