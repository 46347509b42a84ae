"""The dashboard's /api/ and the text screens agree, end to end, on SQLite and PostgreSQL.

The real bot runs with its dashboard (tests/dashboard_support.py) over the fake Bot API
server. The data of tests/test_e2e_status_agree.py: the bundled 2020 campaign bound on
2020-11-01; 区农业农村局 reports on 2020-11-10 (A5.1 done and accepted, A5.3 done and
returned, G2 done and not reviewed, A5.2 blocked, G1 in progress). Read on 2020-11-16
(the unreported items silent: yellow) and on 2021-01-05 (the year over: everything not
accepted past due, red). On both days the overview's counts and colours are what /status
shows, the department page's colours and order are those of /dept and /items, and the
overdue list, paged, is /overdue's, line by line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from core.reporting.sql import SqlReview
from core.reporting.use_cases import decide
from storage.models import Binding, Campaign
from tests.dashboard_support import dashboard_rig, get
from tests.office_support import FARM, ask_all, department_id, overdue_text, report
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig, FakeClock
from tests.support.webapp import signed_init_data

BOUND = dt.datetime(2020, 11, 1, tzinfo=dt.UTC)
REPORTED = dt.datetime(2020, 11, 10, 2, tzinfo=dt.UTC)
FIRST = dt.datetime(2020, 11, 16, 0, 30, tzinfo=dt.UTC)
SECOND = dt.datetime(2021, 1, 5, 0, 30, tzinfo=dt.UTC)
EMOJI_COLOUR = {"🔴": "red", "🟡": "yellow", "🟢": "green"}
ITEM_LINE = re.compile(r"^(🔴|🟡|🟢) ([GAB]\d+(?:\.\d+)?) ", re.M)


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    clock = FakeClock(BOUND)
    async for duban in dashboard_rig(
        fake_api, database_url, tmp_path, clock=clock, default_locale="en"
    ):
        async with duban.session() as session:
            await session.execute(update(Campaign).values(created_at=BOUND))
            await session.execute(update(Binding).values(created_at=BOUND))
            await session.commit()
        yield duban


async def text_of(rig: DubanRig, command: str, user: Any = ADMIN) -> str:
    return "\n".join(m.plain_text or "" for m in await ask_all(rig, user, command))


async def api(rig: DubanRig, path: str) -> Any:
    init_data = signed_init_data(LEADER, rig.api.token, auth_date=rig.clock())
    status, _, body = await get(rig, path, init_data)
    assert status == 200, (path, body)
    return json.loads(body)


def status_lines(text: str) -> dict[str, tuple[int, int, int, int]]:
    """{department: (done, total, red, yellow)} from /status."""
    found = {}
    for match in re.finditer(r"^\d+\. (\S+) — \S+ \((\d+)/(\d+)\)\n(.*)$", text, re.M):
        marks = re.search(r"🔴(\d+) 🟡(\d+)", match[4])
        red, yellow = (int(marks[1]), int(marks[2])) if marks else (0, 0)
        found[match[1]] = (int(match[2]), int(match[3]), red, yellow)
    return found


def overdue_lines(text: str) -> list[tuple[str, str, str]]:
    """[(department, code, colour)] of /overdue, in its order."""
    lines: list[tuple[str, str, str]] = []
    department = ""
    for line in text.splitlines():
        heading = re.match(r"^(\S+) \(\d+\)$", line)
        if heading:
            department = heading[1]
        elif item := ITEM_LINE.match(line):
            lines.append((department, item[2], EMOJI_COLOUR[item[1]]))
    return lines


async def dashboard_overdue(rig: DubanRig) -> tuple[int, list[tuple[str, str, str]]]:
    """(total, [(department, code, colour)]) of /api/overdue, read page by page."""
    rows: list[tuple[str, str, str]] = []
    offset, total = 0, None
    while total is None or offset < total:
        page = await api(rig, f"/api/overdue?offset={offset}&limit=100")
        total = page["page"]["total"]
        assert page["items"], page["page"]
        rows += [(o["department"], o["code"], o["colour"]) for o in page["items"]]
        offset += 100
    return total, rows


async def check_agreement(rig: DubanRig) -> dict[str, Any]:
    """Every figure of the dashboard against the screens on the clock's day; 农业's page."""
    status = await text_of(rig, "/status")
    overview = await api(rig, "/api/overview?limit=100")
    screen = status_lines(status)
    assert len(screen) == len(overview["departments"]) == 17
    for department in overview["departments"]:
        counts, colours = department["counts"], department["colours"]
        assert (counts["done"], counts["total"], colours["red"], colours["yellow"]) == screen[
            department["name"]
        ], department["name"]
    totals = overview["totals"]
    assert f"({totals['done']} of {totals['total']} items accepted)" in status
    assert overview["colours"]["red"] == sum(line[2] for line in screen.values())
    assert overview["colours"]["yellow"] == sum(line[3] for line in screen.values())

    overdue = overdue_lines(await overdue_text(rig, ADMIN))
    total, rows = await dashboard_overdue(rig)
    assert total == len(overdue) == len(rows)
    assert rows == overdue  # same items, colours and order, across page boundaries

    farm = await api(rig, f"/api/departments/{await department_id(rig, '农业')}")
    dept = {m[2]: EMOJI_COLOUR[m[1]] for m in ITEM_LINE.finditer(await text_of(rig, "/dept 农业"))}
    assert {row["code"]: row["colour"] for row in farm["items"]} == dept
    items = [m[2] for m in ITEM_LINE.finditer(await text_of(rig, "/items", FARM))]
    assert [row["code"] for row in farm["items"]] == items  # own items first, as /items
    return farm  # type: ignore[no-any-return]


async def test_the_dashboard_and_the_screens_agree(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(LEADER, None)
    accepted = await report(rig, "农业", "A5.1", "done", "92", at=REPORTED)
    returned = await report(rig, "农业", "A5.3", "done", "80", "96", at=REPORTED)
    await report(rig, "农业", "G2", "done", at=REPORTED)
    await report(rig, "农业", "A5.2", "blocked", at=REPORTED)
    await report(rig, "农业", "G1", "in_progress", "1", at=REPORTED)
    for report_id, decision in ((accepted, "accepted"), (returned, "returned")):
        async with rig.session() as session:
            await decide(
                SqlReview(session),
                report_id=report_id,
                decision=decision,
                comment="",
                reviewer_tg_id=ADMIN.id,
                now=REPORTED + dt.timedelta(hours=1),
            )
            await session.commit()

    rig.clock.set(FIRST)  # silent items: yellow, nothing red
    farm = await check_agreement(rig)
    colours = {row["code"]: row["colour"] for row in farm["items"]}
    # 10 silent, and G1 (a cumulative "不少于2次", in progress at nothing) behind pace.
    assert list(colours.values()).count("yellow") == 11 and "red" not in colours.values()
    states = {row["code"]: (row["status"], row["returned"]) for row in farm["items"]}
    assert states["A5.1"] == ("done", False) and states["G2"] == ("pending_review", False)
    assert states["A5.3"] == ("in_progress", True) and states["A5.2"] == ("blocked", False)
    # Own items first, then the general ones (G...); in each, outstanding before done.
    codes = [row["code"] for row in farm["items"]]
    first_general = next(i for i, c in enumerate(codes) if c.startswith("G"))
    assert all(c.startswith("G") for c in codes[first_general:])
    assert codes[first_general - 1] == "A5.1"  # the accepted own item ends its group

    rig.clock.set(SECOND)  # the year is over: everything not accepted is past due
    farm = await check_agreement(rig)
    rows = {row["code"]: row for row in farm["items"]}
    assert {c for c, r in rows.items() if r["colour"] != "red"} == {"A5.1"}
    # The due date and where it comes from, as the screens say it.
    assert (rows["A5.2"]["due_text"], rows["A5.2"]["due_source"]) == ("2020-12-31", "own")
    assert (rows["G1"]["due_text"], rows["G1"]["due_source"]) == (
        "2020-12-31 (year end)",
        "year_end",
    )
    item = await api(rig, "/api/items/G1")
    assert item["due_text"] == "2020-12-31 (year end)"
    overdue = await api(rig, "/api/overdue?limit=5")
    assert overdue["items"][0]["due_text"].startswith("2020-")
    assert overdue["items"][0]["past_deadline"] is True
